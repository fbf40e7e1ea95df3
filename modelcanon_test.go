package alidns

// The model's own reading of the canonical ("stored") record: what AliDNS
// holds and what every method must return. It is written from the
// project's statement of the record semantics (issue 14), independently
// of the provider: nothing here calls toAPI, fromAPI, sameData or any
// other code of the package, so that a misreading in one is not hidden by
// the same misreading in the other.

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/libdns/libdns"

	"github.com/caddy-alidns/alidns/alidnstest"
)

const (
	canonDefaultTTL = 600   // TTL 0 means the provider's default (Provider.TTL unset)
	canonMaxTTL     = 86400 // above it: refused before any call
	canonMaxTXT     = 511   // longer TXT values: refused before any call
	canonMaxMXPref  = 50    // AliDNS accepts MX preference 1..50; 0 is stored as 1
	canonLine       = "default"
)

// crec is a record in canonical form.
type crec struct {
	ID     string
	Name   string // relative to the zone, lower case, "@" for the apex
	Type   string // upper case
	Value  string // the value without the priority (MX host, HTTPS/SVCB target and params)
	Prio   int64  // MX preference as stored, HTTPS/SVCB SvcPriority; 0 for other types
	TTL    int64
	Line   string
	Status string // ENABLE or DISABLE
}

func (c crec) String() string {
	s := c.Name + " " + c.Type + " "
	if c.Type == "MX" || c.Type == "HTTPS" || c.Type == "SVCB" {
		s += strconv.FormatInt(c.Prio, 10) + " "
	}
	s += short(c.Value) + "/" + strconv.FormatInt(c.TTL, 10)
	if c.Line != "" && c.Line != canonLine {
		s += " line=" + c.Line
	}
	if c.Status != "" && c.Status != "ENABLE" {
		s += " " + c.Status
	}
	if c.ID != "" {
		s += "#" + c.ID
	}
	return s
}

// short quotes a value, long ones shortened.
func short(v string) string {
	if len(v) > 48 {
		return strconv.Quote(v[:40]) + fmt.Sprintf("…(%d bytes)", len(v))
	}
	return strconv.Quote(v)
}

// dupKey is AliDNS's duplicate key: a second record with it is refused
// (DomainRecordDuplicate). Priority and TTL are not part of it.
func (c crec) dupKey() string { return c.Name + "\x00" + c.Type + "\x00" + c.Line + "\x00" + c.Value }

// data is everything but the id: two records with the same data are the
// same record for every comparison the model makes.
func (c crec) data() string {
	return fmt.Sprintf("%s\x00%s\x00%d\x00%d\x00%s\x00%s\x00%s", c.Name, c.Type, c.Prio, c.TTL, c.Line, c.Status, c.Value)
}

// live reports whether c is a member of an RRset the provider manages:
// enabled and on the provider's line.
func (c crec) live() bool { return c.Status == "ENABLE" && c.Line == canonLine }

// canonName returns the canonical name of a libdns name in zone (lower
// case, no dot): "", "@" and the zone's FQDN are the apex; a name with a
// trailing dot is absolute and must lie inside the zone.
func canonName(name, zone string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	switch {
	case n == "" || n == "@":
		return "@", nil
	case strings.HasSuffix(n, "."):
		n = strings.TrimSuffix(n, ".")
		if n == zone {
			return "@", nil
		}
		if rel, ok := strings.CutSuffix(n, "."+zone); ok && rel != "" {
			return rel, nil
		}
		return "", fmt.Errorf("name %q is outside zone %s", name, zone)
	}
	return n, nil
}

// canonTTL is the stored TTL of an input TTL in a zone whose edition
// accepts min and more.
func canonTTL(ttl time.Duration, min int64) (int64, error) {
	s := int64(ttl / time.Second)
	switch {
	case s < 0:
		return 0, fmt.Errorf("negative TTL")
	case s == 0:
		s = canonDefaultTTL
	case s > canonMaxTTL:
		return 0, fmt.Errorf("TTL %d s above %d s", s, canonMaxTTL)
	}
	return max(s, min), nil
}

