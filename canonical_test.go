package alidns

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/libdns/libdns"

	"github.com/caddy-alidns/alidns/alidnstest"
)

// Regression tests of issue 14: every comparison and every returned record
// uses the stored form (canonical.go).

func zoneWithPriority(s *alidnstest.Server, zone string) []string {
	var out []string
	for _, r := range s.Records(zone) {
		out = append(out, fmt.Sprintf("%s %s %d %s %d", r.RR, r.Type, r.Priority, r.Value, r.TTL))
	}
	sort.Strings(out)
	return out
}

// Item 1: a record already as it would be stored (TTL raised to the Free
// edition's 600) is kept, even before the provider has learned the zone's
// minimum: the no-op update AliDNS would refuse is never sent.
func TestSetRecordsKeepsRecordStoredAtZoneMinimum(t *testing.T) {
	for _, tc := range []struct {
		name string
		put  alidnstest.Record
		set  libdns.Record
	}{
		{"A", alidnstest.Record{RR: "www", Type: "A", Value: "192.0.2.1", TTL: 600},
			libdns.Address{Name: "www", IP: addrs(0, "192.0.2.1")[0].(libdns.Address).IP, TTL: 300 * time.Second}},
		// Caddy's ECH publisher after a restart: its HTTPS record, TTL 5m.
		{"ECH HTTPS", alidnstest.Record{RR: "www", Type: "HTTPS", Value: ". ech=AEXAAA", Priority: 2, TTL: 600},
			libdns.ServiceBinding{Scheme: "https", Name: "www", TTL: 5 * time.Minute, Priority: 2, Target: ".", Params: libdns.SvcParams{"ech": {"AEXAAA"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, "example.com") // Free: minimum TTL 600
			p := newProvider(s)
			pre := s.PutRecord("example.com", tc.put)
			got, err := p.SetRecords(ctx(t), "example.com.", []libdns.Record{tc.set})
			if err != nil {
				t.Fatalf("SetRecords of what the zone already holds: %v (calls %v)", err, actions(s))
			}
			if info, _ := infoOf(got[0]); len(got) != 1 || got[0].RR().TTL != 600*time.Second || info.RecordID != pre.RecordID {
				t.Fatalf("returned %+v", got)
			}
			if recs := s.Records("example.com"); len(recs) != 1 || recs[0].RecordID != pre.RecordID || recs[0].TTL != 600 {
				t.Fatalf("zone %+v", recs)
			}
			// Now the minimum is known: no write at all.
			s.ResetCalls()
			if _, err := p.SetRecords(ctx(t), "example.com.", []libdns.Record{tc.set}); err != nil || s.CallCount("") != 1 {
				t.Fatalf("second SetRecords: %v, calls %v", err, actions(s))
			}
		})
	}
}

// Item 2: HTTPS/SVCB params compare regardless of order: libdns prints
// them from a map, and AliDNS or another tool may keep them in any order.
func TestServiceBindingParamsCompareInAnyOrder(t *testing.T) {
	sb := libdns.ServiceBinding{Scheme: "https", Name: "www", TTL: 600 * time.Second, Priority: 1, Target: ".",
		Params: libdns.SvcParams{"alpn": {"h2", "h3"}, "port": {"8443"}, "ipv4hint": {"192.0.2.1"}}}
	t.Run("stored in another order", func(t *testing.T) {
		s := newSim(t, "example.com")
		p := newProvider(s)
		pre := s.PutRecord("example.com", alidnstest.Record{RR: "www", Type: "HTTPS", Priority: 1, Value: ". ipv4hint=192.0.2.1 port=8443 alpn=h2,h3"})
		s.ResetCalls()
		if _, err := p.SetRecords(ctx(t), "example.com.", []libdns.Record{sb}); err != nil || s.CallCount("") != 1 {
			t.Fatalf("SetRecords of the unchanged RRset: %v, calls %v", err, actions(s))
		}
		deleted, err := p.DeleteRecords(ctx(t), "example.com.", []libdns.Record{sb})
		if info, _ := infoOf(deleted[0]); err != nil || len(deleted) != 1 || info.RecordID != pre.RecordID || len(s.Records("example.com")) != 0 {
			t.Fatalf("DeleteRecords: %v, %+v, zone %v", err, deleted, zoneValues(s, "example.com"))
		}
	})
	t.Run("own records, every time", func(t *testing.T) {
		s := newSim(t)
		s.AddZone("example.com", alidnstest.EditionEnterpriseAdvanced)
		p := newProvider(s)
		for i := range 30 {
			got, err := p.AppendRecords(ctx(t), "example.com.", []libdns.Record{sb})
			if err != nil {
				t.Fatalf("round %d: %v", i, err)
			}
			if _, err := p.SetRecords(ctx(t), "example.com.", []libdns.Record{sb}); err != nil {
				t.Fatalf("round %d: SetRecords of the unchanged RRset: %v", i, err)
			}
			deleted, err := p.DeleteRecords(ctx(t), "example.com.", got)
			if err != nil || len(deleted) != 1 || len(s.Records("example.com")) != 0 {
				t.Fatalf("round %d: DeleteRecords of its own record: %v, %+v, zone %v", i, err, deleted, zoneValues(s, "example.com"))
			}
		}
	})
}

// Item 4: MX preference 0 is stored as 1, and the same record given to
// DeleteRecords matches what is stored.
func TestMXPreferenceZeroMatchesStoredOne(t *testing.T) {
	s := newSim(t, "example.com")
	p := newProvider(s)
	mx := libdns.MX{Name: "@", Preference: 0, Target: "mail.example.com."}
	got, err := p.AppendRecords(ctx(t), "example.com.", []libdns.Record{mx})
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := got[0].(libdns.MX); !ok || g.Preference != 1 {
		t.Fatalf("returned %+v, want the stored preference 1", got[0])
	}
	if _, err := p.SetRecords(ctx(t), "example.com.", []libdns.Record{mx}); err != nil {
		t.Fatalf("SetRecords(same MX): %v", err)
	}
	deleted, err := p.DeleteRecords(ctx(t), "example.com.", []libdns.Record{mx})
	if err != nil || len(deleted) != 1 || len(s.Records("example.com")) != 0 {
		t.Fatalf("DeleteRecords(same MX): %v, %+v, zone %v", err, deleted, zoneWithPriority(s, "example.com"))
	}
}

// Item 5: AliDNS's duplicate key leaves out the MX preference, so the plan
// pairs by value first: moving preference 10 to mx2 updates mx2's record
// instead of giving mx1's record the value mx2 holds.
func TestSetRecordsPairsByValueBeforePriority(t *testing.T) {
	for _, order := range [][2]string{{"mx2", "mx1"}, {"mx1", "mx2"}} {
		s := newSim(t, "example.com")
		p := newProvider(s)
		p.Retry = NoRetry
		prio := map[string]int64{"mx1": 10, "mx2": 20}
		for _, h := range order {
			s.PutRecord("example.com", alidnstest.Record{RR: "@", Type: "MX", Value: h + ".example.com", Priority: prio[h]})
		}
		_, err := p.SetRecords(ctx(t), "example.com.", []libdns.Record{libdns.MX{Name: "@", Preference: 10, Target: "mx2.example.com."}})
		if err != nil {
			t.Fatalf("listed %v: %v", order, err)
		}
		if z := fmt.Sprint(zoneWithPriority(s, "example.com")); z != "[@ MX 10 mx2.example.com 600]" {
			t.Fatalf("listed %v: zone %s", order, z)
		}
	}
	// The same for HTTPS, whose priority is also its own parameter.
	s := newSim(t, "example.com")
	p := newProvider(s)
	p.Retry = NoRetry
	s.PutRecord("example.com", alidnstest.Record{RR: "www", Type: "HTTPS", Value: "b.example.net", Priority: 2})
	s.PutRecord("example.com", alidnstest.Record{RR: "www", Type: "HTTPS", Value: "a.example.net", Priority: 1})
	_, err := p.SetRecords(ctx(t), "example.com.", []libdns.Record{libdns.ServiceBinding{Scheme: "https", Name: "www", Priority: 1, Target: "b.example.net."}})
	if err != nil || fmt.Sprint(zoneWithPriority(s, "example.com")) != "[www HTTPS 1 b.example.net 600]" {
		t.Fatalf("HTTPS: %v, zone %v", err, zoneWithPriority(s, "example.com"))
	}
}

// Item 6: what a method returns is what the zone holds: names in lower
// case, and DeleteRecords by id returns the record deleted, not the input.
func TestReturnedRecordsAreWhatTheZoneHolds(t *testing.T) {
	s := newSim(t, "example.com")
	p := newProvider(s)
	got, err := p.SetRecords(ctx(t), "example.com.", []libdns.Record{libdns.CNAME{Name: "WWW", Target: "Target.Example.NET."}})
	if err != nil {
		t.Fatal(err)
	}
	z := s.Records("example.com")
	if rr := got[0].RR(); rr.Name != z[0].RR || rr.Data != z[0].Value+"." {
		t.Fatalf("SetRecords returned %+v, zone holds %+v", rr, z[0])
	}
	txt, err := p.AppendRecords(ctx(t), "example.com.", []libdns.Record{libdns.TXT{Name: "_acme-challenge", Text: "tok"}})
	if err != nil {
		t.Fatal(err)
	}
	in := txt[0].(libdns.TXT)
	in.Name, in.TTL = "_ACME-challenge.example.com.", 0
	s.ResetCalls()
	deleted, err := p.DeleteRecords(ctx(t), "example.com.", []libdns.Record{in})
	if err != nil || len(deleted) != 1 || s.CallCount("") != 1 {
		t.Fatalf("%v %v, calls %v", deleted, err, actions(s))
	}
	if rr := deleted[0].RR(); rr.Name != "_acme-challenge" || rr.TTL != 600*time.Second {
		t.Fatalf("returned %+v, want the record deleted (name _acme-challenge, TTL 10m0s)", rr)
	}
}

// Item 6: TXT text that AliDNS would not store as given is refused before
// any call, with the reason (white space at the ends, quotes).
func TestTXTThatAliDNSAltersIsRefused(t *testing.T) {
	s := newSim(t, "example.com")
	p := newProvider(s)
	for text, why := range map[string]string{
		" padded ":               "white space",
		`say "hi"`:               "double quote",
		"":                       "empty",
		"a\\b":                   "backslash",
		strings.Repeat("k", 512): "at most 511",
	} {
		_, err := p.SetRecords(ctx(t), "example.com.", []libdns.Record{libdns.TXT{Name: "t", Text: text}})
		if err == nil || !strings.Contains(err.Error(), why) || !errors.Is(err, ErrZoneUnchanged) {
			t.Errorf("%q: %v", text, err)
		}
	}
	if s.CallCount("") != 0 {
		t.Fatalf("calls made: %v", actions(s))
	}
}

// Item 7: an ambiguous first add that the lookup proves was not applied
// leaves the zone unchanged, and SetRecords says so.
func TestSetRecordsSettledAddIsZoneUnchanged(t *testing.T) {
	s := newSim(t, "example.com")
	p := newProvider(s)
	p.Retry = NoRetry
	s.Inject(alidnstest.Injection{Action: "AddDomainRecord", Kind: alidnstest.FaultGatewayHTML}) // not applied
	_, err := p.SetRecords(ctx(t), "example.com.", addrs(0, "192.0.2.1"))
	if !errors.Is(err, ErrZoneUnchanged) || errors.Is(err, ErrOutcomeUnknown) || !strings.Contains(err.Error(), "not created") {
		t.Fatalf("err %v", err)
	}
}

// Input that AliDNS cannot store as asked is refused before any call.
func TestInputHoldingOneValueTwiceIsRefused(t *testing.T) {
	s := newSim(t, "example.com")
	p := newProvider(s)
	twice := []libdns.Record{libdns.MX{Name: "@", Preference: 10, Target: "mx.example.com."}, libdns.MX{Name: "@", Preference: 20, Target: "MX.example.com"}}
	if _, err := p.SetRecords(ctx(t), "example.com.", twice); err == nil || !errors.Is(err, ErrZoneUnchanged) || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("SetRecords: %v", err)
	}
	if _, err := p.AppendRecords(ctx(t), "example.com.", twice); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("AppendRecords: %v", err)
	}
	if s.CallCount("") != 0 {
		t.Fatalf("calls made: %v", actions(s))
	}
	// Identical records count once in SetRecords.
	if _, err := p.SetRecords(ctx(t), "example.com.", append(addrs(0, "192.0.2.1"), addrs(0, "192.0.2.1")...)); err != nil {
		t.Fatal(err)
	}
}

