package alidns

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/libdns/libdns"
)

// RecordInfo is what this provider keeps in a returned record's
// ProviderData: the AliDNS record id (so DeleteRecords needs no lookup)
// and the AliDNS-only attributes that libdns has no field for.
type RecordInfo struct {
	RecordID string
	Line     string
	Status   string // ENABLE or DISABLE
	Locked   bool
	Weight   int
	Remark   string
}

// apiValue is the AliDNS form of a record's data: AliDNS keeps MX
// preference and HTTPS/SVCB priority in a separate Priority parameter, and
// writes host names without the trailing dot.
type apiValue struct {
	RR       string
	Type     string
	Value    string
	Priority int64 // 0 = not sent
	TTL      int64 // seconds; 0 = provider default
}

// toAPI converts a libdns record (of any concrete type) into the AliDNS
// parameters in their stored form (canonical.go), refusing what AliDNS
// would not store as given. Name handling (relative to the zone, "@" for
// the apex) has been done by the caller through rr.Name.
func toAPI(rr libdns.RR) (apiValue, error) {
	v, err := dataToAPI(rr)
	if err != nil {
		return v, err
	}
	if v.Type == "TXT" {
		if err := checkTXT(rr.Name, v.Value); err != nil {
			return v, err
		}
	}
	return v, nil
}

// dataToAPI is toAPI without the checks that only matter for writing: it
// also reads the records handed to DeleteRecords.
func dataToAPI(rr libdns.RR) (apiValue, error) {
	v := apiValue{RR: storedName(rr.Name), Type: strings.ToUpper(rr.Type), TTL: int64(rr.TTL / time.Second)}
	data := strings.TrimSpace(rr.Data)
	if !utf8.ValidString(rr.Data) {
		// The API takes UTF-8 (JSON answers, percent-encoded requests);
		// other bytes come back as U+FFFD, a different record.
		return v, fmt.Errorf("record %q %s: data %+q is not valid UTF-8", rr.Name, v.Type, data)
	}
	switch v.Type {
	case "":
		return v, fmt.Errorf("record %q has no type", rr.Name)
	case "A", "AAAA":
		ip, err := netip.ParseAddr(data)
		if err != nil {
			return v, fmt.Errorf("record %q %s: invalid IP address %q", rr.Name, v.Type, data)
		}
		if ip.Is4() != (v.Type == "A") && !ip.Is4In6() {
			return v, fmt.Errorf("record %q: %s is not an %s address", rr.Name, data, v.Type)
		}
		v.Value = storedValue(v.Type, data)
	case "CNAME", "NS":
		if data == "" {
			return v, fmt.Errorf("record %q %s has no target", rr.Name, v.Type)
		}
		if err := checkHost(rr.Name, v.Type, data); err != nil {
			return v, err
		}
		v.Value = storedHost(data)
	case "MX":
		return mxToAPI(rr.Name, v, data)
	case "SRV":
		f := strings.Fields(data)
		if len(f) != 4 {
			return v, fmt.Errorf("record %q SRV: want \"priority weight port target\", got %q", rr.Name, data)
		}
		nums, ok := uints(f[:3], 65535)
		if !ok {
			return v, fmt.Errorf("record %q SRV: priority, weight and port must be numbers from 0 to 65535, got %q", rr.Name, data)
		}
		if err := checkHost(rr.Name, v.Type, f[3]); err != nil {
			return v, err
		}
		v.Value = strings.Join(append(nums, storedHost(f[3])), " ")
	case "CAA":
		c, ok := storedCAA(data)
		if !ok {
			return v, fmt.Errorf("record %q CAA: want 'flags tag \"value\"', got %q", rr.Name, data)
		}
		v.Value = c
	case "HTTPS", "SVCB":
		return svcbToAPI(rr.Name, v, data)
	case "TXT":
		// The raw text, unquoted: AliDNS splits long values into
		// 255-byte strings itself.
		v.Value = rr.Data
	default:
		v.Value = rr.Data
	}
	return v, nil
}

