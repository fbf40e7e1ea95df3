package alidns

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/libdns/libdns"
)

// This file is the one definition of a record as AliDNS stores it (its
// stored form). Every comparison the provider makes (SetRecords' plan,
// DeleteRecords' matching, settling an add, trusting a remembered id) and
// every record it returns goes through it, so that what a method returns is
// what the zone then holds.
//
// Where AliDNS's stored form is documented or publicly observed, it is
// followed. Where AliDNS might normalise what it is sent, the provider
// sends the form every plausible normalisation leaves as it is (lower-case
// names and host names, canonical addresses, SvcParams in RFC 9460 key
// order), so the stored form is known whichever reading holds. Where
// neither works (TXT text AliDNS is seen to alter, checkTXT), the input is
// refused before any call rather than guessed at.

// valueKey is AliDNS's duplicate key within a resolution line: a second
// record with the same name, type and value is refused with
// DomainRecordDuplicate. The MX preference and HTTPS/SVCB priority travel
// in their own Priority parameter and are not part of it, nor is the TTL.
type valueKey struct{ name, typ, value string }

// key returns v's duplicate key.
func (v apiValue) key() valueKey {
	return valueKey{storedName(v.RR), strings.ToUpper(v.Type), storedValue(strings.ToUpper(v.Type), v.Value)}
}

// stored returns r's data in the form apiValue compares in.
func (r apiRecord) stored() apiValue {
	return apiValue{RR: r.RR, Type: strings.ToUpper(r.Type), Value: r.Value, Priority: r.Priority, TTL: r.TTL}
}

// sameValue reports whether r holds v's value (its duplicate key): the
// record v would collide with.
func sameValue(r apiRecord, v apiValue) bool { return r.stored().key() == v.key() }

// sameRecord reports whether r holds exactly v: value, priority and TTL.
func sameRecord(r apiRecord, v apiValue) bool {
	return sameValue(r, v) && samePriority(v.Type, r.Priority, v.Priority) && r.TTL == v.TTL
}

// samePriority compares the Priority parameter where the type has one;
// AliDNS may list a meaningless Priority for other types.
func samePriority(typ string, a, b int64) bool {
	return !hasPriority(typ) || a == b
}

func hasPriority(typ string) bool {
	switch strings.ToUpper(typ) {
	case "MX", "HTTPS", "SVCB":
		return true
	}
	return false
}

// storedName is a relative name as AliDNS keeps it: lower case (AliDNS
// names are case-insensitive; the provider sends them lower-cased, so the
// stored form is the same whether AliDNS keeps case or not).
func storedName(rr string) string {
	if rr == "" {
		return "@"
	}
	return strings.ToLower(rr)
}

// storedHost is a host name in a value as the provider writes it: lower
// case, without the trailing dot AliDNS does not use; "." alone (the
// ServiceBinding "same name" target) stays.
func storedHost(h string) string {
	h = strings.TrimSpace(h)
	if h == "." {
		return h
	}
	return strings.ToLower(strings.TrimSuffix(h, "."))
}

// storedValue returns the form in which two AliDNS values of type typ
// compare: values with the same storedValue are the same value to
// AliDNS's duplicate check. It accepts any value (as listed, or as the
// provider sends it); what it cannot parse compares exactly.
func storedValue(typ, value string) string {
	switch typ {
	case "A", "AAAA":
		if ip, err := netip.ParseAddr(strings.TrimSpace(value)); err == nil {
			if typ == "A" {
				// "::ffff:192.0.2.1" in an A record is 192.0.2.1: sent
				// in the mapped form, it would read back (libdns) as AAAA.
				ip = ip.Unmap()
			}
			return ip.String()
		}
	case "CNAME", "NS", "MX":
		return storedHost(value)
	case "SRV":
		if f := strings.Fields(value); len(f) == 4 {
			if nums, ok := uints(f[:3], 65535); ok {
				return strings.Join(append(nums, storedHost(f[3])), " ")
			}
		}
	case "CAA":
		if v, ok := storedCAA(value); ok {
			return v
		}
	case "HTTPS", "SVCB":
		target, params, _ := strings.Cut(strings.TrimSpace(value), " ")
		v := storedHost(target)
		if p, err := libdns.ParseSvcParams(params); err == nil {
			if s := svcParamsString(p); s != "" {
				v += " " + s
			}
		} else if params = strings.Join(strings.Fields(params), " "); params != "" {
			v += " " + params
		}
		return v
	}
	return value
}

// uints normalises decimal numbers no larger than limit ("010" -> "10").
func uints(fields []string, limit uint64) ([]string, bool) {
	out := make([]string, len(fields))
	for i, f := range fields {
		n, err := strconv.ParseUint(f, 10, 64)
		if err != nil || n > limit {
			return nil, false
		}
		out[i] = strconv.FormatUint(n, 10)
	}
	return out, true
}

