package alidns

// Benchmarks of the provider against the AliDNS simulator with realistic
// added latency (50 ms per API call). They report the figures BENCHMARKS.md
// records, as custom metrics: calls/op (API requests the simulator
// answered), throttled/op (Throttling.User answers), failed/op (libdns
// calls that returned an error) and s/op. `make bench` runs them; plain
// `go test` never does.

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/libdns/libdns"

	"github.com/caddy-alidns/alidns/alidnstest"
	"github.com/caddy-alidns/alidns/internal/api"
)

// benchLatency is the latency the simulator adds to every API call.
const benchLatency = 50 * time.Millisecond

// benchSim starts a simulator (without DNS) hosting zones, with faults.
func benchSim(b *testing.B, f alidnstest.Faults, zones ...string) *alidnstest.Server {
	b.Helper()
	s := alidnstest.NewServer(alidnstest.WithoutDNS())
	b.Cleanup(s.Close)
	for _, z := range zones {
		s.AddZone(z, alidnstest.EditionFree)
	}
	s.SetFaults(f)
	return s
}

// benchProvider is a provider as Caddy configures it: the default retry
// policy, a fresh rate limiter and no zone state.
func benchProvider(s *alidnstest.Server) *Provider {
	return &Provider{
		AccessKeyID:     alidnstest.DefaultAccessKeyID,
		AccessKeySecret: alidnstest.DefaultAccessKeySecret,
		Endpoint:        s.URL,
	}
}

func benchCtx(b *testing.B) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	b.Cleanup(cancel)
	return ctx
}

// BenchmarkChallenge is one DNS-01 challenge as certmagic performs it
// (AppendRecords of a libdns.RR TXT with TTL 0, then DeleteRecords of the
// record it returned), each time with a new Provider, so that every
// challenge is the first one in its zone. Target: 2 calls/op.
func BenchmarkChallenge(b *testing.B) {
	s := benchSim(b, alidnstest.Faults{Latency: benchLatency}, "example.com")
	ctx := benchCtx(b)
	calls, worst, ops := 0, 0, 0
	for b.Loop() {
		p := benchProvider(s)
		s.ResetCalls()
		in := libdns.RR{Type: "TXT", Name: "_acme-challenge.www", Data: fmt.Sprintf("token-%d", ops)}
		got, err := p.AppendRecords(ctx, "example.com.", []libdns.Record{in})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.DeleteRecords(ctx, "example.com.", got); err != nil {
			b.Fatal(err)
		}
		n := s.CallCount("")
		calls += n
		worst = max(worst, n)
		ops++
	}
	if left := len(s.Records("example.com")); left != 0 {
		b.Fatalf("%d records left in the zone", left)
	}
	b.ReportMetric(float64(calls)/float64(ops), "calls/op")
	b.ReportMetric(float64(worst), "max-calls/op")
}

// BenchmarkGetRecords10k lists a zone of 10,000 records: 20 pages of 500,
// the first alone (it tells the total), the rest concurrently. Targets: at
// most 20 calls/op and 0.4 s/op.
func BenchmarkGetRecords10k(b *testing.B) {
	const n = 10000
	s := benchSim(b, alidnstest.Faults{}, "example.com")
	for i := range n {
		s.PutRecord("example.com", alidnstest.Record{RR: fmt.Sprintf("h%05d", i), Type: "A", Value: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), TTL: 600})
	}
	s.SetFaults(alidnstest.Faults{Latency: benchLatency})
	p := benchProvider(s)
	ctx := benchCtx(b)
	calls, ops := 0, 0
	var wall time.Duration
	for b.Loop() {
		s.ResetCalls()
		start := time.Now()
		recs, err := p.GetRecords(ctx, "example.com.")
		wall += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if len(recs) != n {
			b.Fatalf("got %d records, want %d", len(recs), n)
		}
		calls += s.CallCount("")
		ops++
	}
	b.ReportMetric(float64(calls)/float64(ops), "calls/op")
	b.ReportMetric(wall.Seconds()/float64(ops), "s/op")
}

// stormResult is what one storm of concurrent challenges measured.
type stormResult struct {
	wall                time.Duration
	calls, throttled    int
	failed, maxAttempts int
}

