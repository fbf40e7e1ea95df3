package alidns

// TestModel's generators: the zones, names, values and TTLs it draws, the
// forms in which it passes them (typed libdns structs or libdns.RR, names
// relative or absolute in any case, apex as "@", "" or the zone's name),
// the invalid inputs the semantics refuse, and the records other tools
// place in the zone. Values are drawn in canonical form and then rendered
// in a random input form, so that the model knows what each input must be
// stored as without asking the provider.

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/libdns/libdns"

	"github.com/caddy-alidns/alidns/alidnstest"
)

// mzone is one of a worker's zones, all its own: every record in it is in
// the worker's model.
type mzone struct {
	name    string // lower case, no dot
	edition alidnstest.Edition
	min     int64
	recs    []srec // as after the worker's last operation
	// learned: since the last restart, this process wrote a TTL below
	// the minimum to the zone, so it knows the minimum (DeleteRecords
	// with a TTL below it is then matched in the stored form).
	learned bool
}

// srec is a record the simulator holds, raw and canonical.
type srec struct {
	raw alidnstest.Record
	c   crec
	// bad: the value could not have been stored through a correct
	// provider (unreadable, or input the semantics refuse): the model
	// builds no input from it.
	bad bool
}

// rkey is an RRset: canonical name and type.
type rkey struct{ Name, Type string }

func (k rkey) String() string { return k.Name + " " + k.Type }

// modelNames are the names of a worker's zones and the types drawn at
// each (a CNAME name holds nothing else, as AliDNS refuses the mix).
var modelNames = []struct {
	name  string
	types []string
}{
	{"@", []string{"A", "AAAA", "MX", "TXT", "CAA", "HTTPS"}},
	{"www", []string{"A", "AAAA", "TXT", "HTTPS"}},
	{"*", []string{"A", "TXT"}},
	{"*.sub", []string{"AAAA", "TXT"}},
	{"mixed.case", []string{"A", "TXT", "MX"}},
	{"alias", []string{"CNAME"}},
	{"*.cdn", []string{"CNAME"}},
	{"_sip._tcp", []string{"SRV"}},
	{"_dns.svc", []string{"SVCB"}},
}

// modelEditions are the editions of each worker's zones, with the
// minimum TTL each accepts.
var modelEditions = []struct {
	suffix  string
	edition alidnstest.Edition
}{
	{"free.com", alidnstest.EditionFree},
	{"basic.net", alidnstest.EditionEnterpriseBasic},
	{"ultimate.org", alidnstest.EditionEnterpriseAdvanced},
}

func (w *worker) randomZone() *mzone { return w.zones[w.rng.Intn(len(w.zones))] }

func (w *worker) randomKey() rkey {
	n := modelNames[w.rng.Intn(len(modelNames))]
	return rkey{n.name, n.types[w.rng.Intn(len(n.types))]}
}

func (w *worker) pick(n int) int { return w.rng.Intn(n) }

func (w *worker) chance(oneIn int) bool { return w.rng.Intn(oneIn) == 0 }

