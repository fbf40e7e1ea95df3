package alidns

// TestModel is a model-based randomized test of the provider against the
// AliDNS simulator (alidnstest), with injected faults, drawn from the
// whole input space of the record operations.
//
// Design: each worker owns three zones, one per edition (Free, minimum
// TTL 600; Enterprise basic, 60; Enterprise ultimate, 1), so that its
// model of every record in them is exact. It runs random operations
// (GetRecords, AppendRecords, SetRecords, DeleteRecords by returned
// record, by value, by name and type, by name only, of stale and of
// other zones' records) on every record type the provider maps (A, AAAA,
// CNAME, TXT including long and refused values, MX including preference
// 0, SRV, CAA, HTTPS and SVCB with several params), with TTLs below, at
// and above the zone's minimum, 0 and above the maximum, names relative
// or absolute in any case, apex ("@", "", the zone's name) and wildcard.
// Records placed directly in the zone (by another tool, an earlier run,
// disabled, on another line) must survive every operation that does not
// target their RRset, and every AppendRecords. Operations are cancelled
// mid-call (a deadline that expires while the simulator holds the
// answer), and the process restarts between operations (fresh Providers
// and fresh process state). Every worker also runs DNS-01 challenges on
// names shared by all workers in a shared zone, whose static records,
// and another zone, must stay byte-identical.
//
// The reference is modelcanon_test.go: an independent reading of the
// record semantics (issue 14) in canonical form. After every operation
// the zone as the simulator holds it must be what the semantics make of
// the zone before, and every returned record must be what the zone then
// holds. Input the semantics refuse must fail before any API call and
// change nothing.
//
// Faults: before an operation a worker may queue a one-shot fault of any
// alidnstest.FaultKind, before or after apply, on any write action, or
// change the random fault rates; the AliDNS readings (what the real
// service does where nothing public says) are drawn per run from the
// seed (readingsFor). A worker may also use a Provider without retries,
// whose failures are expected but must still leave the zone consistent.
//
// make test runs the fixed seed set modelCISet (a quarter of it with
// -short); with one worker a seed replays exactly (the time-based faults,
// busy windows and throttling, are left out of single-worker runs) as
// long as the provider itself is deterministic. make soak runs random
// seeds for ALIDNS_MODEL_DURATION, throttling included.
//
// Knobs (flags need go test -run TestModel . as other packages do not
// define them; env vars work with ./...):
//
//	-model.seed / ALIDNS_MODEL_SEED          one run with this seed (default: the fixed set; random with a duration)
//	-model.iters / ALIDNS_MODEL_ITERS        operations per worker of a single run (default 60)
//	-model.duration / ALIDNS_MODEL_DURATION  run this long instead (make soak)
//	-model.workers / ALIDNS_MODEL_WORKERS    concurrent workers of a single run (4)
//	-model.faults / ALIDNS_MODEL_FAULTS      false: no faults
//	-model.maxfail / ALIDNS_MODEL_MAXFAIL    stop after this many violations (12)
//	ALIDNS_MODEL_TRACE=1                     print every operation as it runs

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/libdns/libdns"

	"github.com/caddy-alidns/alidns/alidnstest"
	"github.com/caddy-alidns/alidns/internal/api"
)

var (
	modelSeedFlag     = flag.Int64("model.seed", 0, "TestModel: one run with this seed (env ALIDNS_MODEL_SEED)")
	modelItersFlag    = flag.Int("model.iters", 0, "TestModel: operations per worker of a single run (env ALIDNS_MODEL_ITERS; default 60)")
	modelDurationFlag = flag.Duration("model.duration", 0, "TestModel: run for this long instead of a number of operations (env ALIDNS_MODEL_DURATION)")
	modelWorkersFlag  = flag.Int("model.workers", 0, "TestModel: concurrent workers of a single run (env ALIDNS_MODEL_WORKERS; default 4)")
	modelFaultsFlag   = flag.Bool("model.faults", true, "TestModel: inject faults (env ALIDNS_MODEL_FAULTS=0 disables)")
	modelMaxFailFlag  = flag.Int("model.maxfail", 0, "TestModel: stop after this many invariant violations (env ALIDNS_MODEL_MAXFAIL; default 12)")
)

// modelTrace (env ALIDNS_MODEL_TRACE=1) prints every operation as it runs.
var modelTrace = os.Getenv("ALIDNS_MODEL_TRACE") == "1"