// canonHost is a host name as stored: lower case, no trailing dot ("."
// alone stays, the ServiceBinding "same name" target).
func canonHost(h string) (string, error) {
	h = strings.TrimSpace(h)
	if h == "." {
		return h, nil
	}
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if h == "" || strings.ContainsAny(h, " \t\"") || strings.Contains(h, "..") || strings.HasPrefix(h, ".") {
		return "", fmt.Errorf("%q is not a host name", h)
	}
	return h, nil
}

// txtRefusal says why a TXT value must be refused before any call, or "".
func txtRefusal(s string) string {
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	switch {
	case s == "":
		return "empty"
	case strings.Contains(s, `"`):
		return "contains a double quote"
	case unicode.IsSpace(first) || unicode.IsSpace(last):
		return "leading or trailing white space"
	case oddBackslashRun(s):
		return "unpaired backslash"
	case len(s) > canonMaxTXT:
		return fmt.Sprintf("%d bytes, above %d", len(s), canonMaxTXT)
	}
	return ""
}

func oddBackslashRun(s string) bool {
	run := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] == '\\' {
			run++
			continue
		}
		if run%2 == 1 {
			return true
		}
		run = 0
	}
	return false
}

// svcKeyOrder is the RFC 9460 key number of a SvcParamKey name.
func svcKeyOrder(k string) int {
	switch k {
	case "mandatory":
		return 0
	case "alpn":
		return 1
	case "no-default-alpn":
		return 2
	case "port":
		return 3
	case "ipv4hint":
		return 4
	case "ech":
		return 5
	case "ipv6hint":
		return 6
	}
	if n, err := strconv.Atoi(strings.TrimPrefix(k, "key")); err == nil && strings.HasPrefix(k, "key") {
		return n
	}
	return 1 << 20
}

// canonSvcParams puts SvcParams in RFC 9460 key order. Values are kept
// (alpn=h2,h3 and alpn=h3,h2 differ); quotes around a value, and the "="
// of an empty one, go.
func canonSvcParams(params string) string {
	f := strings.Fields(params)
	for i, tok := range f {
		k, v, hasV := strings.Cut(tok, "=")
		k = strings.ToLower(k)
		if u, err := strconv.Unquote(v); hasV && err == nil {
			v = u
		}
		if v != "" {
			f[i] = k + "=" + v
		} else {
			f[i] = k // "key=" and "key" are the same empty value
		}
	}
	sort.SliceStable(f, func(i, j int) bool {
		ki, _, _ := strings.Cut(f[i], "=")
		kj, _, _ := strings.Cut(f[j], "=")
		if oi, oj := svcKeyOrder(ki), svcKeyOrder(kj); oi != oj {
			return oi < oj
		}
		return ki < kj
	})
	return strings.Join(f, " ")
}