// runStorm runs n concurrent DNS-01 challenges (Append, then Delete of the
// returned record, each goroutine on its own name) through one Provider
// against a fresh simulator with faults, and counts from the simulator's
// call log.
func runStorm(b *testing.B, n int, f alidnstest.Faults) stormResult {
	b.Helper()
	s := alidnstest.NewServer(alidnstest.WithoutDNS())
	defer s.Close()
	s.AddZone("example.com", alidnstest.EditionFree)
	s.SetFaults(f)
	p := benchProvider(s)
	ctx := benchCtx(b)
	var failed sync.Map
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Go(func() {
			in := libdns.RR{Type: "TXT", Name: fmt.Sprintf("_acme-challenge.h%03d", i), Data: fmt.Sprintf("token-%d", i)}
			got, err := p.AppendRecords(ctx, "example.com.", []libdns.Record{in})
			if err == nil {
				_, err = p.DeleteRecords(ctx, "example.com.", got)
			}
			if err != nil {
				failed.Store(i, err)
			}
		})
	}
	wg.Wait()
	r := stormResult{wall: time.Since(start)}
	failed.Range(func(k, v any) bool {
		r.failed++
		if r.failed <= 3 {
			b.Logf("challenge %v failed: %v", k, v)
		}
		return true
	})
	// Requests per logical call: an add is known by its name, a delete by
	// its record id.
	attempts := map[string]int{}
	for _, c := range s.Calls() {
		r.calls++
		if c.Code == "Throttling.User" {
			r.throttled++
		}
		key := c.Action + " " + c.Params.Get("RR") + c.Params.Get("RecordId")
		attempts[key]++
		r.maxAttempts = max(r.maxAttempts, attempts[key])
	}
	if left := len(s.Records("example.com")); left != 0 && r.failed == 0 {
		b.Errorf("%d records left in the zone", left)
	}
	return r
}

// BenchmarkChallengeStorm runs many certificates' challenges at once
// through one shared Provider, in one zone, against a throttling
// simulator:
//
//   - 100 challenges at 20 QPS with 50 ms latency (the throttle bound is
//     200 calls / 20 QPS = 10 s; target: no failure, within 13 s);
//   - 20 challenges at 5 QPS with 10% of calls failing with HTTP 500/503
//     and 50 ms latency (the Go-level counterpart of the end-to-end
//     scenario "20 hostnames at 5 QPS + 10% 503"; target: no failure).
//
// Each op is one whole storm against a new simulator and Provider; run it
// with -benchtime=1x.
func BenchmarkChallengeStorm(b *testing.B) {
	cases := []struct {
		name string
		n    int
		f    alidnstest.Faults
	}{
		{"n=100/qps=20", 100, alidnstest.Faults{QPS: 20, Latency: benchLatency}},
		{"n=20/qps=5/errors=10%", 20, alidnstest.Faults{QPS: 5, ErrorRate: 0.1, Latency: benchLatency}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var sum stormResult
			ops := 0
			for b.Loop() {
				f := tc.f
				f.Seed = int64(ops + 1)
				r := runStorm(b, tc.n, f)
				sum.wall += r.wall
				sum.calls += r.calls
				sum.throttled += r.throttled
				sum.failed += r.failed
				sum.maxAttempts = max(sum.maxAttempts, r.maxAttempts)
				ops++
			}
			per := func(v int) float64 { return float64(v) / float64(ops) }
			b.ReportMetric(sum.wall.Seconds()/float64(ops), "s/op")
			b.ReportMetric(per(sum.calls), "calls/op")
			b.ReportMetric(per(sum.throttled), "throttled/op")
			b.ReportMetric(per(sum.failed), "failed/op")
			b.ReportMetric(float64(sum.maxAttempts), "max-attempts/op")
		})
	}
}

// TestChallengeStormPacing is the storm as a (count-only) regression test:
// 30 concurrent challenges through one Provider against a simulator
// allowing 20 calls per second all succeed, and once throttled the
// provider paces its requests instead of retrying in a herd.
func TestChallengeStormPacing(t *testing.T) {
	s := newSim(t, "example.com")
	s.SetFaults(alidnstest.Faults{QPS: 20, Seed: 1})
	p := newProvider(s)
	p.Retry = api.RetryPolicy{} // the default policy, as in Caddy
	var wg sync.WaitGroup
	errs := make([]error, 30)
	for i := range errs {
		wg.Go(func() {
			got, err := p.AppendRecords(ctx(t), "example.com.", []libdns.Record{libdns.RR{Type: "TXT", Name: fmt.Sprintf("_acme-challenge.h%02d", i), Data: "v"}})
			if err == nil {
				_, err = p.DeleteRecords(ctx(t), "example.com.", got)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("challenge %d: %v", i, err)
		}
	}
	throttled := 0
	for _, c := range s.Calls() {
		if c.Code == "Throttling.User" {
			throttled++
		}
	}
	t.Logf("%d calls, %d throttled", s.CallCount(""), throttled)
	// 30 concurrent challenges are a burst above 20 calls per second: the
	// simulator must have throttled some, or this tests nothing.
	if throttled == 0 {
		t.Errorf("no throttled answer: the storm did not exceed the quota, so pacing was not exercised")
	}
	if throttled > 8 {
		t.Errorf("%d throttled answers for 60 successful calls: the limiter does not pace the retries", throttled)
	}
}