// randomCase changes the case of some letters.
func (w *worker) randomCase(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' && w.chance(2) {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// inputName renders a canonical name in a random input form. DeleteRecords
// requires a name, so "" is not drawn for it.
func (w *worker) inputName(z *mzone, name string, forDelete bool) string {
	switch w.pick(6) {
	case 0, 1:
		return name
	case 2:
		return w.randomCase(name)
	case 3, 4:
		if name == "@" {
			return w.randomCase(z.name) + "."
		}
		return w.randomCase(name+"."+z.name) + "."
	}
	if name == "@" && !forDelete && w.chance(2) {
		return ""
	}
	return w.randomCase(name)
}

// hostForm renders a canonical host name: any case, with or without the
// trailing dot.
func (w *worker) hostForm(h string) string {
	if h == "." {
		return h
	}
	h = w.randomCase(h)
	if w.chance(2) {
		h += "."
	}
	return h
}

// ---- TTLs ----

// ttlsFor lists input TTLs (seconds) that a zone stores as target: the
// target itself, 0 when it is the default, and values below the minimum
// when it is the minimum.
func ttlsFor(z *mzone, target int64) []int64 {
	out := []int64{target}
	if target == canonDefaultTTL {
		out = append(out, 0)
	}
	if target == z.min {
		for _, t := range []int64{1, 30, 59, 300, 599} {
			if t < z.min {
				out = append(out, t)
			}
		}
	}
	return out
}

// inputTTL draws an input TTL that the zone stores as target.
func (w *worker) inputTTL(z *mzone, target int64) time.Duration {
	ts := ttlsFor(z, target)
	return time.Duration(ts[w.pick(len(ts))]) * time.Second
}

// freshTTL draws a stored TTL for new records: the minimum, the default
// or above (up to the maximum), so that inputs below the minimum and 0
// follow from inputTTL.
func (w *worker) freshTTL(z *mzone) int64 {
	ts := []int64{z.min, z.min, canonDefaultTTL, 900, 3600, canonMaxTTL}
	if z.min < 60 {
		ts = append(ts, 60, 120)
	}
	return max(ts[w.pick(len(ts))], z.min)
}

// ---- values ----

// freshCanon draws a new canonical record for RRset k of zone z, with a
// value no record of the worker has held.
func (w *worker) freshCanon(z *mzone, k rkey) crec {
	w.seq++
	n := w.seq
	c := crec{Name: k.Name, Type: k.Type, TTL: w.freshTTL(z), Line: canonLine, Status: "ENABLE"}
	host := func(label string) string { return fmt.Sprintf("%s%d.w%d.example.net", label, n, w.id) }
	switch k.Type {
	case "A":
		c.Value = fmt.Sprintf("10.%d.%d.%d", w.id, n/250%250, n%250+1)
	case "AAAA":
		c.Value = netip.MustParseAddr(fmt.Sprintf("2001:db8:%x::%x", w.id, n)).String()
	case "CNAME":
		c.Value = host("t")
	case "TXT":
		c.Value = w.freshTXT(n)
	case "MX":
		c.Prio = []int64{1, 1, 5, 10, 20, 50}[w.pick(6)]
		c.Value = host("mx")
	case "SRV":
		c.Value = fmt.Sprintf("%d %d %d %s", w.pick(20), w.pick(100), 1000+n%60000, host("sip"))
	case "CAA":
		switch w.pick(3) {
		case 0:
			c.Value = fmt.Sprintf(`%d issue "ca%d.w%d.example"`, []int{0, 128}[w.pick(2)], n, w.id)
		case 1:
			c.Value = fmt.Sprintf(`0 issuewild "ca%d.w%d.example"`, n, w.id)
		default:
			c.Value = fmt.Sprintf(`0 iodef "mailto:w%d-%d@example.net"`, w.id, n)
		}
	case "HTTPS", "SVCB":
		c.Prio = int64(1 + w.pick(3))
		target := "."
		if k.Type == "SVCB" || w.chance(2) {
			target = host("svc")
		}
		c.Value = target + " " + canonSvcParams(w.freshSvcParams(n, k.Type))
	default:
		panic("freshCanon: type " + k.Type)
	}
	return c
}

// freshTXT draws a valid TXT value: plain, with inner spaces, over 255
// bytes (one value, not split), exactly 511 bytes, with paired
// backslashes, or non-ASCII.
func (w *worker) freshTXT(n int) string {
	base := fmt.Sprintf("w%d-v%d", w.id, n)
	switch w.pick(8) {
	case 0:
		return base + " with inner  spaces"
	case 1:
		return base + "-" + strings.Repeat("x", 300-len(base)-1)
	case 2:
		return base + "-" + strings.Repeat("y", canonMaxTXT-len(base)-1)
	case 3:
		return base + `\\paired`
	case 4:
		return base + "-ünïcode"
	}
	return base
}

// freshSvcParams draws two to five params, port unique.
func (w *worker) freshSvcParams(n int, typ string) string {
	ps := []string{fmt.Sprintf("port=%d", 1000+n%60000)}
	alpn := "h2,h3"
	if typ == "SVCB" {
		alpn = "dot"
	} else if w.chance(3) {
		alpn = "h3"
	}
	if !w.chance(4) {
		ps = append(ps, "alpn="+alpn)
		if w.chance(4) {
			ps = append(ps, "no-default-alpn")
		}
		if w.chance(5) {
			ps = append(ps, "mandatory=alpn,port")
		}
	}
	if w.chance(2) {
		ps = append(ps, fmt.Sprintf("ipv4hint=192.0.2.%d", n%250+1))
	}
	if w.chance(3) {
		ps = append(ps, fmt.Sprintf("ech=AEX%04dAAAw%d", n%10000, w.id))
	}
	if w.chance(4) {
		ps = append(ps, fmt.Sprintf("ipv6hint=2001:db8::%x", n))
	}
	return strings.Join(ps, " ")
}

// ---- rendering inputs ----

// render builds an input record that the model expects stored as c (its
// TTL drawn among those the zone stores as c.TTL), in a random form.
func (w *worker) render(z *mzone, c crec) libdns.Record {
	return w.renderTTL(z, c, w.inputTTL(z, c.TTL), false)
}

// renderTTL builds an input record for c with the given TTL. forDelete
// leaves out the empty name.
func (w *worker) renderTTL(z *mzone, c crec, ttl time.Duration, forDelete bool) libdns.Record {
	name := w.inputName(z, c.Name, forDelete)
	generic := w.chance(3)
	data := ""
	switch c.Type {
	case "A", "AAAA":
		ip := netip.MustParseAddr(c.Value)
		if !generic {
			return libdns.Address{Name: name, TTL: ttl, IP: ip}
		}
		data = c.Value
		if c.Type == "AAAA" && w.chance(2) {
			data = strings.ToUpper(ip.StringExpanded())
		}
		if c.Type == "A" && w.chance(3) {
			data = "::ffff:" + c.Value // the same IPv4 address, mapped
		}
	case "CNAME":
		if !generic {
			return libdns.CNAME{Name: name, TTL: ttl, Target: w.hostForm(c.Value)}
		}
		data = w.hostForm(c.Value)
	case "TXT":
		if !generic {
			return libdns.TXT{Name: name, TTL: ttl, Text: c.Value}
		}
		data = c.Value
	case "MX":
		pref := c.Prio
		if pref == 1 && w.chance(2) {
			pref = 0 // stored as 1
		}
		if !generic {
			return libdns.MX{Name: name, TTL: ttl, Preference: uint16(pref), Target: w.hostForm(c.Value)}
		}
		data = fmt.Sprintf("%d %s", pref, w.hostForm(c.Value))
	case "SRV":
		f := strings.Fields(c.Value)
		if !generic && c.Name == "_sip._tcp" {
			num := func(s string) uint16 { n, _ := strconv.ParseUint(s, 10, 16); return uint16(n) }
			base := "@"
			if w.chance(2) {
				base = w.randomCase(z.name) + "."
			}
			return libdns.SRV{Service: "sip", Transport: "tcp", Name: base, TTL: ttl,
				Priority: num(f[0]), Weight: num(f[1]), Port: num(f[2]), Target: w.hostForm(f[3])}
		}
		if w.chance(6) {
			f[2] = "0" + f[2] // numbers are normalised
		}
		data = strings.Join(append(f[:3:3], w.hostForm(f[3])), " ")
	case "CAA":
		f := strings.SplitN(c.Value, " ", 3)
		flags, _ := strconv.ParseUint(f[0], 10, 8)
		val, _ := strconv.Unquote(f[2])
		if !generic {
			return libdns.CAA{Name: name, TTL: ttl, Flags: uint8(flags), Tag: w.randomCase(f[1]), Value: val}
		}
		data = fmt.Sprintf(`%d %s "%s"`, flags, w.randomCase(f[1]), val)
	case "HTTPS", "SVCB":
		target, params, _ := strings.Cut(c.Value, " ")
		if !generic && (c.Type == "HTTPS" || c.Name == "_dns.svc") {
			sb := libdns.ServiceBinding{Scheme: "https", Name: name, TTL: ttl, Priority: uint16(c.Prio), Target: w.hostForm(target), Params: svcMap(params)}
			if c.Type == "SVCB" {
				// RR() prefixes "_dns." to the name.
				sb.Scheme, sb.Name = "dns", w.inputName(z, "svc", forDelete)
			}
			return sb
		}
		f := strings.Fields(params)
		w.rng.Shuffle(len(f), func(i, j int) { f[i], f[j] = f[j], f[i] })
		data = strings.TrimSpace(fmt.Sprintf("%d %s %s", c.Prio, w.hostForm(target), strings.Join(f, " ")))
	default:
		panic("render: type " + c.Type)
	}
	return libdns.RR{Name: name, TTL: ttl, Type: c.Type, Data: data}
}

// svcMap is the libdns form of canonical params (printed in map order).
func svcMap(params string) libdns.SvcParams {
	m := libdns.SvcParams{}
	for _, tok := range strings.Fields(params) {
		k, v, hasV := strings.Cut(tok, "=")
		if !hasV {
			m[k] = []string{}
			continue
		}
		m[k] = strings.Split(v, ",")
	}
	return m
}

// ---- invalid inputs ----

// invalidRecord draws an input record the semantics refuse before any
// call, in RRset k (whose type it may change to one that can be invalid).
func (w *worker) invalidRecord(z *mzone, k rkey) (libdns.Record, string) {
	name := w.inputName(z, k.Name, false)
	switch w.pick(8) {
	case 0:
		return libdns.TXT{Name: name, Text: fmt.Sprintf(`w%d say "hi"`, w.id)}, "TXT with a double quote"
	case 1:
		return libdns.TXT{Name: name, Text: fmt.Sprintf(" w%d-lead", w.id)}, "TXT with leading space"
	case 2:
		return libdns.RR{Name: name, Type: "TXT", Data: fmt.Sprintf("w%d-trail ", w.id)}, "TXT with trailing space"
	case 3:
		return libdns.TXT{Name: name, Text: fmt.Sprintf(`w%d-odd\backslash`, w.id)}, "TXT with an unpaired backslash"
	case 4:
		return libdns.TXT{Name: name, Text: strings.Repeat("z", canonMaxTXT+1+w.pick(300))}, "TXT over 511 bytes"
	case 5:
		return libdns.MX{Name: name, Preference: uint16(canonMaxMXPref + 1 + w.pick(100)), Target: "mx.example.net."}, "MX preference above 50"
	case 6:
		return libdns.TXT{Name: name}, "empty TXT"
	}
	c := w.freshCanon(z, k)
	return w.renderTTL(z, c, time.Duration(canonMaxTTL+1+w.pick(100000))*time.Second, false), "TTL above 86400"
}

// ---- records placed by other tools ----

// foreignKinds are how a record came into a zone without this provider.
var foreignKinds = []string{"earlier run", "other tool", "disabled", "other line"}

// placeForeign puts a record into z directly (PutRecord), as another tool,
// an earlier run or the console would have, and returns it.
func (w *worker) placeForeign(z *mzone, kind string) srec {
	k := w.randomKey()
	if k.Type == "CNAME" && hasName(z.recs, k.Name) {
		k = rkey{"www", "TXT"} // one CNAME per name
	}
	c := w.freshCanon(z, k)
	rd := w.r.readings
	// As this AliDNS reading stores what this provider sends: an earlier
	// run's record is stored as this run's would be.
	raw := alidnstest.Record{RR: c.Name, Type: c.Type, Value: rd.StoredValue(c.Type, c.Value), Priority: c.Prio, TTL: c.TTL}
	switch kind {
	case "other tool":
		// What another client may have sent, as this AliDNS reading
		// stores it: hosts in any case, params in another order.
		if rd.RRCase == alidnstest.RRKeep {
			raw.RR = w.randomCase(raw.RR)
		}
		switch c.Type {
		case "CNAME", "MX":
			raw.Value = strings.ToUpper(c.Value)
		case "SRV":
			f := strings.Fields(c.Value)
			f[3] = w.randomCase(f[3])
			raw.Value = strings.Join(f, " ")
		case "HTTPS", "SVCB":
			raw.Value = otherParamOrder(c.Value, rd.SvcParams == alidnstest.SvcParamsReordered, w)
		}
	case "disabled":
		raw.Status = "DISABLE"
	case "other line":
		raw.Line = "telecom"
		// Often the value of a record of the provider's line: the line is
		// part of the duplicate key, so both exist.
		for _, s := range z.recs {
			if s.c.live() && s.c.Type == c.Type && s.c.Name == c.Name && w.chance(2) {
				raw.Value, raw.Priority = s.raw.Value, s.raw.Priority
				break
			}
		}
	}
	put := w.r.s.PutRecord(z.name, raw)
	sr := srec{raw: put}
	var err error
	if sr.c, err = canonStored(put); err != nil {
		panic(fmt.Sprintf("placeForeign: %v", err))
	}
	return sr
}

// otherParamOrder reorders the params of a canonical HTTPS/SVCB value: by
// key name as a normalising store would, else reversed.
func otherParamOrder(v string, byName bool, w *worker) string {
	target, params, _ := strings.Cut(v, " ")
	f := strings.Fields(params)
	if byName {
		sort.Strings(f)
	} else {
		for i, j := 0, len(f)-1; i < j; i, j = i+1, j-1 {
			f[i], f[j] = f[j], f[i]
		}
	}
	return strings.TrimSpace(w.randomCase(target) + " " + strings.Join(f, " "))
}