// modelCISet is the fixed set of runs of make test: single-worker runs
// replay exactly, the last one runs workers concurrently (with busy
// windows and throttling). Their seeds cover every reading (readingsFor).
var modelCISet = []struct {
	seed           int64
	workers, iters int
}{
	{seed: 3, workers: 1, iters: 200},
	{seed: 16, workers: 1, iters: 200},
	{seed: 11, workers: 1, iters: 200},
	{seed: 13, workers: 4, iters: 60},
}

// modelConfig is the configuration of one TestModel run.
type modelConfig struct {
	seed     int64
	iters    int           // operations per worker (when duration is 0)
	duration time.Duration // run until then (soak)
	workers  int
	faults   bool
	maxFail  int
	// timed: busy windows, whose effect depends on timing; left out of
	// single-worker runs so that a seed replays exactly.
	timed bool
	// bare: no records placed in the workers' zones at start (the
	// scenarios of modelref_test.go place their own).
	bare bool
}

// loadModelConfig reads the flags and environment; single reports
// whether they ask for one run (a seed or a duration) rather than the
// fixed set.
func loadModelConfig(t *testing.T) (c modelConfig, single bool) {
	c = modelConfig{seed: *modelSeedFlag, iters: *modelItersFlag, duration: *modelDurationFlag,
		workers: *modelWorkersFlag, faults: *modelFaultsFlag, maxFail: *modelMaxFailFlag}
	env := func(name string, set func(string) error) {
		if v := strings.TrimSpace(os.Getenv(name)); v != "" {
			if err := set(v); err != nil {
				t.Fatalf("%s=%q: %v", name, v, err)
			}
		}
	}
	atoi := func(dst *int) func(string) error {
		return func(v string) (err error) { *dst, err = strconv.Atoi(v); return }
	}
	if c.seed == 0 {
		env("ALIDNS_MODEL_SEED", func(v string) (err error) { c.seed, err = strconv.ParseInt(v, 10, 64); return })
	}
	if c.iters == 0 {
		env("ALIDNS_MODEL_ITERS", atoi(&c.iters))
	}
	if c.duration == 0 {
		env("ALIDNS_MODEL_DURATION", func(v string) (err error) { c.duration, err = time.ParseDuration(v); return })
	}
	if c.workers == 0 {
		env("ALIDNS_MODEL_WORKERS", atoi(&c.workers))
	}
	if c.maxFail == 0 {
		env("ALIDNS_MODEL_MAXFAIL", atoi(&c.maxFail))
	}
	env("ALIDNS_MODEL_FAULTS", func(v string) (err error) { c.faults, err = strconv.ParseBool(v); return })
	single = c.seed != 0 || c.duration > 0
	if c.seed == 0 {
		c.seed = time.Now().UnixNano() % 1_000_000_000
	}
	if c.iters <= 0 {
		c.iters = 60
	}
	if c.workers <= 0 {
		c.workers = 4
	}
	if c.maxFail <= 0 {
		c.maxFail = 12
	}
	c.timed = c.workers > 1
	return c, single
}

// readingsFor derives the AliDNS readings of a run from its seed, so that
// a seed names them: every combination occurs among any 24 consecutive
// seeds.
func readingsFor(seed int64) alidnstest.Readings {
	s := seed
	if s < 0 {
		s = -s
	}
	return alidnstest.Readings{
		TXT:        alidnstest.TXTReading(s % 3),
		RRCase:     alidnstest.RRCaseReading(s / 3 % 2),
		Timestamps: alidnstest.TimestampReading(s / 6 % 2),
		SvcParams:  alidnstest.SvcParamsReading(s / 12 % 2),
	}
}

const (
	modelZone   = "example.com"
	modelOther  = "other.com"
	modelSecret = alidnstest.DefaultAccessKeySecret
	// modelHTTPTimeout is the providers' per-request timeout; slow faults
	// hold answers longer than that.
	modelHTTPTimeout = 300 * time.Millisecond
	// modelCancelAfter is the deadline of a cancelled operation: shorter
	// than modelHTTPTimeout, so it expires while the simulator holds the
	// answer of the write it was given a slow fault for.
	modelCancelAfter = 200 * time.Millisecond
	modelProviders   = 3
)

// modelRetry retries quickly, many times: every fault the run injects is
// recoverable with it.
var modelRetry = api.RetryPolicy{MaxAttempts: 12, BaseDelay: 5 * time.Millisecond, MaxDelay: 80 * time.Millisecond, MaxWait: 20 * time.Second}

