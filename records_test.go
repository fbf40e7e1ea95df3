package alidns

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/libdns/libdns"
	"golang.org/x/net/idna"

	"github.com/caddy-alidns/alidns/alidnstest"
)

func TestToAPIMapping(t *testing.T) {
	for _, tc := range []struct {
		in   libdns.Record
		want apiValue
	}{
		{libdns.Address{Name: "www", IP: netip.MustParseAddr("192.0.2.1")}, apiValue{RR: "www", Type: "A", Value: "192.0.2.1"}},
		{libdns.Address{Name: "v6", IP: netip.MustParseAddr("2001:db8::1"), TTL: time.Hour}, apiValue{RR: "v6", Type: "AAAA", Value: "2001:db8::1", TTL: 3600}},
		{libdns.CNAME{Name: "c", Target: "target.example.com."}, apiValue{RR: "c", Type: "CNAME", Value: "target.example.com"}},
		{libdns.MX{Name: "@", Preference: 10, Target: "mx.example.com."}, apiValue{RR: "@", Type: "MX", Value: "mx.example.com", Priority: 10}},
		{libdns.NS{Name: "sub", Target: "ns1.example.net."}, apiValue{RR: "sub", Type: "NS", Value: "ns1.example.net"}},
		{libdns.TXT{Name: "t", Text: `v=spf1 'single' \\ back  two  spaces`}, apiValue{RR: "t", Type: "TXT", Value: `v=spf1 'single' \\ back  two  spaces`}},
		{libdns.TXT{Name: "long", Text: strings.Repeat("k", 511)}, apiValue{RR: "long", Type: "TXT", Value: strings.Repeat("k", 511)}},
		{libdns.CNAME{Name: "WWW.Sub", Target: "Target.Example.COM."}, apiValue{RR: "www.sub", Type: "CNAME", Value: "target.example.com"}},
		{libdns.MX{Name: "@", Preference: 0, Target: "mx.example.com."}, apiValue{RR: "@", Type: "MX", Value: "mx.example.com", Priority: 1}},
		{libdns.CAA{Name: "@", Flags: 128, Tag: "ISSUE", Value: "ca.example"}, apiValue{RR: "@", Type: "CAA", Value: `128 issue "ca.example"`}},
		{libdns.RR{Name: "h", Type: "HTTPS", Data: `1 Svc.Example. port=8443 ipv6hint=2001:db8::1 alpn=h2,h3 mandatory=alpn`}, apiValue{RR: "h", Type: "HTTPS", Value: "svc.example mandatory=alpn alpn=h2,h3 port=8443 ipv6hint=2001:db8::1", Priority: 1}},
		{libdns.SRV{Service: "sip", Transport: "tcp", Name: "@", Priority: 1, Weight: 2, Port: 5060, Target: "sip.example.com."}, apiValue{RR: "_sip._tcp", Type: "SRV", Value: "1 2 5060 sip.example.com"}},
		{libdns.CAA{Name: "@", Flags: 0, Tag: "issue", Value: "letsencrypt.org"}, apiValue{RR: "@", Type: "CAA", Value: `0 issue "letsencrypt.org"`}},
		{libdns.ServiceBinding{Scheme: "https", Name: "@", Priority: 1, Target: ".", Params: libdns.SvcParams{"alpn": {"h2", "h3"}}}, apiValue{RR: "@", Type: "HTTPS", Value: ". alpn=h2,h3", Priority: 1}},
		{libdns.ServiceBinding{Scheme: "https", Name: "alias", Priority: 0, Target: "cdn.example.net."}, apiValue{RR: "alias", Type: "HTTPS", Value: "cdn.example.net"}},
		{libdns.RR{Name: "r", Type: "redirect_url", Data: "https://example.org/"}, apiValue{RR: "r", Type: "REDIRECT_URL", Value: "https://example.org/"}},
		// An IPv4-mapped address in an A record is its IPv4 address (sent
		// mapped, it read back as AAAA: FuzzToAPI); in AAAA it stays.
		{libdns.RR{Name: "m", Type: "A", Data: "::ffff:192.0.2.1"}, apiValue{RR: "m", Type: "A", Value: "192.0.2.1"}},
		{libdns.RR{Name: "m", Type: "AAAA", Data: "::ffff:192.0.2.1"}, apiValue{RR: "m", Type: "AAAA", Value: "::ffff:192.0.2.1"}},
	} {
		got, err := toAPI(tc.in.RR())
		if err != nil {
			t.Errorf("%+v: %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("toAPI(%+v)\n got %+v\nwant %+v", tc.in, got, tc.want)
		}
	}
}

func TestToAPIRejectsBadInput(t *testing.T) {
	for _, rr := range []libdns.RR{
		{Name: "a", Type: "A", Data: "not-an-ip"},
		{Name: "a", Type: "A", Data: "2001:db8::1"},
		{Name: "a", Type: "AAAA", Data: "192.0.2.1"},
		{Name: "m", Type: "MX", Data: "mx.example.com"},
		{Name: "m", Type: "MX", Data: "99 mx.example.com"},
		{Name: "s", Type: "SRV", Data: "1 2 mx"},
		{Name: "h", Type: "HTTPS", Data: "x ."},
		{Name: "c", Type: "CNAME", Data: ""},
		{Name: "n", Type: "NS", Data: "0\r."}, // FuzzToAPI
		{Name: "c", Type: "CNAME", Data: "a\x00b.example."},
		{Name: "m", Type: "MX", Data: "10 mx\x7f.example."},
		{Name: "c", Type: "CNAME", Data: "00\x9e\x9e.example."}, // FuzzToAPI
		{Name: "t", Type: "TXT", Data: "v=\xff\xfe"},
		{Name: "x", Type: "", Data: "y"},
		{Name: "t", Type: "TXT", Data: ""},
		{Name: "t", Type: "TXT", Data: `say "hi"`},
		{Name: "t", Type: "TXT", Data: " padded"},
		{Name: "t", Type: "TXT", Data: "padded "},
		{Name: "t", Type: "TXT", Data: "tab\tinside"},
		{Name: "t", Type: "TXT", Data: `one \ backslash`},
		{Name: "t", Type: "TXT", Data: `three \\\ backslashes`},
		{Name: "t", Type: "TXT", Data: strings.Repeat("k", 512)},
		{Name: "h", Type: "HTTPS", Data: `1 . alpn="h2`},
		{Name: "h", Type: "HTTPS", Data: `0 cdn.example.net. alpn=h2`}, // AliasMode takes no params
	} {
		if v, err := toAPI(rr); err == nil {
			t.Errorf("toAPI(%+v) = %+v, want an error", rr, v)
		} else if !strings.Contains(err.Error(), rr.Name) {
			t.Errorf("error does not name the record: %v", err)
		}
	}
}

func TestFromAPITypes(t *testing.T) {
	for _, tc := range []struct {
		in   apiRecord
		want string // %T of the result
		data string
	}{
		{apiRecord{RR: "www", Type: "A", Value: "192.0.2.1", TTL: 600}, "libdns.Address", "192.0.2.1"},
		{apiRecord{RR: "@", Type: "MX", Value: "mx.example.com", Priority: 5, TTL: 600}, "libdns.MX", "5 mx.example.com."},
		{apiRecord{RR: "_sip._tcp", Type: "SRV", Value: "1 2 5060 sip.example.com", TTL: 600}, "libdns.SRV", "1 2 5060 sip.example.com."},
		{apiRecord{RR: "@", Type: "HTTPS", Value: ". alpn=h2", Priority: 1, TTL: 600}, "libdns.ServiceBinding", "1 . alpn=h2"},
		{apiRecord{RR: "c", Type: "CNAME", Value: "t.example.com", TTL: 600}, "libdns.CNAME", "t.example.com."},
		{apiRecord{RR: "r", Type: "REDIRECT_URL", Value: "https://example.org/", TTL: 600}, "libdns.RR", "https://example.org/"},
		{apiRecord{RR: "bad", Type: "A", Value: "garbage", TTL: 600}, "libdns.RR", "garbage"},
		// Typed, these would send back as another record (AAAA; an
		// AliasMode record without its params): returned as listed.
		{apiRecord{RR: "a", Type: "A", Value: "::1", TTL: 600}, "libdns.RR", "::1"},
		{apiRecord{RR: "h", Type: "HTTPS", Value: ". alpn=h2", Priority: 0, TTL: 600}, "libdns.RR", "0 . alpn=h2"},
	} {
		got := fromAPI(tc.in)
		if fmt.Sprintf("%T", got) != tc.want || got.RR().Data != tc.data {
			t.Errorf("fromAPI(%+v) = %T %q, want %s %q", tc.in, got, got.RR().Data, tc.want, tc.data)
		}
	}
}

func TestRelativeName(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"", "@"}, {"@", "@"}, {"www", "www"}, {"_acme-challenge.www", "_acme-challenge.www"},
		{"example.com.", "@"}, {"WWW.Example.COM.", "www"}, {"a.b.example.com.", "a.b"},
		{"*", "*"}, {"*.example.com.", "*"}, {"_sip._tcp.@", "_sip._tcp"},
	} {
		got, err := relativeName(tc.name, "example.com")
		if err != nil || got != tc.want {
			t.Errorf("relativeName(%q) = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	for _, bad := range []string{"a b", "a\rb", "¯.example.com.", "x\u0085y.example.com."} {
		// White space, typed in or left by IDNA mapping (FuzzRelativeName).
		if got, err := relativeName(bad, "example.com"); err == nil || !strings.Contains(err.Error(), "white space or a control character") {
			t.Errorf("relativeName(%q) = %q, %v; want a white space error", bad, got, err)
		}
	}
	for _, bad := range []string{"a\xffb", "a\xff.example.com."} {
		if got, err := relativeName(bad, "example.com"); err == nil || !strings.Contains(err.Error(), "is not valid UTF-8") {
			t.Errorf("relativeName(%q) = %q, %v; want a UTF-8 error", bad, got, err)
		}
	}
	for _, bad := range []string{"notexample.com.", "www.other.org.", "com."} {
		if got, err := relativeName(bad, "example.com"); err == nil {
			t.Errorf("relativeName(%q) = %q, want an error", bad, got)
		}
	}
}

func TestAPIZone(t *testing.T) {
	for in, want := range map[string]string{
		"example.com.": "example.com", "Example.COM": "example.com", " example.com. ": "example.com",
		// AliDNS wants an IDN zone's Unicode DomainName (idn.go).
		"例子.中国.": "例子.中国", "XN--FSQU00A.XN--FIQS8S.": "例子.中国",
		"bücher.de": "bücher.de", "xn--bcher-kva.de": "bücher.de",
	} {
		if got, err := apiZone(in); err != nil || got != want {
			t.Errorf("apiZone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", ".", "  "} {
		if _, err := apiZone(bad); err == nil {
			t.Errorf("apiZone(%q) accepted", bad)
		}
	}
	// Broken punycode is refused whatever its case: "XN--0" once passed
	// as a plain ASCII label and came back as "xn--0", which apiZone then
	// refused (found by FuzzZoneNames, testdata/fuzz/FuzzZoneNames).
	for _, bad := range []string{"xn--0.com", "XN--0.com", "Xn--0.COM"} {
		_, err := apiZone(bad)
		if want := fmt.Sprintf("zone %q is not a valid domain name", bad); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("apiZone(%q): %v; want %q", bad, err, want)
		}
	}
	// White space inside a zone name is refused, not sent or trimmed on
	// a later reading ("0 . ." once became "0 ", then "0").
	for _, bad := range []string{"0 . .", "example .com", "exa\tmple.com.", "exa\x00mple.com"} {
		_, err := apiZone(bad)
		if want := fmt.Sprintf("zone %q has white space or a control character inside it", bad); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("apiZone(%q): %v; want %q", bad, err, want)
		}
	}
	// Punycode decoding to a name that reads back otherwise is refused:
	// "Xn--00A" decodes to "Ш", read back as "ш".
	for _, bad := range []string{"xn--00a.com", "Xn--00A"} {
		_, err := apiZone(bad)
		if want := fmt.Sprintf("zone %q is not a valid domain name: it decodes from punycode to", bad); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "not in normal form") {
			t.Errorf("apiZone(%q): %v; want %q ... not in normal form", bad, err, want)
		}
	}
	// Labels and names past the DNS limits, counted in punycode.
	for bad, want := range map[string]string{
		strings.Repeat("a", 64) + ".com":                       "is 64 characters in ASCII form, more than 63",
		strings.Repeat(";", 70) + "ʉ":                          "more than 63", // FuzzZoneNames
		strings.Repeat("ü", 62) + ".de":                        "more than 63",
		strings.Repeat(strings.Repeat("a", 60)+".", 5) + "com": "more than 253",
	} {
		if _, err := apiZone(bad); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("apiZone(%.30q…): %v; want %q", bad, err, want)
		}
	}
	long := strings.Repeat("a", 63) + ".com"
	if got, err := apiZone(long); err != nil || got != long {
		t.Errorf("a 63-character label: %q, %v; want it unchanged", got, err)
	}
	// Nor may punycode decode to such a character ("xn--fa" is U+0085).
	for _, bad := range []string{"xn--fa.com", "Xn--fA"} {
		_, err := apiZone(bad)
		if want := fmt.Sprintf("zone %q is not a valid domain name: it decodes from punycode to white space", bad); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("apiZone(%q): %v; want %q", bad, err, want)
		}
	}
}