// canonData returns the canonical value and priority of record data of
// type typ. For input (what a caller passes) the refusal rules and the
// stored form's mappings apply (MX preference 0 is stored as 1); for
// stored or returned data nothing is mapped, so that a wrong preference
// shows.
func canonData(typ, data string, input bool) (string, int64, error) {
	switch typ {
	case "A", "AAAA":
		ip, err := netip.ParseAddr(strings.TrimSpace(data))
		if input && typ == "A" && err == nil && ip.Is4In6() {
			ip = ip.Unmap() // a caller's "::ffff:192.0.2.1" is 192.0.2.1
		}
		if err != nil || ip.Is4() != (typ == "A") {
			return "", 0, fmt.Errorf("%q is not an %s address", data, typ)
		}
		return ip.String(), 0, nil
	case "CNAME", "NS":
		h, err := canonHost(data)
		return h, 0, err
	case "MX":
		f := strings.Fields(data)
		if len(f) != 2 {
			return "", 0, fmt.Errorf("MX %q: want preference and host", data)
		}
		pref, err := strconv.ParseUint(f[0], 10, 16)
		if err != nil {
			return "", 0, fmt.Errorf("MX preference %q", f[0])
		}
		if input && pref == 0 {
			pref = 1
		}
		if input && pref > canonMaxMXPref {
			return "", 0, fmt.Errorf("MX preference %d above %d", pref, canonMaxMXPref)
		}
		h, err := canonHost(f[1])
		return h, int64(pref), err
	case "SRV":
		f := strings.Fields(data)
		if len(f) != 4 {
			return "", 0, fmt.Errorf("SRV %q: want priority weight port target", data)
		}
		for i := range 3 {
			n, err := strconv.ParseUint(f[i], 10, 16)
			if err != nil {
				return "", 0, fmt.Errorf("SRV number %q", f[i])
			}
			f[i] = strconv.FormatUint(n, 10)
		}
		h, err := canonHost(f[3])
		f[3] = h
		return strings.Join(f, " "), 0, err
	case "CAA":
		f := strings.SplitN(strings.TrimSpace(data), " ", 3)
		if len(f) != 3 {
			return "", 0, fmt.Errorf(`CAA %q: want flags tag "value"`, data)
		}
		flags, err := strconv.ParseUint(f[0], 10, 8)
		if err != nil {
			return "", 0, fmt.Errorf("CAA flags %q", f[0])
		}
		v := f[2]
		if u, err := strconv.Unquote(v); err == nil {
			v = u
		}
		return fmt.Sprintf(`%d %s "%s"`, flags, strings.ToLower(f[1]), v), 0, nil
	case "HTTPS", "SVCB":
		f := strings.SplitN(strings.TrimSpace(data), " ", 3)
		if len(f) < 2 {
			return "", 0, fmt.Errorf("%s %q: want priority target [params]", typ, data)
		}
		prio, err := strconv.ParseUint(f[0], 10, 16)
		if err != nil {
			return "", 0, fmt.Errorf("%s priority %q", typ, f[0])
		}
		v, err := canonSvcValue(strings.Join(f[1:], " "))
		return v, int64(prio), err
	case "TXT":
		if input {
			if why := txtRefusal(data); why != "" {
				return "", 0, fmt.Errorf("TXT %q: %s", data, why)
			}
		}
		return data, 0, nil
	}
	return "", 0, fmt.Errorf("type %q is not modelled", typ)
}

// canonSvcValue is an HTTPS/SVCB value without its priority ("target
// params...") in canonical form.
func canonSvcValue(v string) (string, error) {
	target, params, _ := strings.Cut(strings.TrimSpace(v), " ")
	h, err := canonHost(target)
	if err != nil {
		return "", err
	}
	if p := canonSvcParams(params); p != "" {
		return h + " " + p, nil
	}
	return h, nil
}

// errNotStored marks a stored record whose value the model cannot read:
// the provider wrote something that is not a record of its type.
var errNotStored = errors.New("unreadable stored value")

// canonStored is the canonical form of a record the simulator holds.
func canonStored(r alidnstest.Record) (crec, error) {
	c := crec{ID: r.RecordID, Name: strings.ToLower(r.RR), Type: strings.ToUpper(r.Type), TTL: r.TTL, Line: r.Line, Status: strings.ToUpper(r.Status)}
	if c.Name == "" {
		c.Name = "@"
	}
	var err error
	switch c.Type {
	case "MX":
		c.Prio = r.Priority
		c.Value, err = canonHost(r.Value)
	case "HTTPS", "SVCB":
		c.Prio = r.Priority
		c.Value, err = canonSvcValue(r.Value)
	default:
		c.Value, _, err = canonData(c.Type, r.Value, false)
	}
	if err != nil {
		c.Value = r.Value
		return c, fmt.Errorf("%w: %s %s %q: %w", errNotStored, r.RR, r.Type, r.Value, err)
	}
	return c, nil
}