// challengeNames are shared by all workers for append+delete pairs.
var challengeNames = []string{"_acme-challenge", "_acme-challenge.www"}

// modelRun is the shared state of one run.
type modelRun struct {
	t        *testing.T
	cfg      modelConfig
	s        *alidnstest.Server
	readings alidnstest.Readings
	static   []alidnstest.Record // static records of modelZone
	other    []alidnstest.Record // every record of modelOther
	deadline time.Time
	began    time.Time

	// opMu is held shared by every operation and exclusively by a
	// restart, which so happens while all workers are idle.
	opMu      sync.RWMutex
	providers []*Provider // guarded by opMu
	noRetry   *Provider   // guarded by opMu
	restarts  atomic.Int64

	mu         sync.Mutex
	violations []violation
	byInv      map[string]int
	firstAt    map[string]time.Duration // invariant -> time into the run of its first violation
	workers    []*worker
	stop       atomic.Bool
	// otherBroken is set once the other zone was found changed (reported
	// once).
	otherBroken atomic.Bool

	ops     atomic.Int64
	opKinds sync.Map // op kind -> *atomic.Int64
	calls   map[string]int
	// recent holds the simulator's calls, recentBase being the number of
	// calls dropped from its front: callMark and callsSince find the
	// calls an operation made.
	recent     []alidnstest.Call
	recentBase int
}

type violation struct {
	inv, detail string
	worker      int
	history     []string
	others      []string
}

// staleRec is a record returned before an in-place update gave its id
// other data, and its zone.
type staleRec struct {
	z   *mzone
	rec libdns.Record
}

// worker runs operations on its own zones.
type worker struct {
	r     *modelRun
	id    int
	rng   *rand.Rand
	zones []*mzone
	seen  map[string]libdns.Record // records returned by the provider, by id
	stale []staleRec               // records returned before an in-place update changed them
	seq   int                      // unique value counter
	// Of the operation running: its deadline is meant to expire
	// (cancelled), or its Provider does not retry (noRetry); either makes
	// a failure expected.
	cancelled, noRetry bool
	hmu                sync.Mutex
	hist               []string
	opNum              int
	failed             int
}

func TestModel(t *testing.T) {
	cfg, single := loadModelConfig(t)
	if single {
		runModel(t, cfg)
		return
	}
	// The seeds run side by side: each has its own simulator, and the
	// process state (zone locks, pacing, limiters) is keyed by endpoint.
	// Most of a run's time is spent waiting on injected delays.
	t.Parallel()
	sub := newConcurrently(t, len(modelCISet))
	defer sub.Wait()
	for _, run := range modelCISet {
		c := cfg
		c.seed, c.workers, c.iters, c.timed = run.seed, run.workers, run.iters, run.workers > 1
		if testing.Short() {
			c.iters /= 4
		}
		sub.Run(fmt.Sprintf("seed=%d,workers=%d", run.seed, run.workers), func(t *testing.T) { runModel(t, c) })
	}
}