// storedCAA is a CAA value as the provider writes it: `flags tag "value"`,
// the tag in lower case (CAA tags are case-insensitive, RFC 8659).
func storedCAA(value string) (string, bool) {
	f := strings.SplitN(strings.TrimSpace(value), " ", 3)
	if len(f) != 3 {
		return "", false
	}
	flags, err := strconv.ParseUint(f[0], 10, 8)
	if err != nil || f[1] == "" {
		return "", false
	}
	v, err := strconv.Unquote(strings.TrimSpace(f[2]))
	if err != nil {
		v = strings.TrimSpace(f[2])
	}
	return fmt.Sprintf("%d %s %q", flags, strings.ToLower(f[1]), v), true
}

// svcKeyNumbers are the SvcParamKeys of the IANA registry (RFC 9460
// section 14.3.2 and later additions), by their presentation names.
var svcKeyNumbers = map[string]int{
	"mandatory": 0, "alpn": 1, "no-default-alpn": 2, "port": 3, "ipv4hint": 4,
	"ech": 5, "ipv6hint": 6, "dohpath": 7, "ohttp": 8, "tls-supported-groups": 9,
}

// svcKeyNumber is a key's number: registered names, or keyNNNNN; unknown
// names sort after every number.
func svcKeyNumber(k string) int {
	if n, ok := svcKeyNumbers[k]; ok {
		return n
	}
	if rest, ok := strings.CutPrefix(k, "key"); ok {
		if n, err := strconv.ParseUint(rest, 10, 16); err == nil {
			return int(n)
		}
	}
	return 1 << 16
}

// svcParamsString writes params in presentation form with the keys in
// increasing key number, the order RFC 9460 (section 2.2) requires on the
// wire. libdns v1.1.1's SvcParams.String iterates a map, so its order
// changes from call to call; a fixed order makes the value the provider
// sends the same every time, and storedValue makes any order compare equal.
func svcParamsString(params libdns.SvcParams) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		ni, nj := svcKeyNumber(keys[i]), svcKeyNumber(keys[j])
		if ni != nj {
			return ni < nj
		}
		return keys[i] < keys[j]
	})
	var sb strings.Builder
	for _, k := range keys {
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(k)
		vals := params[k]
		if len(vals) == 0 || (len(vals) == 1 && vals[0] == "") {
			continue
		}
		quote := false
		escaped := make([]string, len(vals))
		for i, v := range vals {
			quote = quote || strings.ContainsAny(v, "\" \t")
			v = strings.ReplaceAll(v, `\`, `\\`)
			v = strings.ReplaceAll(v, `"`, `\"`)
			escaped[i] = strings.ReplaceAll(v, ",", `\,`)
		}
		sb.WriteByte('=')
		if quote {
			sb.WriteByte('"')
		}
		sb.WriteString(strings.Join(escaped, ","))
		if quote {
			sb.WriteByte('"')
		}
	}
	return sb.String()
}

// maxTXT is the longest TXT value AliDNS takes: dnscontrol's AliDNS audit
// (verified 2025-12-03) found 511 bytes accepted and 764 refused.
const maxTXT = 511

// checkTXT refuses TXT text that AliDNS would not store as given, so that
// a record is never written in a form the provider cannot predict:
//   - double quotes: AliDNS strips them (kubernetes-sigs/external-dns PR
//     6506, from Alibaba Cloud support; dnscontrol's AliDNS audit);
//   - white space at either end: AliDNS strips trailing spaces
//     (dnscontrol's audit); for leading ones there is no public evidence;
//   - an odd run of backslashes: mishandled (dnscontrol's audit);
//   - control characters: no public evidence of how they are kept;
//   - empty, or longer than maxTXT bytes: refused by AliDNS.
//
// Values of 256 to 511 bytes are one value to the API; AliDNS splits them
// into DNS strings itself when it answers queries.
func checkTXT(name, text string) error {
	refuse := func(why string) error {
		return fmt.Errorf("record %q TXT: %s", name, why)
	}
	switch {
	case text == "":
		return refuse("the text is empty; AliDNS does not store an empty TXT value")
	case len(text) > maxTXT:
		return refuse(fmt.Sprintf("the text is %d bytes; AliDNS stores at most %d", len(text), maxTXT))
	case strings.Contains(text, `"`):
		return refuse("the text contains a double quote (\"), which AliDNS removes: write it without quotes")
	}
	first, _ := utf8.DecodeRuneInString(text)
	last, _ := utf8.DecodeLastRuneInString(text)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		return refuse("the text begins or ends with white space, which AliDNS does not keep as given: trim it")
	}
	run := 0
	for _, c := range text {
		if c < 0x20 || c == 0x7f {
			return refuse(fmt.Sprintf("the text contains the control character %U, which AliDNS may not keep as given", c))
		}
		if c == '\\' {
			run++
			continue
		}
		if run%2 == 1 {
			break
		}
		run = 0
	}
	if run%2 == 1 {
		return refuse(`the text contains a single backslash (\), which AliDNS does not keep as given: double it (\\) or leave it out`)
	}
	return nil
}
