package alidns

import (
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/libdns/libdns"
)

// An IDN zone as certmagic drives it: the zone in punycode, the apex and
// wildcard challenges at once (two TXT values on one name), two API calls
// per challenge, and AliDNS (like the simulator) refusing a punycode
// DomainName: every record action must carry the Unicode DomainName.
func TestIDNChallengeApexAndWildcard(t *testing.T) {
	s := newSim(t, "例子.中国")
	p := newProvider(s)
	const zone = "xn--fsqu00a.xn--fiqs8s." // what certmagic passes
	var wg sync.WaitGroup
	results := make([][]libdns.Record, 2)
	errs := make([]error, 2)
	for i, v := range []string{"apex-token", "wildcard-token"} {
		wg.Go(func() {
			results[i], errs[i] = p.AppendRecords(ctx(t), zone, []libdns.Record{libdns.RR{Type: "TXT", Name: "_acme-challenge", Data: v}})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if recs := s.Records("例子.中国"); len(recs) != 2 || recs[0].RR != "_acme-challenge" {
		t.Fatalf("zone holds %+v", recs)
	}
	for _, r := range results {
		if _, err := p.DeleteRecords(ctx(t), zone, r); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(s.Records("例子.中国")); n != 0 {
		t.Fatalf("%d records left", n)
	}
	if n := s.CallCount(""); n != 4 {
		t.Fatalf("%d calls for two challenges, want 4: %v", n, actions(s))
	}
	for _, c := range s.Calls() {
		if dn := c.Params.Get("DomainName"); dn != "" && dn != "例子.中国" {
			t.Errorf("%s sent DomainName %q, want the Unicode name", c.Action, dn)
		}
		if c.Code != "" {
			t.Errorf("%s answered %s", c.Action, c.Code)
		}
	}
}

// Names below an IDN zone, given relative or fully-qualified, in punycode
// or Unicode, land on one Unicode host record; lookups by name (delete
// without record id, SetRecords) find it again.
func TestIDNRecordNames(t *testing.T) {
	s := newSim(t, "例子.中国")
	p := newProvider(s)
	for _, tc := range []struct{ zone, name, wantRR string }{
		{"例子.中国.", "@", "@"},
		{"xn--fsqu00a.xn--fiqs8s.", "xn--fsqu00a.xn--fiqs8s.", "@"},
		{"XN--FSQU00A.xn--fiqs8s", "*", "*"},
		{"xn--fsqu00a.xn--fiqs8s.", "_acme-challenge.xn--0zwm56d", "_acme-challenge.测试"},
		{"xn--fsqu00a.xn--fiqs8s.", "_acme-challenge.xn--0zwm56d.xn--fsqu00a.xn--fiqs8s.", "_acme-challenge.测试"},
		{"例子.中国", "_acme-challenge.测试.例子.中国.", "_acme-challenge.测试"},
	} {
		got, err := p.AppendRecords(ctx(t), tc.zone, []libdns.Record{libdns.TXT{Name: tc.name, Text: "v"}})
		if err != nil {
			t.Fatalf("%s in %s: %v", tc.name, tc.zone, err)
		}
		recs := s.Records("例子.中国")
		if len(recs) != 1 || recs[0].RR != tc.wantRR {
			t.Fatalf("%s in %s: zone holds %+v, want RR %q", tc.name, tc.zone, recs, tc.wantRR)
		}
		// Delete by name and value (no record id), through the other form.
		other := "例子.中国."
		if !strings.HasPrefix(strings.ToLower(tc.zone), "xn--") {
			other = "xn--fsqu00a.xn--fiqs8s."
		}
		deleted, err := p.DeleteRecords(ctx(t), other, []libdns.Record{libdns.TXT{Name: tc.name, Text: "v"}})
		if err != nil || len(deleted) != 1 {
			t.Fatalf("delete %s via %s: %v (%d deleted; got %v)", tc.name, other, err, len(deleted), got)
		}
	}
	for _, c := range s.Calls() {
		if dn := c.Params.Get("DomainName"); dn != "" && dn != "例子.中国" {
			t.Errorf("%s sent DomainName %q", c.Action, dn)
		}
	}
	// GetRecords and SetRecords address the zone the same way.
	if _, err := p.SetRecords(ctx(t), "xn--fsqu00a.xn--fiqs8s.", []libdns.Record{libdns.Address{Name: "www", IP: netip.MustParseAddr("192.0.2.7")}}); err != nil {
		t.Fatal(err)
	}
	recs, err := p.GetRecords(ctx(t), "xn--fsqu00a.xn--fiqs8s.")
	if err != nil || len(recs) != 1 {
		t.Fatalf("GetRecords: %v, %v", recs, err)
	}
}

// A zone that is not hosted names the account's zones in both forms.
func TestIDNZoneNotHosted(t *testing.T) {
	s := newSim(t, "例子.中国")
	p := newProvider(s)
	_, err := p.AppendRecords(ctx(t), "xn--0zwm56d.xn--fsqu00a.xn--fiqs8s.", []libdns.Record{libdns.TXT{Name: "_acme-challenge", Text: "x"}})
	if err == nil || !strings.Contains(err.Error(), "例子.中国 (xn--fsqu00a.xn--fiqs8s) (a parent, hosted)") {
		t.Fatalf("err = %v", err)
	}
}

func TestUnicodeName(t *testing.T) {
	for in, want := range map[string]string{
		"Example.COM.":                "example.com",
		"xn--fsqu00a.XN--FIQS8S":      "例子.中国",
		"例子.中国.":                      "例子.中国",
		"_acme-challenge.xn--0zwm56d": "_acme-challenge.测试",
		"*.xn--bcher-kva.example":     "*.bücher.example",
		"Bücher.example":              "bücher.example",
	} {
		if got := unicodeName(in); got != want {
			t.Errorf("unicodeName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := asciiName("例子.中国."); got != "xn--fsqu00a.xn--fiqs8s" {
		t.Errorf("asciiName = %q", got)
	}
}