// runModel runs one TestModel configuration and reports its violations.
func runModel(t *testing.T, cfg modelConfig) {
	start := fmt.Sprintf("TestModel seed=%d workers=%d iters=%d duration=%s faults=%v readings=%+v (replay: ALIDNS_MODEL_SEED=%d ALIDNS_MODEL_WORKERS=%d ALIDNS_MODEL_ITERS=%d go test -run TestModel .)",
		cfg.seed, cfg.workers, cfg.iters, cfg.duration, cfg.faults, readingsFor(cfg.seed), cfg.seed, cfg.workers, cfg.iters)
	t.Log(start)
	if !testing.Verbose() {
		// Shown if the run hangs and go test kills it, as t.Log is not.
		fmt.Fprintln(os.Stderr, start)
	}
	r := newModelRun(t, cfg)
	r.began = time.Now()
	if cfg.duration > 0 {
		r.deadline = r.began.Add(cfg.duration)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	drained := make(chan struct{})
	go func() { defer close(drained); r.background(ctx) }()

	var wg sync.WaitGroup
	for _, w := range r.workers {
		wg.Go(w.run)
	}
	wg.Wait()
	cancel()
	<-drained
	r.s.SetFaults(alidnstest.Faults{})
	r.s.ClearScriptedFaults()
	r.drainCalls()
	r.summary()
}

func (r *modelRun) summary() {
	t, cfg := r.t, r.cfg
	var kinds []string
	r.opKinds.Range(func(k, v any) bool {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, v.(*atomic.Int64).Load()))
		return true
	})
	sort.Strings(kinds)
	r.mu.Lock()
	defer r.mu.Unlock()
	var calls []string
	for k, n := range r.calls {
		calls = append(calls, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(calls)
	t.Logf("TestModel seed=%d: %d operations by %d workers in %s, %d restarts\n  operations: %s\n  API calls and faults: %s",
		cfg.seed, r.ops.Load(), cfg.workers, time.Since(r.began).Round(time.Millisecond), r.restarts.Load(), strings.Join(kinds, " "), strings.Join(calls, " "))
	if len(r.violations) == 0 {
		return
	}
	var invs []string
	for inv, n := range r.byInv {
		invs = append(invs, fmt.Sprintf("%dx %s (first after %s)", n, inv, r.firstAt[inv].Round(time.Millisecond)))
	}
	sort.Strings(invs)
	t.Errorf("TestModel seed=%d workers=%d: %d invariant violations (replay with ALIDNS_MODEL_SEED=%d ALIDNS_MODEL_WORKERS=%d ALIDNS_MODEL_ITERS=%d):\n  %s",
		cfg.seed, cfg.workers, len(r.violations), cfg.seed, cfg.workers, cfg.iters, strings.Join(invs, "\n  "))
	shown := map[string]bool{}
	for _, v := range r.violations {
		if shown[v.inv] {
			continue
		}
		shown[v.inv] = true
		t.Errorf("VIOLATION [%s] worker %d: %s\n  history of worker %d (oldest first):\n    %s\n  latest operations of the other workers:\n    %s",
			v.inv, v.worker, v.detail, v.worker, strings.Join(v.history, "\n    "), strings.Join(v.others, "\n    "))
	}
}

func newModelRun(t *testing.T, cfg modelConfig) *modelRun {
	s := alidnstest.NewServer(alidnstest.WithoutDNS())
	t.Cleanup(s.Close)
	r := &modelRun{t: t, cfg: cfg, s: s, readings: readingsFor(cfg.seed), byInv: map[string]int{}, firstAt: map[string]time.Duration{}, calls: map[string]int{}}
	s.SetReadings(r.readings)
	s.AddZone(modelZone, alidnstest.EditionFree)
	s.AddZone(modelOther, alidnstest.EditionFree)
	for _, rec := range []alidnstest.Record{
		{RR: "www", Type: "A", Value: "192.0.2.10", TTL: 600},
		{RR: "www", Type: "AAAA", Value: "2001:db8::10", TTL: 600},
		{RR: "@", Type: "MX", Value: "mail.example.com", Priority: 10, TTL: 3600},
		{RR: "@", Type: "CAA", Value: `0 issue "letsencrypt.org"`, TTL: 3600},
		{RR: "@", Type: "HTTPS", Value: ". port=443 alpn=h2,h3", Priority: 1, TTL: 600},
		{RR: "cdn", Type: "CNAME", Value: "Edge.Example.NET", TTL: 600},
		{RR: "static", Type: "TXT", Value: "keep-me", TTL: 600},
		{RR: "static", Type: "TXT", Value: "keep-me-too", TTL: 600},
		// At a challenge name, where challenges add and delete all the
		// time: disabled, and on another line.
		{RR: "_acme-challenge", Type: "TXT", Value: "disabled-challenge", TTL: 600, Status: "DISABLE"},
		{RR: "_acme-challenge", Type: "TXT", Value: "other-line-challenge", TTL: 600, Line: "telecom"},
	} {
		r.static = append(r.static, s.PutRecord(modelZone, rec))
	}
	for _, rec := range []alidnstest.Record{
		{RR: "www", Type: "A", Value: "198.51.100.7", TTL: 600},
		{RR: "m0a", Type: "TXT", Value: "other-zone-value", TTL: 600},
		{RR: "_acme-challenge", Type: "TXT", Value: "other-zone-challenge", TTL: 600},
	} {
		r.other = append(r.other, s.PutRecord(modelOther, rec))
	}
	r.newProviders()
	for i := 0; i < cfg.workers; i++ {
		w := &worker{r: r, id: i, rng: rand.New(rand.NewSource(cfg.seed*1000 + int64(i) + 1)), seen: map[string]libdns.Record{}}
		for _, e := range modelEditions {
			z := &mzone{name: fmt.Sprintf("w%d%s", i, e.suffix), edition: e.edition, min: e.edition.MinTTL()}
			s.AddZone(z.name, z.edition)
			for range map[bool]int{false: 3}[cfg.bare] {
				w.placeForeign(z, foreignKinds[w.pick(len(foreignKinds))])
				z.recs = r.snapshot(z.name)
			}
			w.zones = append(w.zones, z)
		}
		r.workers = append(r.workers, w)
	}
	return r
}

// newProviders makes the process's Providers: several with identical
// settings (as Caddy makes one per site; they share zone state) and one
// without retries. Called at start and with opMu held by a restart.
func (r *modelRun) newProviders() {
	mk := func(retry api.RetryPolicy) *Provider {
		return &Provider{
			AccessKeyID:     alidnstest.DefaultAccessKeyID,
			AccessKeySecret: alidnstest.DefaultAccessKeySecret,
			Endpoint:        r.s.URL,
			HTTPTimeout:     caddy.Duration(modelHTTPTimeout),
			Retry:           retry,
		}
	}
	r.providers = r.providers[:0]
	for range modelProviders {
		r.providers = append(r.providers, mk(modelRetry))
	}
	r.noRetry = mk(NoRetry)
}

// resetProcessState forgets what this process learned about the zones of
// the simulator at endpoint (write locks, pacing, issued record ids,
// learned minimum TTLs), as a restart of the process does. Only while no
// operation on them runs; other tests' simulators are left alone.
func resetProcessState(endpoint string) {
	// Keys are the parsed endpoint + " " + zone. A prefix match: the host
	// 127.0.0.1:4000 is also a substring of 127.0.0.1:40001, a simulator
	// that a parallel test is using.
	u, err := api.ParseEndpoint(endpoint)
	if err != nil {
		panic(err)
	}
	prefix := u.String() + " "
	zoneStates.Range(func(k, _ any) bool {
		if strings.HasPrefix(k.(string), prefix) {
			zoneStates.Delete(k)
		}
		return true
	})
}

// restart restarts the process between operations: once every worker is
// idle, fresh Providers and fresh process state.
func (r *modelRun) restart(w *worker) {
	r.opMu.Lock()
	defer r.opMu.Unlock()
	resetProcessState(r.s.URL)
	r.newProviders()
	for _, o := range r.workers {
		for _, z := range o.zones {
			z.learned = false
		}
	}
	r.restarts.Add(1)
	w.logf("  restart: fresh Providers and process state")
}

// background drains the simulator's call log, and during a soak prints a
// progress line a minute.
func (r *modelRun) background(ctx context.Context) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		r.drainCalls()
		if r.cfg.duration > 0 && time.Since(last) >= time.Minute {
			last = time.Now()
			r.mu.Lock()
			calls, v := r.calls["calls"], len(r.violations)
			r.mu.Unlock()
			fmt.Fprintf(os.Stderr, "TestModel seed=%d: %s: %d operations, %d API calls, %d violations\n",
				r.cfg.seed, time.Since(r.began).Round(time.Second), r.ops.Load(), calls, v)
		}
	}
}

