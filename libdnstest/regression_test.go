package libdnstest

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/libdns/libdns"

	"github.com/caddy-alidns/alidns/alidnstest"
)

// What the serial conformance suite does not exercise: many certificates
// solving challenges on one name at once (certmagic runs each name's
// order in its own goroutine), while AliDNS throttles and refuses
// overlapping writes.
func TestConcurrentAppendDeleteSameName(t *testing.T) {
	s := alidnstest.NewServer(alidnstest.WithoutDNS())
	t.Cleanup(s.Close)
	s.AddZone("example.test", alidnstest.EditionFree)
	s.SetFaults(alidnstest.Faults{QPS: 100, WriteWindow: 5 * time.Millisecond, Seed: 3})
	p := newProvider(s)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			rec := libdns.RR{Type: "TXT", Name: "_acme-challenge", Data: fmt.Sprintf("challenge-%02d", i)}
			got, err := p.AppendRecords(ctx, "example.test.", []libdns.Record{rec})
			if err != nil {
				errs <- fmt.Errorf("append %d: %w", i, err)
				return
			}
			if len(got) != 1 || got[0].RR().Data != rec.Data {
				errs <- fmt.Errorf("append %d returned %v", i, got)
				return
			}
			deleted, err := p.DeleteRecords(ctx, "example.test.", got)
			if err != nil || len(deleted) != 1 {
				errs <- fmt.Errorf("delete %d: %w (%d deleted)", i, err, len(deleted))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if left := s.Records("example.test"); len(left) != 0 {
		t.Fatalf("%d records left behind", len(left))
	}
	var lonf, throttled int
	for _, c := range s.Calls() {
		switch c.Code {
		case "LastOperationNotFinished":
			lonf++
		case "Throttling.User":
			throttled++
		}
	}
	if lonf+throttled == 0 {
		t.Fatal("no LastOperationNotFinished or throttling was simulated: the test proves nothing")
	}
	t.Logf("%d calls; %d LastOperationNotFinished and %d Throttling.User answers absorbed by retries", len(s.Calls()), lonf, throttled)
}

// Apex and wildcard certificates put two TXT records on one name at the
// same time; each must be removed by its own value.
func TestApexAndWildcardTXTAtOnce(t *testing.T) {
	s := alidnstest.NewServer(alidnstest.WithoutDNS())
	t.Cleanup(s.Close)
	s.AddZone("example.test", alidnstest.EditionFree)
	p := newProvider(s)
	ctx := context.Background()

	var wg sync.WaitGroup
	var mu sync.Mutex
	var created []libdns.Record
	for _, v := range []string{"apex-key-auth", "wildcard-key-auth"} {
		wg.Go(func() {
			got, err := p.AppendRecords(ctx, "example.test.", []libdns.Record{libdns.RR{Type: "TXT", Name: "_acme-challenge", Data: v}})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			created = append(created, got...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(created) != 2 || len(s.Records("example.test")) != 2 {
		t.Fatalf("created %v, zone %v", created, s.Records("example.test"))
	}
	// Delete by value (no ProviderData), as a client that kept only the
	// record's data would.
	for _, c := range created {
		rr := c.RR()
		got, err := p.DeleteRecords(ctx, "example.test.", []libdns.Record{libdns.TXT{Name: rr.Name, Text: rr.Data}})
		if err != nil || len(got) != 1 || got[0].RR().Data != rr.Data {
			t.Fatalf("delete %q: %v %v", rr.Data, got, err)
		}
	}
	if left := s.Records("example.test"); len(left) != 0 {
		t.Fatalf("left %v", left)
	}
}

// SetRecords on a multi-value RRset: 2 A records become 1, a TXT at the
// same name stays.
func TestSetRecordsShrinksRRsetKeepsOtherTypes(t *testing.T) {
	s := alidnstest.NewServer(alidnstest.WithoutDNS())
	t.Cleanup(s.Close)
	s.AddZone("example.test", alidnstest.EditionFree)
	p := newProvider(s)
	ctx := context.Background()
	initial := []libdns.Record{
		libdns.Address{Name: "www", IP: netip.MustParseAddr("192.0.2.1"), TTL: 600 * time.Second},
		libdns.Address{Name: "www", IP: netip.MustParseAddr("192.0.2.2"), TTL: 600 * time.Second},
		libdns.TXT{Name: "www", Text: "unrelated", TTL: 600 * time.Second},
	}
	if _, err := p.AppendRecords(ctx, "example.test.", initial); err != nil {
		t.Fatal(err)
	}
	want := libdns.Address{Name: "www", IP: netip.MustParseAddr("192.0.2.2"), TTL: 600 * time.Second}
	if _, err := p.SetRecords(ctx, "example.test.", []libdns.Record{want}); err != nil {
		t.Fatal(err)
	}
	got, err := p.GetRecords(ctx, "example.test.")
	if err != nil {
		t.Fatal(err)
	}
	var rrs []libdns.RR
	for _, r := range got {
		rrs = append(rrs, r.RR())
	}
	if len(rrs) != 2 {
		t.Fatalf("zone after set: %v", rrs)
	}
	var sawA, sawTXT bool
	for _, rr := range rrs {
		switch {
		case rr == want.RR():
			sawA = true
		case rr == initial[2].RR():
			sawTXT = true
		}
	}
	if !sawA || !sawTXT {
		t.Fatalf("zone after set: %v", rrs)
	}
	// 192.0.2.2 already existed: nothing was written besides deleting .1.
	if s.CallCount("UpdateDomainRecord") != 0 || s.CallCount("DeleteDomainRecord") != 1 {
		t.Fatalf("writes: %d updates, %d deletes", s.CallCount("UpdateDomainRecord"), s.CallCount("DeleteDomainRecord"))
	}
}
