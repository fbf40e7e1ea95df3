package alidns

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libdns/libdns"

	"github.com/caddy-alidns/alidns/alidnstest"
	"github.com/caddy-alidns/alidns/internal/api"
)

// fastRetry keeps fault-injection tests quick while still retrying.
var fastRetry = api.RetryPolicy{MaxAttempts: 10, BaseDelay: 5 * time.Millisecond, MaxDelay: 100 * time.Millisecond, MaxWait: 20 * time.Second}

func newSim(t *testing.T, zones ...string) *alidnstest.Server {
	t.Helper()
	s := alidnstest.NewServer(alidnstest.WithoutDNS())
	t.Cleanup(s.Close)
	for _, z := range zones {
		s.AddZone(z, alidnstest.EditionFree)
	}
	return s
}

func newProvider(s *alidnstest.Server) *Provider {
	return &Provider{
		AccessKeyID:     alidnstest.DefaultAccessKeyID,
		AccessKeySecret: alidnstest.DefaultAccessKeySecret,
		Endpoint:        s.URL,
		Retry:           fastRetry,
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

// The DNS-01 challenge exactly as certmagic performs it: an opaque
// libdns.RR with TTL 0, then DeleteRecords with the record Append
// returned.
func TestChallengeCostsTwoCalls(t *testing.T) {
	s := newSim(t, "example.com")
	p := newProvider(s)
	in := libdns.RR{Type: "TXT", Name: "_acme-challenge.www", Data: "key-auth-digest_-123"}
	got, err := p.AppendRecords(ctx(t), "example.com.", []libdns.Record{in})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d records", len(got))
	}
	txt, ok := got[0].(libdns.TXT)
	if !ok {
		t.Fatalf("returned %T, want libdns.TXT", got[0])
	}
	if txt.Name != in.Name || txt.Text != in.Data || txt.TTL != 600*time.Second {
		t.Fatalf("returned %+v", txt)
	}
	recs := s.Records("example.com")
	if len(recs) != 1 || recs[0].Value != in.Data || recs[0].TTL != 600 || recs[0].RR != "_acme-challenge.www" {
		t.Fatalf("zone holds %+v", recs)
	}
	deleted, err := p.DeleteRecords(ctx(t), "example.com.", got)
	if err != nil || len(deleted) != 1 {
		t.Fatalf("delete: %v, %d deleted", err, len(deleted))
	}
	if n := len(s.Records("example.com")); n != 0 {
		t.Fatalf("%d records left", n)
	}
	if n := s.CallCount(""); n != 2 {
		t.Fatalf("challenge cost %d API calls, want 2: %v", n, actions(s))
	}
}

func actions(s *alidnstest.Server) []string {
	var out []string
	for _, c := range s.Calls() {
		out = append(out, c.Action+"/"+c.Code)
	}
	return out
}

func TestApexAndWildcardChallengesCoexist(t *testing.T) {
	s := newSim(t, "example.com")
	p := newProvider(s)
	var wg sync.WaitGroup
	results := make([][]libdns.Record, 2)
	errs := make([]error, 2)
	for i, v := range []string{"apex-token", "wildcard-token"} {
		wg.Go(func() {
			results[i], errs[i] = p.AppendRecords(ctx(t), "example.com.", []libdns.Record{libdns.RR{Type: "TXT", Name: "_acme-challenge", Data: v}})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := len(s.Records("example.com")); n != 2 {
		t.Fatalf("%d records, want 2", n)
	}
	// Deleting one leaves the other.
	if _, err := p.DeleteRecords(ctx(t), "example.com.", results[0]); err != nil {
		t.Fatal(err)
	}
	left := s.Records("example.com")
	if len(left) != 1 || left[0].Value != "wildcard-token" {
		t.Fatalf("left %+v", left)
	}
	// The other by value (no ProviderData), as a client that kept only
	// the record's data would.
	got, err := p.DeleteRecords(ctx(t), "example.com.", []libdns.Record{libdns.TXT{Name: "_acme-challenge", Text: "wildcard-token"}})
	if err != nil || len(got) != 1 || got[0].RR().Data != "wildcard-token" || len(s.Records("example.com")) != 0 {
		t.Fatalf("delete by value: %v, %v; left %+v", got, err, s.Records("example.com"))
	}
}

func TestDeleteMissingRecordIsIgnored(t *testing.T) {
	s := newSim(t, "example.com")
	p := newProvider(s)
	keep := s.PutRecord("example.com", alidnstest.Record{RR: "_acme-challenge", Type: "TXT", Value: "other", TTL: 600})
	// No such value: nothing deleted, no error.
	got, err := p.DeleteRecords(ctx(t), "example.com", []libdns.Record{libdns.TXT{Name: "_acme-challenge", Text: "missing"}})
	if err != nil || len(got) != 0 {
		t.Fatalf("got %v, %v", got, err)
	}
	// An id that was already deleted: "already gone", not an error.
	gone := libdns.TXT{Name: "x", Text: "y", ProviderData: RecordInfo{RecordID: "999999"}}
	got, err = p.DeleteRecords(ctx(t), "example.com", []libdns.Record{gone})
	if err != nil || len(got) != 0 {
		t.Fatalf("got %v, %v", got, err)
	}
	if recs := s.Records("example.com"); len(recs) != 1 || recs[0].RecordID != keep.RecordID {
		t.Fatalf("zone changed: %+v", recs)
	}
}

func TestDeleteMatchesExactlyWithWildcards(t *testing.T) {
	s := newSim(t, "example.com")
	p := newProvider(s)
	s.PutRecord("example.com", alidnstest.Record{RR: "www", Type: "A", Value: "192.0.2.1", TTL: 600})
	s.PutRecord("example.com", alidnstest.Record{RR: "www", Type: "A", Value: "192.0.2.2", TTL: 1200})
	s.PutRecord("example.com", alidnstest.Record{RR: "www", Type: "TXT", Value: "192.0.2.1", TTL: 600})
	s.PutRecord("example.com", alidnstest.Record{RR: "wwwx", Type: "A", Value: "192.0.2.1", TTL: 600})
	s.PutRecord("example.com", alidnstest.Record{RR: "www", Type: "A", Value: "192.0.2.3", TTL: 600, Line: "telecom"})

	// TTL must match when given.
	got, err := p.DeleteRecords(ctx(t), "example.com.", []libdns.Record{libdns.Address{Name: "www", IP: netip.MustParseAddr("192.0.2.2"), TTL: 600 * time.Second}})
	if err != nil || len(got) != 0 {
		t.Fatalf("TTL mismatch deleted %v (%v)", got, err)
	}
	// Name + type only: every A at www on the provider's line, nothing else.
	got, err = p.DeleteRecords(ctx(t), "example.com.", []libdns.Record{libdns.RR{Name: "www", Type: "A"}})
	if err != nil || len(got) != 2 {
		t.Fatalf("deleted %v (%v)", got, err)
	}
	for _, r := range got {
		if _, ok := r.(libdns.Address); !ok {
			t.Fatalf("deleted record returned as %T", r)
		}
	}
	var left []string
	for _, r := range s.Records("example.com") {
		left = append(left, r.RR+" "+r.Type+" "+r.Value+" "+r.Line)
	}
	sort.Strings(left)
	want := []string{"www A 192.0.2.3 telecom", "www TXT 192.0.2.1 default", "wwwx A 192.0.2.1 default"}
	if fmt.Sprint(left) != fmt.Sprint(want) {
		t.Fatalf("left %v, want %v", left, want)
	}
}

func TestSetRecordsReplacesRRsetOnly(t *testing.T) {
	s := newSim(t, "example.com")
	p := newProvider(s)
	a1 := s.PutRecord("example.com", alidnstest.Record{RR: "www", Type: "A", Value: "192.0.2.1", TTL: 600})
	a2 := s.PutRecord("example.com", alidnstest.Record{RR: "www", Type: "A", Value: "192.0.2.2", TTL: 600})
	txt := s.PutRecord("example.com", alidnstest.Record{RR: "www", Type: "TXT", Value: "keep me", TTL: 600})
	s.ResetCalls()

	got, err := p.SetRecords(ctx(t), "example.com.", []libdns.Record{libdns.Address{Name: "www", IP: netip.MustParseAddr("192.0.2.9"), TTL: 600 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].RR().Data != "192.0.2.9" {
		t.Fatalf("returned %v", got)
	}
	recs := s.Records("example.com")
	var as []alidnstest.Record
	var txts []alidnstest.Record
	for _, r := range recs {
		switch r.Type {
		case "A":
			as = append(as, r)
		case "TXT":
			txts = append(txts, r)
		}
	}
	if len(as) != 1 || as[0].Value != "192.0.2.9" {
		t.Fatalf("A records %+v", as)
	}
	if len(txts) != 1 || txts[0].RecordID != txt.RecordID || txts[0].Value != "keep me" {
		t.Fatalf("TXT touched: %+v", txts)
	}
	// One record was updated in place (kept its id), the other deleted: a
	// lookup, an update and a delete.
	if as[0].RecordID != a1.RecordID && as[0].RecordID != a2.RecordID {
		t.Fatalf("not updated in place")
	}
	if s.CallCount("UpdateDomainRecord") != 1 || s.CallCount("DeleteDomainRecord") != 1 || s.CallCount("AddDomainRecord") != 0 || s.CallCount("") != 3 {
		t.Fatalf("calls %v", actions(s))
	}

	// Setting the same again changes nothing and writes nothing.
	s.ResetCalls()
	if _, err := p.SetRecords(ctx(t), "example.com.", []libdns.Record{libdns.Address{Name: "www", IP: netip.MustParseAddr("192.0.2.9"), TTL: 600 * time.Second}}); err != nil {
		t.Fatal(err)
	}
	if s.CallCount("") != 1 {
		t.Fatalf("idempotent set made writes: %v", actions(s))
	}
}

func TestGetRecordsPagesConcurrently(t *testing.T) {
	s := newSim(t, "example.com")
	for i := range 1234 {
		s.PutRecord("example.com", alidnstest.Record{RR: fmt.Sprintf("host%d", i), Type: "A", Value: fmt.Sprintf("10.0.%d.%d", i/256, i%256), TTL: 600})
	}
	s.PutRecord("example.com", alidnstest.Record{RR: "off", Type: "A", Value: "10.9.9.9", TTL: 600, Status: "DISABLE"})
	p := newProvider(s)
	s.ResetCalls()
	recs, err := p.GetRecords(ctx(t), "example.com.")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1234 {
		t.Fatalf("got %d records, want 1234 (disabled one left out)", len(recs))
	}
	seen := map[string]bool{}
	for _, r := range recs {
		a, ok := r.(libdns.Address)
		if !ok {
			t.Fatalf("%T", r)
		}
		if seen[a.Name] {
			t.Fatalf("duplicate %s", a.Name)
		}
		seen[a.Name] = true
	}
	if n := s.CallCount("DescribeDomainRecords"); n != 3 || s.CallCount("") != 3 {
		t.Fatalf("GetRecords cost %d calls, want 3", s.CallCount(""))
	}
}

func TestTTLPolicy(t *testing.T) {
	s := newSim(t, "example.com")
	p := newProvider(s)
	// Below the Free edition's minimum: refused once, then stored at 600
	// and the minimum remembered for the zone.
	got, err := p.AppendRecords(ctx(t), "example.com.", []libdns.Record{libdns.TXT{Name: "a", Text: "1", TTL: 60 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].RR().TTL != 600*time.Second {
		t.Fatalf("returned TTL %v", got[0].RR().TTL)
	}
	if s.CallCount("AddDomainRecord") != 2 {
		t.Fatalf("calls %v", actions(s))
	}
	s.ResetCalls()
	if _, err := p.AppendRecords(ctx(t), "example.com.", []libdns.Record{libdns.TXT{Name: "b", Text: "1", TTL: 60 * time.Second}}); err != nil {
		t.Fatal(err)
	}
	if s.CallCount("") != 1 {
		t.Fatalf("minimum not remembered: %v", actions(s))
	}
	// An edition that allows 1 s keeps a low TTL.
	s.AddZone("fast.example", alidnstest.EditionEnterpriseAdvanced)
	got, err = p.AppendRecords(ctx(t), "fast.example.", []libdns.Record{libdns.TXT{Name: "a", Text: "1", TTL: 5 * time.Second}})
	if err != nil || got[0].RR().TTL != 5*time.Second {
		t.Fatalf("got %v, %v", got, err)
	}
	// Above the maximum: refused before any call.
	s.ResetCalls()
	_, err = p.AppendRecords(ctx(t), "example.com.", []libdns.Record{libdns.TXT{Name: "c", Text: "1", TTL: 90000 * time.Second}})
	if err == nil || !strings.Contains(err.Error(), "86400") || s.CallCount("") != 0 {
		t.Fatalf("err %v calls %v", err, actions(s))
	}
}

func TestZoneNotHostedNamesClosestZones(t *testing.T) {
	s := newSim(t, "example.com", "other.org")
	p := newProvider(s)
	_, err := p.AppendRecords(ctx(t), "sub.example.com.", []libdns.Record{libdns.TXT{Name: "_acme-challenge", Text: "x"}})
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{`"sub.example.com"`, "example.com (a parent", "InvalidDomainName.NoExist", "RequestId"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, alidnstest.DefaultAccessKeySecret) {
		t.Fatal("secret in error")
	}
	// The reverse: a sub-domain hosted as its own zone.
	s.AddZone("shop.other.org", alidnstest.EditionFree)
	s.RemoveZone("other.org")
	_, err = p.GetRecords(ctx(t), "other.org.")
	if err == nil || !strings.Contains(err.Error(), "shop.other.org (a sub-domain hosted as its own zone)") {
		t.Fatalf("err %v", err)
	}
}

func TestIDNZone(t *testing.T) {
	s := newSim(t, "例子.中国")
	p := newProvider(s)
	for _, zone := range []string{"例子.中国.", "xn--fsqu00a.xn--fiqs8s.", "XN--FSQU00A.xn--fiqs8s"} {
		got, err := p.AppendRecords(ctx(t), zone, []libdns.Record{libdns.TXT{Name: "_acme-challenge", Text: zone}})
		if err != nil {
			t.Fatalf("zone %s: %v", zone, err)
		}
		if _, err := p.DeleteRecords(ctx(t), zone, got); err != nil {
			t.Fatal(err)
		}
	}
	zones, err := p.ListZones(ctx(t))
	if err != nil || len(zones) != 1 || zones[0].Name != "xn--fsqu00a.xn--fiqs8s." {
		t.Fatalf("zones %v, %v", zones, err)
	}
}

func TestListZonesPages(t *testing.T) {
	s := newSim(t)
	for i := range 230 {
		s.AddZone(fmt.Sprintf("zone%03d.example", i), alidnstest.EditionFree)
	}
	p := newProvider(s)
	zones, err := p.ListZones(ctx(t))
	if err != nil || len(zones) != 230 {
		t.Fatalf("%d zones, %v", len(zones), err)
	}
	for _, z := range zones {
		if !strings.HasSuffix(z.Name, ".example.") {
			t.Fatalf("zone %q", z.Name)
		}
	}
	if s.CallCount("DescribeDomains") != 3 {
		t.Fatalf("calls %v", actions(s))
	}
}

func TestLineAppliesToWrites(t *testing.T) {
	s := newSim(t, "example.com")
	p := newProvider(s)
	p.Line = "telecom"
	if _, err := p.AppendRecords(ctx(t), "example.com.", []libdns.Record{libdns.TXT{Name: "x", Text: "y"}}); err != nil {
		t.Fatal(err)
	}
	if r := s.Records("example.com"); len(r) != 1 || r[0].Line != "telecom" {
		t.Fatalf("records %+v", r)
	}
}

func TestAPIErrorsNameCodeAndRequestID(t *testing.T) {
	s := newSim(t, "example.com")
	p := newProvider(s)
	p.AccessKeySecret = "wrong-secret-value"
	_, err := p.GetRecords(ctx(t), "example.com.")
	var e *api.Error
	if !errors.As(err, &e) || e.Code != "SignatureDoesNotMatch" || e.RequestID == "" {
		t.Fatalf("err %v", err)
	}
	if strings.Contains(err.Error(), "wrong-secret-value") {
		t.Fatal("secret in error text")
	}
}

// Caddy makes one Provider per site or automation policy: writes to one
// zone from separate instances are serialised all the same, so AliDNS
// never sees overlapping writes from this process.
func TestWritesSerialisedAcrossProviderInstances(t *testing.T) {
	s := newSim(t, "example.com")
	// Any write that starts while another write to the zone is in flight
	// (the simulator holds each for its latency) is refused.
	s.SetFaults(alidnstest.Faults{Latency: 20 * time.Millisecond, WriteWindow: 15 * time.Millisecond})
	providers := []*Provider{newProvider(s), newProvider(s), newProvider(s)}
	for _, p := range providers {
		p.Retry = api.NoRetry
	}
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for i := range 12 {
		wg.Go(func() {
			p := providers[i%len(providers)]
			_, err := p.AppendRecords(ctx(t), "example.com.", []libdns.Record{libdns.TXT{Name: "_acme-challenge", Text: fmt.Sprint("v", i)}})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := len(s.Records("example.com")); n != 12 {
		t.Fatalf("%d records, want 12", n)
	}
}