// maxRecent bounds the calls kept for callsSince.
const maxRecent = 100000

// drainCalls counts the simulator's calls by outcome and moves them from
// its log to recent.
func (r *modelRun) drainCalls() {
	calls := r.s.TakeCalls()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range calls {
		r.calls["calls"]++
		switch {
		case c.Fault != "" && c.AfterApply:
			r.calls["fault:"+string(c.Fault)+"+after-apply"]++
		case c.Fault != "":
			r.calls["fault:"+string(c.Fault)]++
		case c.Code != "":
			r.calls["code:"+c.Code]++
		}
	}
	r.recent = append(r.recent, calls...)
	if len(r.recent) > maxRecent {
		drop := len(r.recent) - maxRecent/2
		r.recent = append(r.recent[:0:0], r.recent[drop:]...)
		r.recentBase += drop
	}
}

// callMark returns the position in the call log after every call answered
// so far.
func (r *modelRun) callMark() int {
	r.drainCalls()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.recentBase + len(r.recent)
}

// callsSince returns the calls logged since mark that concern zone: they
// name it (DomainName, SubDomain) or one of ids. ok is false when the log
// no longer holds them.
func (r *modelRun) callsSince(mark int, zone string, ids map[string]bool) (out []alidnstest.Call, ok bool) {
	r.drainCalls()
	r.mu.Lock()
	defer r.mu.Unlock()
	if mark < r.recentBase {
		return nil, false
	}
	for _, c := range r.recent[mark-r.recentBase:] {
		dn := strings.ToLower(strings.TrimSuffix(c.Params.Get("DomainName"), "."))
		sd := strings.ToLower(strings.TrimSuffix(c.Params.Get("SubDomain"), "."))
		if dn == zone || sd == zone || strings.HasSuffix(sd, "."+zone) || ids[c.Params.Get("RecordId")] {
			out = append(out, c)
		}
	}
	return out, true
}