// mxToAPI puts an MX preference in the Priority parameter. AliDNS takes
// preferences 1 to 50; 0 is legal DNS but refused there, so it is stored
// as 1, the most preferred value AliDNS accepts, and the record returned
// (and matched by DeleteRecords) says 1.
func mxToAPI(name string, v apiValue, data string) (apiValue, error) {
	f := strings.Fields(data)
	if len(f) != 2 {
		return v, fmt.Errorf("record %q MX: want \"preference target\", got %q", name, data)
	}
	pref, err := strconv.ParseUint(f[0], 10, 16)
	if err != nil {
		return v, fmt.Errorf("record %q MX: invalid preference %q", name, f[0])
	}
	if pref > 50 {
		return v, fmt.Errorf("record %q MX: preference %d is above AliDNS's maximum of 50", name, pref)
	}
	v.Priority = max(int64(pref), 1)
	if err := checkHost(name, v.Type, f[1]); err != nil {
		return v, err
	}
	v.Value = storedHost(f[1])
	return v, nil
}

// svcbToAPI puts an HTTPS/SVCB SvcPriority in the Priority parameter and
// the target and SvcParams in Value, as AliDNS wants them (caddy-dns/alidns
// issue 9, "Invalid SVCB/HTTPS Priority", fixed by libdns/alidns that way),
// the params in RFC 9460 key order.
func svcbToAPI(name string, v apiValue, data string) (apiValue, error) {
	prio, rest, _ := strings.Cut(data, " ")
	target, params, _ := strings.Cut(strings.TrimLeft(rest, " \t"), " ")
	if target == "" {
		return v, fmt.Errorf("record %q %s: want \"priority target [params]\", got %q", name, v.Type, data)
	}
	p, err := strconv.ParseUint(prio, 10, 16)
	if err != nil {
		return v, fmt.Errorf("record %q %s: invalid priority %q", name, v.Type, prio)
	}
	v.Priority = int64(p)
	if target != "." {
		if err := checkHost(name, v.Type, target); err != nil {
			return v, err
		}
	}
	v.Value = storedHost(target)
	sp, err := libdns.ParseSvcParams(params)
	if err != nil {
		return v, fmt.Errorf("record %q %s: invalid SvcParams %q: %w", name, v.Type, params, err)
	}
	for k := range sp {
		// libdns's parser is lenient (a stray quote can turn a value into
		// a key); a key that is neither registered nor keyNNNNN means the
		// params were not read as written.
		if svcKeyNumber(k) > 65535 {
			return v, fmt.Errorf("record %q %s: invalid SvcParams %q: unknown key %q (want a registered key such as alpn, port, ech, or keyNNNNN)", name, v.Type, params, k)
		}
	}
	if v.Priority == 0 && len(sp) > 0 {
		// RFC 9460 section 2.4.2: AliasMode records carry no SvcParams
		// (libdns drops them when it reads the record back).
		return v, fmt.Errorf("record %q %s: priority 0 (AliasMode) takes no SvcParams, got %q: give a priority of 1 or more, or drop the params", name, v.Type, params)
	}
	if s := svcParamsString(sp); s != "" {
		v.Value += " " + s
	}
	return v, nil
}

// checkHost refuses what cannot be a host name: empty labels (".." or a
// leading dot), blanks, or more than 253 characters.
func checkHost(name, typ, h string) error {
	t := strings.TrimSuffix(h, ".")
	if t == "" || len(t) > 253 || strings.Contains(t, "..") || strings.HasPrefix(t, ".") || strings.HasSuffix(t, ".") ||
		strings.ContainsFunc(t, spaceOrControl) || strings.Contains(t, `"`) {
		// Any white space or control character ("0\r." once went out
		// as "0\r"), not only the ones a caller is likely to type.
		return fmt.Errorf("record %q %s: %q is not a valid host name", name, typ, h)
	}
	return nil
}

