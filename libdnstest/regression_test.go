package libdnstest

import (
	"context"
	"fmt"
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