// fail records an invariant violation of worker w.
func (w *worker) fail(inv, format string, args ...any) {
	r := w.r
	w.failed++
	v := violation{inv: inv, detail: fmt.Sprintf(format, args...), worker: w.id, history: w.history(40)}
	for _, o := range r.workers {
		if o != w {
			for _, h := range o.history(4) {
				v.others = append(v.others, fmt.Sprintf("w%d %s", o.id, h))
			}
		}
	}
	w.logf("  VIOLATION [%s] (after %s) %s", inv, time.Since(r.began).Round(time.Millisecond), v.detail)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.violations = append(r.violations, v)
	if r.byInv[inv] == 0 {
		r.firstAt[inv] = time.Since(r.began)
	}
	r.byInv[inv]++
	if len(r.violations) >= r.cfg.maxFail {
		r.stop.Store(true)
	}
}

func (w *worker) logf(format string, args ...any) {
	w.hmu.Lock()
	defer w.hmu.Unlock()
	line := fmt.Sprintf("#%d ", w.opNum) + fmt.Sprintf(format, args...)
	if modelTrace {
		fmt.Fprintf(os.Stderr, "%s w%d %s\n", time.Now().Format("15:04:05.000"), w.id, line)
	}
	w.hist = append(w.hist, line)
	if len(w.hist) > 400 {
		w.hist = append(w.hist[:0:0], w.hist[200:]...)
	}
}

func (w *worker) history(n int) []string {
	w.hmu.Lock()
	defer w.hmu.Unlock()
	if len(w.hist) > n {
		return append([]string(nil), w.hist[len(w.hist)-n:]...)
	}
	return append([]string(nil), w.hist...)
}

func (w *worker) run() {
	for i := 0; ; i++ {
		if w.r.stop.Load() {
			return
		}
		if w.r.deadline.IsZero() && i >= w.r.cfg.iters {
			return
		}
		if !w.r.deadline.IsZero() && time.Now().After(w.r.deadline) {
			return
		}
		w.opNum = i
		w.step()
		w.r.ops.Add(1)
		if i%100 == 99 {
			w.pruneSeen()
		}
	}
}

// pruneSeen forgets returned records no longer in the worker's zones, so
// that a soak's memory stays bounded.
func (w *worker) pruneSeen() {
	live := map[string]bool{}
	for _, z := range w.zones {
		for _, s := range z.recs {
			live[s.c.ID] = true
		}
	}
	for id := range w.seen {
		if !live[id] {
			delete(w.seen, id)
		}
	}
	if len(w.stale) > 20 {
		w.stale = w.stale[len(w.stale)-20:]
	}
}

// modelOp is an operation kind with its weight.
type modelOp struct {
	name   string
	weight int
	run    func(*worker, context.Context, *Provider)
}

// modelOps is set in init: opCancel refers to it.
var modelOps []modelOp

func init() {
	modelOps = []modelOp{
		{"get", 6, (*worker).opGet},
		{"append", 12, (*worker).opAppend},
		{"append-duplicate", 4, (*worker).opAppendDuplicate},
		{"set", 22, (*worker).opSet},
		{"delete-by-id", 9, (*worker).opDeleteByID},
		{"delete-by-value", 9, (*worker).opDeleteByValue},
		{"delete-stale", 3, (*worker).opDeleteStale},
		{"delete-cross-zone", 2, (*worker).opDeleteCrossZone},
		{"invalid-input", 5, (*worker).opInvalid},
		{"foreign-record", 4, (*worker).opForeign},
		{"cancelled", 5, (*worker).opCancel},
		{"challenge", 7, (*worker).opChallenge},
		{"get-other-zone", 1, (*worker).opGetOther},
		{"restart", 2, nil},
	}
}