// hostFromAPI restores the trailing dot: AliDNS values are always
// fully qualified.
func hostFromAPI(h string) string {
	if h == "" || strings.HasSuffix(h, ".") {
		return h
	}
	return h + "."
}

// fromAPI converts an AliDNS record into the libdns typed struct for its
// type (libdns.RR for types libdns does not model, such as REDIRECT_URL),
// with RecordInfo in ProviderData.
func fromAPI(r apiRecord) libdns.Record {
	rr := libdns.RR{Name: r.RR, TTL: time.Duration(r.TTL) * time.Second, Type: strings.ToUpper(r.Type), Data: r.Value}
	if rr.Name == "" {
		rr.Name = "@"
	}
	switch rr.Type {
	case "CNAME", "NS":
		rr.Data = hostFromAPI(r.Value)
	case "MX":
		rr.Data = fmt.Sprintf("%d %s", r.Priority, hostFromAPI(r.Value))
	case "SRV":
		if f := strings.Fields(r.Value); len(f) == 4 {
			rr.Data = strings.Join(append(f[:3:3], hostFromAPI(f[3])), " ")
		}
	case "HTTPS", "SVCB":
		target, params, _ := strings.Cut(r.Value, " ")
		if target != "." {
			target = hostFromAPI(target)
		}
		rr.Data = strings.TrimSpace(fmt.Sprintf("%d %s %s", r.Priority, target, params))
	}
	info := RecordInfo{RecordID: r.RecordID, Line: r.Line, Status: strings.ToUpper(r.Status), Locked: r.Locked, Weight: r.Weight, Remark: r.Remark}
	typed, err := rr.Parse()
	if err != nil {
		// A value libdns cannot parse is still a record of the zone;
		// return it opaque rather than failing the whole listing.
		return rr
	}
	// A typed record must map back to the record listed, or a delete by
	// what GetRecords gave would miss it or match another: libdns reads an
	// A holding an IPv6 address as AAAA and drops an AliasMode record's
	// params (FuzzReviewFromAPI of the security review). Such a record is
	// returned opaque, as listed.
	listed := r
	listed.RR = rr.Name
	if back, err := dataToAPI(typed.RR()); err != nil || !sameRecord(listed, back) {
		return rr
	}
	return withInfo(typed, info)
}

// withInfo sets ProviderData on the typed structs that have it.
func withInfo(rec libdns.Record, info RecordInfo) libdns.Record {
	switch r := rec.(type) {
	case libdns.Address:
		r.ProviderData = info
		return r
	case libdns.CAA:
		r.ProviderData = info
		return r
	case libdns.CNAME:
		r.ProviderData = info
		return r
	case libdns.MX:
		r.ProviderData = info
		return r
	case libdns.NS:
		r.ProviderData = info
		return r
	case libdns.SRV:
		r.ProviderData = info
		return r
	case libdns.ServiceBinding:
		r.ProviderData = info
		return r
	case libdns.TXT:
		r.ProviderData = info
		return r
	}
	return rec
}

// infoOf returns the RecordInfo this provider stored in rec, if any.
func infoOf(rec libdns.Record) (RecordInfo, bool) {
	var pd any
	switch r := rec.(type) {
	case libdns.Address:
		pd = r.ProviderData
	case libdns.CAA:
		pd = r.ProviderData
	case libdns.CNAME:
		pd = r.ProviderData
	case libdns.MX:
		pd = r.ProviderData
	case libdns.NS:
		pd = r.ProviderData
	case libdns.SRV:
		pd = r.ProviderData
	case libdns.ServiceBinding:
		pd = r.ProviderData
	case libdns.TXT:
		pd = r.ProviderData
	}
	switch v := pd.(type) {
	case RecordInfo:
		return v, v.RecordID != ""
	case *RecordInfo:
		if v != nil {
			return *v, v.RecordID != ""
		}
	}
	return RecordInfo{}, false
}