// returned is a record a method returned, with its name exactly as
// returned and its data in canonical form.
type returned struct {
	name string // as returned
	c    crec
	err  error
}

// canonReturned reads a returned libdns record. Its name is kept as
// returned; the canonical name is c.Name.
func canonReturned(rec libdns.Record) returned {
	rr := rec.RR()
	out := returned{name: rr.Name}
	out.c = crec{ID: idOf(rec), Name: strings.ToLower(rr.Name), Type: strings.ToUpper(rr.Type), TTL: int64(rr.TTL / time.Second), Line: canonLine, Status: "ENABLE"}
	if out.c.Name == "" {
		out.c.Name = "@"
	}
	out.c.Value, out.c.Prio, out.err = canonData(out.c.Type, rr.Data, false)
	return out
}

// canonInput is the record an input record must be stored as in zone, or
// why it must be refused before any call.
func canonInput(rec libdns.Record, zone string, min int64) (crec, error) {
	rr := rec.RR()
	name, err := canonName(rr.Name, zone)
	if err != nil {
		return crec{}, err
	}
	c := crec{Name: name, Type: strings.ToUpper(rr.Type), Line: canonLine, Status: "ENABLE"}
	if c.TTL, err = canonTTL(rr.TTL, min); err != nil {
		return c, err
	}
	if c.Value, c.Prio, err = canonData(c.Type, rr.Data, true); err != nil {
		return c, err
	}
	return c, nil
}

// canonInputs canonicalises the input of AppendRecords or SetRecords:
// identical records count once; two with the same duplicate key but
// another priority or TTL cannot be stored as one RRset and are refused.
func canonInputs(recs []libdns.Record, zone string, min int64) ([]crec, error) {
	var out []crec
	byKey := map[string]crec{}
	for _, rec := range recs {
		c, err := canonInput(rec, zone, min)
		if err != nil {
			return nil, err
		}
		if o, ok := byKey[c.dupKey()]; ok {
			if o.data() != c.data() {
				return nil, fmt.Errorf("%s and %s share the duplicate key", o, c)
			}
			continue
		}
		byKey[c.dupKey()] = c
		out = append(out, c)
	}
	return out, nil
}

// dmatch is one DeleteRecords input in canonical form: Type "" matches
// any type, TTL 0 any TTL, Value "" any value.
type dmatch struct {
	Name, Type, Value string
	Prio, TTL         int64
}

func (m dmatch) String() string {
	return fmt.Sprintf("%s %s %d %q/%d", m.Name, orAny(m.Type), m.Prio, m.Value, m.TTL)
}

func orAny(s string) string {
	if s == "" {
		return "*"
	}
	return s
}

func canonDelete(rec libdns.Record, zone string, min int64) (dmatch, error) {
	rr := rec.RR()
	name, err := canonName(rr.Name, zone)
	if err != nil {
		return dmatch{}, err
	}
	m := dmatch{Name: name, Type: strings.ToUpper(rr.Type)}
	if rr.TTL != 0 {
		if m.TTL, err = canonTTL(rr.TTL, min); err != nil {
			return m, err
		}
	}
	switch {
	case rr.Data == "":
	case m.Type == "TXT":
		// A value is matched as stored; the refusal rules are about
		// storing, and a zone may hold anything another tool wrote.
		m.Value = rr.Data
	default:
		if m.Value, m.Prio, err = canonData(m.Type, rr.Data, true); err != nil {
			return m, err
		}
	}
	return m, nil
}

// matches applies DeleteRecords' rule: enabled records on the provider's
// line, with name, type, TTL and value as asked, in canonical form.
func (m dmatch) matches(c crec) bool {
	return c.live() && c.Name == m.Name && (m.Type == "" || m.Type == c.Type) && (m.TTL == 0 || m.TTL == c.TTL) &&
		(m.Value == "" || (m.Value == c.Value && m.Prio == c.Prio))
}