func (w *worker) step() {
	w.maybeFault()
	total := 0
	for _, o := range modelOps {
		total += o.weight
	}
	n := w.rng.Intn(total)
	var o modelOp
	for _, o = range modelOps {
		if n -= o.weight; n < 0 {
			break
		}
	}
	v, _ := w.r.opKinds.LoadOrStore(o.name, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
	if o.run == nil {
		w.r.restart(w)
		return
	}
	noRetry := w.chance(8)
	w.r.opMu.RLock()
	p := w.r.providers[w.rng.Intn(len(w.r.providers))]
	if noRetry {
		p = w.r.noRetry
	}
	w.noRetry = noRetry
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	w.logf("%s%s", o.name, map[bool]string{true: " (provider without retries)"}[noRetry])
	start := time.Now()
	o.run(w, ctx, p)
	if d := time.Since(start); d > 500*time.Millisecond {
		w.logf("  (took %s)", d.Round(time.Millisecond))
	}
	cancel()
	w.noRetry = false
	w.r.opMu.RUnlock()
	w.checkStatic()
}

// maybeFault queues a one-shot fault (any kind, before or after apply,
// mostly on a write action) or changes the random fault rates, drawn from
// the worker's seed.
func (w *worker) maybeFault() {
	if !w.r.cfg.faults {
		return
	}
	n := w.pick(100)
	switch {
	case n < 14 && len(w.r.s.PendingInjections()) < 2:
		writes := []string{"AddDomainRecord", "UpdateDomainRecord", "DeleteDomainRecord"}
		in := alidnstest.Injection{Action: writes[w.pick(len(writes))], AfterApply: w.chance(2),
			Kind: alidnstest.FaultKinds[w.pick(len(alidnstest.FaultKinds))]}
		switch in.Kind {
		case alidnstest.FaultAPIError:
			// LastOperationNotFinished comes from WriteWindow only: a busy
			// answer long after the last write would teach a pacing
			// client a long window and slow the run down.
			in.Code = []string{"InternalError", "ServiceUnavailable", "Throttling.User"}[w.pick(3)]
			if in.Code == "Throttling.User" && (in.AfterApply || w.r.cfg.duration == 0) {
				// Throttling never follows an applied write; and a client
				// that slows down after it (as it should) stays slow for
				// half a minute, which only a soak can afford.
				in.Code = "InternalError"
			}
		case alidnstest.FaultSlow:
			in.Delay = 20 * time.Millisecond // latency the client survives
			if w.chance(3) {
				in.Delay = modelHTTPTimeout + 200*time.Millisecond // a client timeout
			}
		}
		if w.chance(5) {
			in.Action = "" // any call, reads included
		}
		w.logf("inject %s on %s (after apply %v)", in.Kind, orAny(in.Action), in.AfterApply)
		w.r.s.Inject(in)
	case n >= 96:
		f := randomFaults(w.rng, w.r.cfg.timed, w.r.cfg.duration > 0)
		w.logf("faults %+v", f)
		w.r.s.SetFaults(f)
	}
}

// randomFaults draws random fault rates, kept moderate: a client that
// retries safely succeeds under every one of them. timed adds busy
// windows, throttle adds throttling (which slows a client down for half a
// minute: soaks only).
func randomFaults(rng *rand.Rand, timed, throttle bool) alidnstest.Faults {
	f := alidnstest.Faults{Seed: rng.Int63()}
	if rng.Intn(4) == 0 {
		return f // calm
	}
	if rng.Intn(3) == 0 {
		f.Latency = time.Duration(rng.Intn(3)) * time.Millisecond
		f.LatencyJitter = 3 * time.Millisecond
	}
	if rng.Intn(3) == 0 {
		f.ErrorRate = 0.03
	}
	if rng.Intn(3) == 0 {
		f.GatewayErrorRate = 0.03
	}
	if rng.Intn(2) == 0 {
		f.LostAnswerRate = 0.08
		if rng.Intn(4) == 0 {
			f.LostAnswerDelay = modelHTTPTimeout + 200*time.Millisecond
		}
	}
	if rng.Intn(6) == 0 {
		f.DropRate = 0.02
	}
	if !timed {
		return f
	}
	if rng.Intn(3) == 0 {
		// Short, so that the run stays quick: a client that learns the
		// window (and waits it out) must not be slowed down much.
		f.WriteWindow = time.Duration(2+rng.Intn(10)) * time.Millisecond
	}
	if !throttle {
		return f
	}
	// Throttling is kept rare: a client that slows down after being
	// throttled (as it should) stays slow for a while.
	if rng.Intn(10) == 0 {
		f.ThrottleBurst, f.ThrottleBurstEvery = 30*time.Millisecond, 250*time.Millisecond
	}
	if rng.Intn(10) == 0 {
		f.QPS = 100
	}
	return f
}

// ---- the simulator's truth ----

// snapshot returns the records of zone as the simulator holds them.
func (r *modelRun) snapshot(zone string) []srec {
	recs := r.s.Records(zone)
	out := make([]srec, len(recs))
	for i, rec := range recs {
		c, err := canonStored(rec)
		out[i] = srec{raw: rec, c: c, bad: err != nil || (c.Type == "TXT" && txtRefusal(c.Value) != "") ||
			(c.Type == "MX" && (c.Prio < 1 || c.Prio > canonMaxMXPref))}
	}
	return out
}

// observe returns the zone as the simulator holds it, first checking that
// nothing changed it since the worker's last operation.
func (w *worker) observe(z *mzone) []srec {
	now := w.r.snapshot(z.name)
	if d := diff(z.recs, now); !d.empty() {
		w.fail("zone changed between operations", "%s: %s", z.name, d)
	}
	return now
}

// delta is what an operation changed in a zone.
type delta struct {
	gone, added []srec    // records deleted, records created
	changed     [][2]srec // same id, before and after
}

func (d delta) empty() bool { return len(d.gone)+len(d.added)+len(d.changed) == 0 }

func (d delta) String() string {
	var parts []string
	for _, g := range d.gone {
		parts = append(parts, "-"+g.c.String())
	}
	for _, a := range d.added {
		parts = append(parts, "+"+a.c.String())
	}
	for _, c := range d.changed {
		parts = append(parts, "~"+c[0].c.String()+" => "+c[1].c.String())
	}
	if len(parts) == 0 {
		return "no change"
	}
	return strings.Join(parts, " ")
}

// diff compares two states of a zone, records byte for byte (a rewrite
// with the same data changes UpdateTimestamp).
func diff(before, after []srec) delta {
	var d delta
	was := map[string]srec{}
	for _, b := range before {
		was[b.raw.RecordID] = b
	}
	now := map[string]bool{}
	for _, a := range after {
		now[a.raw.RecordID] = true
		b, ok := was[a.raw.RecordID]
		switch {
		case !ok:
			d.added = append(d.added, a)
		case !reflect.DeepEqual(b.raw, a.raw):
			d.changed = append(d.changed, [2]srec{b, a})
		}
	}
	for _, b := range before {
		if !now[b.raw.RecordID] {
			d.gone = append(d.gone, b)
		}
	}
	return d
}

func fmtSrecs(rs []srec) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.c.String()
	}
	sort.Strings(parts)
	return "[" + strings.Join(parts, " ") + "]"
}