// randomRecord returns a random typed record of every kind the provider
// maps, with values AliDNS accepts.
func randomRecord(r *rand.Rand, i int) libdns.Record {
	name := fmt.Sprintf("rt%d", i)
	ttl := time.Duration(600+r.IntN(3)*600) * time.Second
	host := func() string { return fmt.Sprintf("h%d.example.net.", r.IntN(1000)) }
	switch r.IntN(10) {
	case 0:
		return libdns.Address{Name: name, TTL: ttl, IP: netip.AddrFrom4([4]byte{10, byte(r.IntN(256)), byte(r.IntN(256)), byte(1 + r.IntN(254))})}
	case 1:
		var b [16]byte
		b[0], b[1] = 0x20, 0x01
		for j := 2; j < 16; j++ {
			b[j] = byte(r.IntN(256))
		}
		return libdns.Address{Name: name, TTL: ttl, IP: netip.AddrFrom16(b)}
	case 2:
		return libdns.CNAME{Name: name, TTL: ttl, Target: host()}
	case 3:
		return libdns.MX{Name: name, TTL: ttl, Preference: uint16(1 + r.IntN(50)), Target: host()}
	case 4:
		return libdns.NS{Name: name, TTL: ttl, Target: host()}
	case 5:
		// Everything AliDNS stores as given (checkTXT), beyond one
		// 255-byte DNS string.
		const alphabet = `abcXYZ019 '\;=+/_-.中文é`
		n := 1 + r.IntN(maxTXT-2)
		b := []byte("x")
		for {
			rs := []rune(alphabet)
			c := string(rs[r.IntN(len(rs))])
			if c == `\` {
				c = `\\` // a single one is refused
			}
			if len(b)+len(c) > n {
				break
			}
			b = append(b, c...)
		}
		text := string(b[1:])
		return libdns.TXT{Name: name, TTL: ttl, Text: "x" + text + "x"}
	case 6:
		return libdns.SRV{Service: "svc", Transport: "tcp", Name: name, TTL: ttl, Priority: uint16(r.IntN(100)), Weight: uint16(r.IntN(100)), Port: uint16(1 + r.IntN(65535)), Target: host()}
	case 7:
		tags := []string{"issue", "issuewild", "iodef"}
		return libdns.CAA{Name: name, TTL: ttl, Flags: uint8(r.IntN(2) * 128), Tag: tags[r.IntN(3)], Value: fmt.Sprintf("ca%d.example", r.IntN(100))}
	case 8:
		return libdns.ServiceBinding{Scheme: "https", Name: name, TTL: ttl, Priority: uint16(1 + r.IntN(10)), Target: ".", Params: libdns.SvcParams{"alpn": {"h2", "h3"}}}
	default:
		return libdns.ServiceBinding{Scheme: "dns", Name: name, TTL: ttl, Priority: uint16(1 + r.IntN(10)), Target: host(), Params: libdns.SvcParams{"port": {fmt.Sprint(1 + r.IntN(65535))}}}
	}
}

// Every typed record survives a round trip through the simulator: what
// GetRecords returns is the same record (same RR and same Go type).
func TestTypedRecordsRoundTrip(t *testing.T) {
	s := newSim(t, "example.com")
	p := newProvider(s)
	r := rand.New(rand.NewPCG(1, 2))
	in := make([]libdns.Record, 200)
	for i := range in {
		in[i] = randomRecord(r, i)
	}
	created, err := p.AppendRecords(ctx(t), "example.com.", in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.GetRecords(ctx(t), "example.com.")
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]libdns.Record{}
	for _, g := range got {
		byName[g.RR().Name+"/"+g.RR().Type] = g
	}
	for i, want := range in {
		wrr := want.RR()
		g, ok := byName[wrr.Name+"/"+wrr.Type]
		if !ok {
			t.Errorf("%+v not returned", wrr)
			continue
		}
		if fmt.Sprintf("%T", g) != fmt.Sprintf("%T", want) {
			t.Errorf("%s: type %T, want %T", wrr.Name, g, want)
		}
		if grr := g.RR(); grr != wrr {
			t.Errorf("round trip changed the record:\n sent %+v\n  got %+v", wrr, grr)
		}
		if crr := created[i].RR(); crr != wrr {
			t.Errorf("AppendRecords returned %+v for %+v", crr, wrr)
		}
	}
}

func FuzzToAPI(f *testing.F) {
	for _, seed := range []struct{ name, typ, data string }{
		{"www", "A", "192.0.2.1"}, {"@", "MX", "10 mx.example.com."}, {"_s._tcp", "SRV", "1 2 3 t."},
		{"h", "HTTPS", "1 . alpn=h2"}, {"t", "TXT", `"quoted" text`}, {"c", "CAA", `0 issue "ca"`},
		{"x", "CNAME", "a.b."}, {"", "", ""}, {"n", "NS", "ns."}, {"v6", "AAAA", "::ffff:1.2.3.4"},
	} {
		f.Add(seed.name, seed.typ, seed.data)
	}
	f.Fuzz(func(t *testing.T, name, typ, data string) {
		rr := libdns.RR{Name: name, Type: typ, Data: data}
		v, err := toAPI(rr)
		if err != nil {
			return
		}
		if v.Type != strings.ToUpper(typ) {
			t.Fatalf("type %q became %q", typ, v.Type)
		}
		if (v.Type == "MX") && (v.Priority < 1 || v.Priority > 50) {
			t.Fatalf("MX priority %d outside AliDNS's range", v.Priority)
		}
		// What is sent is already in stored form ...
		if got := storedValue(v.Type, v.Value); got != v.Value {
			t.Fatalf("%+v: sent value %q is not in stored form %q", rr, v.Value, got)
		}
		if v.Type == "TXT" && v.Value != data {
			t.Fatalf("TXT changed: %q -> %q", data, v.Value)
		}
		// ... and the record returned for it (libdns prints HTTPS params
		// from a map, in random order) reads back as the same record.
		back := fromAPI(apiRecord{RR: v.RR, Type: v.Type, Value: v.Value, Priority: v.Priority})
		brr := back.RR()
		brr.Name = v.RR
		w, err := dataToAPI(brr)
		if err != nil {
			if _, isRR := back.(libdns.RR); isRR {
				return // libdns could not parse it either way: returned opaque
			}
			t.Fatalf("%+v -> %+v -> %+v: %v", rr, v, brr, err)
		}
		if w.key() != v.key() || !samePriority(v.Type, w.Priority, v.Priority) {
			t.Fatalf("%+v -> %+v -> %q -> %+v: not the same stored record", rr, v, brr.Data, w)
		}
	})
}

func FuzzRelativeName(f *testing.F) {
	for _, s := range []string{"", "@", "www", "www.example.com.", "example.com.", "x.other.org.", "*.example.com.", "a..example.com.", "EXAMPLE.com."} {
		f.Add(s)
	}
	uts46 := idna.New(idna.MapForLookup(), idna.Transitional(false), idna.StrictDomainName(false))
	f.Fuzz(func(t *testing.T, name string) {
		rel, err := relativeName(name, "example.com")
		if err != nil {
			return
		}
		if rel == "" {
			t.Fatalf("empty RR for %q", name)
		}
		if strings.HasSuffix(name, ".") && rel != "@" {
			// An accepted FQDN lies inside the zone and maps back to itself.
			if got := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(name), ".")); got != rel+".example.com" && !strings.HasPrefix(got, "xn--") && !strings.Contains(got, "xn--") {
				// UTS 46 maps some characters as a browser does ("²" is
				// "2", "½" is "1⁄2"), so the name may come back in its
				// mapped form: both read the same through the mapping.
				ascii := subDomain(rel, "example.com")
				mapped, err1 := uts46.ToASCII(got)
				back, err2 := uts46.ToASCII(ascii)
				if !strings.EqualFold(ascii, got) && (err1 != nil || err2 != nil || !strings.EqualFold(mapped, back)) {
					t.Fatalf("%q -> %q does not map back (%q)", name, rel, ascii)
				}
			}
		}
	})
}

var _ = alidnstest.EditionFree