// A TTL below the zone's minimum matches the stored minimum once it is
// learned; before that, DeleteRecords says what it found instead of
// silently deleting nothing.
func TestDeleteRecordsTTLInStoredForm(t *testing.T) {
	s := newSim(t, "example.com")
	in := []libdns.Record{libdns.TXT{Name: "t", Text: "v", TTL: 300 * time.Second}}
	p := newProvider(s)
	if _, err := p.AppendRecords(ctx(t), "example.com.", in); err != nil { // learns the minimum
		t.Fatal(err)
	}
	if deleted, err := p.DeleteRecords(ctx(t), "example.com.", in); err != nil || len(deleted) != 1 {
		t.Fatalf("same process: %v %+v", err, deleted)
	}
	s.PutRecord("example.com", alidnstest.Record{RR: "t", Type: "TXT", Value: "v", TTL: 600})
	fresh := newProvider(s)
	forgetZone(t, fresh, "example.com") // as after a restart
	// A fresh process asks AliDNS for the minimum (DescribeDomainInfo).
	if deleted, err := fresh.DeleteRecords(ctx(t), "example.com.", in); err != nil || len(deleted) != 1 || len(s.Records("example.com")) != 0 {
		t.Fatalf("fresh process: %v %+v, zone %v", err, deleted, zoneValues(s, "example.com"))
	}
	// When it cannot ask, it says what it found instead of missing it.
	s.PutRecord("example.com", alidnstest.Record{RR: "t", Type: "TXT", Value: "v", TTL: 600})
	forgetZone(t, fresh, "example.com")
	s.FailNext("DescribeDomainInfo", "Forbidden.RAM", 403)
	_, err := fresh.DeleteRecords(ctx(t), "example.com.", in)
	if err == nil || !strings.Contains(err.Error(), "holds TTL 600 s, not the 300 s given") || len(s.Records("example.com")) != 1 {
		t.Fatalf("minimum unknown: %v, zone %v", err, zoneValues(s, "example.com"))
	}
	// A TTL no edition has as its minimum is simply another record.
	s.PutRecord("example.com", alidnstest.Record{RR: "u", Type: "TXT", Value: "v", TTL: 1200})
	if deleted, err := fresh.DeleteRecords(ctx(t), "example.com.", []libdns.Record{libdns.TXT{Name: "u", Text: "v", TTL: 300 * time.Second}}); err != nil || len(deleted) != 0 {
		t.Fatalf("TTL 1200: %v %+v", err, deleted)
	}
}

// forgetZone drops what this process remembers of zone (as a restart
// does); only for a zone no other test uses at the time.
func forgetZone(t *testing.T, p *Provider, zone string) {
	t.Helper()
	c, err := p.client()
	if err != nil {
		t.Fatal(err)
	}
	zoneStates.Delete(c.Endpoint + " " + zone)
}

// An update the zone's minimum TTL made a no-op changes nothing, so a
// refusal of the next write still leaves SetRecords atomic.
func TestSetRecordsNoOpUpdateDoesNotCountAsApplied(t *testing.T) {
	s := newSim(t, "example.com") // Free: minimum 600, not learned yet
	p := newProvider(s)
	p.Retry = NoRetry
	s.PutRecord("example.com", alidnstest.Record{RR: "www", Type: "A", Value: "192.0.2.1", TTL: 600})
	s.FailNext("AddDomainRecord", "QuotaExceeded.Record", 400)
	_, err := p.SetRecords(ctx(t), "example.com.", addrs(300*time.Second, "192.0.2.1", "192.0.2.2"))
	if !errors.Is(err, ErrZoneUnchanged) {
		t.Fatalf("err %v, want ErrZoneUnchanged (the only write before the refusal was a no-op)", err)
	}
}