func fmtCrecs(rs []crec) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	sort.Strings(parts)
	return "[" + strings.Join(parts, " ") + "]"
}

// ids is the set of record ids of some states of a zone.
func ids(states ...[]srec) map[string]bool {
	out := map[string]bool{}
	for _, st := range states {
		for _, s := range st {
			out[s.raw.RecordID] = true
		}
	}
	return out
}

// checkStatic verifies that the static records of the shared zone and
// every record of the other zone are byte-identical to the start.
func (w *worker) checkStatic() {
	have := map[string]alidnstest.Record{}
	for _, rec := range w.r.s.Records(modelZone) {
		have[rec.RecordID] = rec
	}
	for _, want := range w.r.static {
		if got, ok := have[want.RecordID]; !ok || !reflect.DeepEqual(got, want) {
			w.fail("record outside the operation's RRsets touched", "static record %s %s %q (%s) is now %+v (present %v)", want.RR, want.Type, want.Value, want.RecordID, got, ok)
		}
	}
	if got := w.r.s.Records(modelOther); !reflect.DeepEqual(got, w.r.other) && !w.r.otherBroken.Swap(true) {
		w.fail("record outside the operation's zone touched", "zone %s now holds %+v, want %+v", modelOther, got, w.r.other)
	}
}

// idOf returns the AliDNS record id in a record's ProviderData, or "".
func idOf(rec libdns.Record) string {
	v := reflect.ValueOf(rec)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return ""
	}
	f := v.FieldByName("ProviderData")
	if !f.IsValid() || f.IsNil() {
		return ""
	}
	switch info := f.Interface().(type) {
	case RecordInfo:
		return info.RecordID
	case *RecordInfo:
		return info.RecordID
	}
	return ""
}
