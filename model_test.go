package alidns

// TestModel is a model-based randomized test of the provider against the
// AliDNS simulator (alidnstest) with randomized faults.
//
// Design: several workers run random operations concurrently, each through
// a Provider picked at random among several instances with identical
// settings (as Caddy makes one per site; they share zone state). Each
// worker owns its own names, so its reference model of those RRsets (a set
// of records with ids) is exact; after every operation the simulator's
// records at those names must equal the model. Shared names carry
// ACME-challenge-like AppendRecords+DeleteRecords pairs with unique values,
// and static records (in the zone and in a second zone) must stay
// byte-identical throughout. A fault controller changes the simulator's
// Faults every 100-300 ms (busy windows after accepted writes, throttling,
// latency, 5xx, gateway pages, resets, answers lost after apply) and queues
// scripted one-shot injections of every alidnstest.FaultKind.
//
// Invariants (the names in violation reports): a success's result equals
// the zone state it claims; no success with the zone unchanged when a
// change was asked; no record outside the operation's zone, name and type
// touched; ErrZoneUnchanged only with the zone unchanged; a failed
// AppendRecords leaves nothing it created (unless its error says the
// record "may exist"); no orphaned challenge record; DeleteRecords returns
// exactly what it deleted; an exact duplicate append is refused with
// DomainRecordDuplicate; every error names the AliDNS code of an API
// answer and never holds the secret; and, the faults being recoverable,
// every other operation succeeds.
//
// Knobs (flags need go test -run TestModel . as other packages do not
// define them; env vars work with ./...):
//
//	-model.seed / ALIDNS_MODEL_SEED          seed (default random, printed)
//	-model.iters / ALIDNS_MODEL_ITERS        operations per worker (50; 15 with -short)
//	-model.duration / ALIDNS_MODEL_DURATION  run this long instead (make soak)
//	-model.workers / ALIDNS_MODEL_WORKERS    concurrent workers (4)
//	-model.faults / ALIDNS_MODEL_FAULTS      false: no faults
//	-model.maxfail / ALIDNS_MODEL_MAXFAIL    stop after this many violations (12)
//	ALIDNS_MODEL_TRACE=1                     print every operation as it runs
//
// A seed replays the operations' choices and the fault schedule; the
// interleaving of workers and the timing of faults differ between runs,
// so a replay may need a few tries (ALIDNS_MODEL_WORKERS=1 helps). The
// deterministic scenarios in modelref_test.go pin each invariant down.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"net/netip"
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
	modelSeedFlag     = flag.Int64("model.seed", 0, "TestModel: seed (0 = random; env ALIDNS_MODEL_SEED)")
	modelItersFlag    = flag.Int("model.iters", 0, "TestModel: operations per worker (env ALIDNS_MODEL_ITERS; default 50)")
	modelDurationFlag = flag.Duration("model.duration", 0, "TestModel: run for this long instead of a number of operations (env ALIDNS_MODEL_DURATION)")
	modelWorkersFlag  = flag.Int("model.workers", 0, "TestModel: concurrent workers (env ALIDNS_MODEL_WORKERS; default 4)")
	modelFaultsFlag   = flag.Bool("model.faults", true, "TestModel: inject faults (env ALIDNS_MODEL_FAULTS=0 disables)")
	modelMaxFailFlag  = flag.Int("model.maxfail", 0, "TestModel: stop after this many invariant violations (env ALIDNS_MODEL_MAXFAIL; default 12)")
)

// modelTrace (env ALIDNS_MODEL_TRACE=1) prints every operation as it runs.
var modelTrace = os.Getenv("ALIDNS_MODEL_TRACE") == "1"

// modelConfig is the resolved configuration of one TestModel run.
type modelConfig struct {
	seed     int64
	iters    int           // operations per worker (when duration is 0)
	duration time.Duration // run until then (soak)
	workers  int
	faults   bool
	maxFail  int
}

func loadModelConfig(t *testing.T) modelConfig {
	c := modelConfig{seed: *modelSeedFlag, iters: *modelItersFlag, duration: *modelDurationFlag,
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
	if c.seed == 0 {
		c.seed = time.Now().UnixNano() % 1_000_000_000
	}
	if c.iters <= 0 {
		c.iters = 50
		if testing.Short() {
			c.iters = 15
		}
	}
	if c.workers <= 0 {
		c.workers = 4
	}
	if c.maxFail <= 0 {
		c.maxFail = 12
	}
	return c
}

const (
	modelZone   = "example.com"
	modelOther  = "other.com"
	modelSecret = alidnstest.DefaultAccessKeySecret
	// modelHTTPTimeout is the providers' per-request timeout; slow faults
	// hold answers longer than that.
	modelHTTPTimeout = 300 * time.Millisecond
	modelProviders   = 3
)

// challengeNames are shared by all workers for append+delete pairs.
var challengeNames = []string{"_acme-challenge", "_acme-challenge.www"}

// mrec is a record of the reference model.
type mrec struct {
	ID    string
	Value string
	TTL   int64
}

func (r mrec) String() string { return fmt.Sprintf("%s/%d#%s", r.Value, r.TTL, r.ID) }

// rkey is an RRset: name (relative, lower case) and type.
type rkey struct{ Name, Type string }

func (k rkey) String() string { return k.Name + " " + k.Type }

// modelRun is the shared state of one run.
type modelRun struct {
	t         *testing.T
	cfg       modelConfig
	s         *alidnstest.Server
	providers []*Provider
	static    []alidnstest.Record // static records of modelZone
	other     []alidnstest.Record // every record of modelOther
	deadline  time.Time

	mu         sync.Mutex
	violations []violation
	byInv      map[string]int
	workers    []*worker
	stop       atomic.Bool
	// otherBroken is set once the other zone was found changed (reported
	// once).
	otherBroken atomic.Bool

	ops     atomic.Int64
	opKinds sync.Map // op kind -> *atomic.Int64
	calls   map[string]int
}

type violation struct {
	inv, detail string
	worker      int
	history     []string
	others      []string
}

// worker runs operations on its own names.
type worker struct {
	r      *modelRun
	id     int
	rng    *rand.Rand
	names  []string
	model  map[rkey][]mrec
	seen   map[string]libdns.Record // records returned by the provider, by id
	stale  []libdns.Record          // records read before an in-place update changed them
	seq    int                      // unique value counter
	hmu    sync.Mutex
	hist   []string
	opNum  int
	failed int
}

func TestModel(t *testing.T) {
	cfg := loadModelConfig(t)
	start := fmt.Sprintf("TestModel seed=%d workers=%d iters=%d duration=%s faults=%v (replay: ALIDNS_MODEL_SEED=%d, or -model.seed=%d with go test -run TestModel .)",
		cfg.seed, cfg.workers, cfg.iters, cfg.duration, cfg.faults, cfg.seed, cfg.seed)
	t.Log(start)
	if !testing.Verbose() {
		// Shown if the run hangs and go test kills it, as t.Log is not.
		fmt.Fprintln(os.Stderr, start)
	}
	r := newModelRun(t, cfg)
	began := time.Now()
	if cfg.duration > 0 {
		r.deadline = began.Add(cfg.duration)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	faultsDone := make(chan struct{})
	go func() { defer close(faultsDone); r.faultController(ctx, rand.New(rand.NewSource(cfg.seed))) }()

	if cfg.duration > 0 {
		go r.progress(ctx, began)
	}
	var wg sync.WaitGroup
	for _, w := range r.workers {
		wg.Add(1)
		go func() { defer wg.Done(); w.run() }()
	}
	wg.Wait()
	cancel()
	<-faultsDone
	r.s.SetFaults(alidnstest.Faults{})
	r.s.ClearScriptedFaults()
	r.drainCalls()

	elapsed := time.Since(began)
	var kinds []string
	r.opKinds.Range(func(k, v any) bool {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, v.(*atomic.Int64).Load()))
		return true
	})
	sort.Strings(kinds)
	var calls []string
	for k, n := range r.calls {
		calls = append(calls, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(calls)
	summary := fmt.Sprintf("TestModel seed=%d: %d operations by %d workers in %s\n  operations: %s\n  API calls and faults: %s",
		cfg.seed, r.ops.Load(), cfg.workers, elapsed.Round(time.Millisecond), strings.Join(kinds, " "), strings.Join(calls, " "))
	t.Log(summary)

	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.violations) == 0 {
		return
	}
	var invs []string
	for inv, n := range r.byInv {
		invs = append(invs, fmt.Sprintf("%dx %s", n, inv))
	}
	sort.Strings(invs)
	t.Errorf("TestModel seed=%d: %d invariant violations (replay with ALIDNS_MODEL_SEED=%d; interleavings vary between runs, ALIDNS_MODEL_WORKERS=1 narrows them):\n  %s",
		cfg.seed, len(r.violations), cfg.seed, strings.Join(invs, "\n  "))
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
	s.AddZone(modelZone, alidnstest.EditionFree)
	s.AddZone(modelOther, alidnstest.EditionFree)
	r := &modelRun{t: t, cfg: cfg, s: s, byInv: map[string]int{}, calls: map[string]int{}}
	for _, rec := range []alidnstest.Record{
		{RR: "www", Type: "A", Value: "192.0.2.10", TTL: 600},
		{RR: "@", Type: "MX", Value: "mail.example.com", Priority: 10, TTL: 3600},
		{RR: "static", Type: "TXT", Value: "keep-me", TTL: 600},
		{RR: "static", Type: "TXT", Value: "keep-me-too", TTL: 600},
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
	for i := 0; i < modelProviders; i++ {
		r.providers = append(r.providers, &Provider{
			AccessKeyID:     alidnstest.DefaultAccessKeyID,
			AccessKeySecret: alidnstest.DefaultAccessKeySecret,
			Endpoint:        s.URL,
			HTTPTimeout:     caddy.Duration(modelHTTPTimeout),
			Retry:           api.RetryPolicy{MaxAttempts: 12, BaseDelay: 5 * time.Millisecond, MaxDelay: 80 * time.Millisecond, MaxWait: 20 * time.Second},
		})
	}
	for i := 0; i < cfg.workers; i++ {
		r.workers = append(r.workers, &worker{
			r: r, id: i, rng: rand.New(rand.NewSource(cfg.seed*1000 + int64(i) + 1)),
			names: []string{fmt.Sprintf("m%da", i), fmt.Sprintf("m%db", i)},
			model: map[rkey][]mrec{}, seen: map[string]libdns.Record{},
		})
	}
	return r
}

// faultController changes the fault configuration in phases and queues
// scripted one-shot faults, all drawn from rng (so from the seed).
func (r *modelRun) faultController(ctx context.Context, rng *rand.Rand) {
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	var phaseEnd time.Time
	writes := []string{"AddDomainRecord", "UpdateDomainRecord", "DeleteDomainRecord"}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		r.drainCalls()
		if !r.cfg.faults {
			continue
		}
		if now := time.Now(); now.After(phaseEnd) {
			phaseEnd = now.Add(time.Duration(100+rng.Intn(200)) * time.Millisecond)
			r.s.SetFaults(randomFaults(rng))
		}
		if rng.Intn(8) == 0 && len(r.s.PendingInjections()) < 2 {
			in := alidnstest.Injection{Action: writes[rng.Intn(len(writes))], AfterApply: rng.Intn(2) == 0}
			in.Kind = alidnstest.FaultKinds[rng.Intn(len(alidnstest.FaultKinds))]
			switch in.Kind {
			case alidnstest.FaultAPIError:
				// LastOperationNotFinished comes from WriteWindow only: a
				// busy answer long after the last write would teach a
				// pacing client a long window and slow the run down.
				in.Code = []string{"InternalError", "ServiceUnavailable", "Throttling.User"}[rng.Intn(3)]
				if in.AfterApply && in.Code == "Throttling.User" {
					in.Code = "InternalError" // throttling never follows an applied write
				}
			case alidnstest.FaultSlow:
				if rng.Intn(3) > 0 {
					in.Delay = 20 * time.Millisecond // latency the client survives
				} else {
					in.Delay = modelHTTPTimeout + 200*time.Millisecond // a client timeout
				}
			}
			if rng.Intn(5) == 0 && in.Kind != alidnstest.FaultEmptyOK {
				in.Action = "" // any call, reads included
			}
			r.s.Inject(in)
		}
	}
}

// randomFaults draws one phase of random faults, kept moderate: a client
// that retries safely succeeds under every one of them.
func randomFaults(rng *rand.Rand) alidnstest.Faults {
	f := alidnstest.Faults{Seed: rng.Int63()}
	if rng.Intn(4) == 0 {
		return f // a calm phase
	}
	if rng.Intn(3) == 0 {
		// Short, so that the run stays quick: a client that learns the
		// window (and waits it out) must not be slowed down much.
		f.WriteWindow = time.Duration(2+rng.Intn(10)) * time.Millisecond
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
	// Throttling is kept rare: a client that slows down after being
	// throttled (as it should) stays slow for a while.
	if rng.Intn(10) == 0 {
		f.ThrottleBurst, f.ThrottleBurstEvery = 30*time.Millisecond, 250*time.Millisecond
	}
	if rng.Intn(10) == 0 {
		f.QPS = 100
	}
	if rng.Intn(6) == 0 {
		f.DropRate = 0.02
	}
	return f
}

// progress prints a line a minute during a soak.
func (r *modelRun) progress(ctx context.Context, start time.Time) {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		r.mu.Lock()
		calls, v := r.calls["calls"], len(r.violations)
		r.mu.Unlock()
		fmt.Fprintf(os.Stderr, "TestModel seed=%d: %s: %d operations, %d API calls, %d violations\n",
			r.cfg.seed, time.Since(start).Round(time.Second), r.ops.Load(), calls, v)
	}
}

// drainCalls counts the simulator's calls by outcome and clears its log.
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
	r.mu.Lock()
	defer r.mu.Unlock()
	r.violations = append(r.violations, v)
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
	if len(w.hist) > 200 {
		w.hist = append(w.hist[:0:0], w.hist[100:]...)
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

// pruneSeen forgets returned records that are no longer in the model, so
// that a soak's memory stays bounded.
func (w *worker) pruneSeen() {
	live := map[string]bool{}
	for _, rs := range w.model {
		for _, m := range rs {
			live[m.ID] = true
		}
	}
	for id := range w.seen {
		if !live[id] {
			delete(w.seen, id)
		}
	}
}

// op kinds with their weights.
var modelOps = []struct {
	name   string
	weight int
	run    func(*worker, context.Context, *Provider)
}{
	{"get", 8, (*worker).opGet},
	{"append", 14, (*worker).opAppend},
	{"append-duplicate", 4, (*worker).opAppendDuplicate},
	{"set", 24, (*worker).opSet},
	{"delete-by-id", 12, (*worker).opDeleteByID},
	{"delete-by-value", 10, (*worker).opDeleteByValue},
	{"delete-stale", 6, (*worker).opDeleteStale},
	{"delete-cross-zone", 3, (*worker).opDeleteCrossZone},
	{"challenge", 14, (*worker).opChallenge},
	{"get-other-zone", 2, (*worker).opGetOther},
}

func (w *worker) step() {
	total := 0
	for _, o := range modelOps {
		total += o.weight
	}
	n := w.rng.Intn(total)
	for _, o := range modelOps {
		if n -= o.weight; n < 0 {
			pi := w.rng.Intn(len(w.r.providers))
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			v, _ := w.r.opKinds.LoadOrStore(o.name, new(atomic.Int64))
			v.(*atomic.Int64).Add(1)
			w.logf("p%d %s", pi, o.name)
			start := time.Now()
			o.run(w, ctx, w.r.providers[pi])
			if d := time.Since(start); d > 500*time.Millisecond {
				w.logf("  (took %s)", d.Round(time.Millisecond))
			}
			cancel()
			w.checkStatic()
			return
		}
	}
}

// ---- helpers: the simulator's truth ----

// truth returns the simulator's records at the worker's names.
func (w *worker) truth() map[rkey][]mrec {
	out := map[rkey][]mrec{}
	for _, rec := range w.r.s.Records(modelZone) {
		name := strings.ToLower(rec.RR)
		for _, n := range w.names {
			if name == n {
				k := rkey{n, rec.Type}
				out[k] = append(out[k], mrec{rec.RecordID, rec.Value, rec.TTL})
			}
		}
	}
	for k := range out {
		sortRecs(out[k])
	}
	return out
}

func sortRecs(rs []mrec) {
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].Value != rs[j].Value {
			return rs[i].Value < rs[j].Value
		}
		if rs[i].TTL != rs[j].TTL {
			return rs[i].TTL < rs[j].TTL
		}
		return rs[i].ID < rs[j].ID
	})
}

func fmtRecs(rs []mrec) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// sameRecs compares two record sets; ids are compared when withIDs.
func sameRecs(a, b []mrec, withIDs bool) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = append([]mrec(nil), a...), append([]mrec(nil), b...)
	if !withIDs {
		for i := range a {
			a[i].ID = ""
		}
		for i := range b {
			b[i].ID = ""
		}
	}
	sortRecs(a)
	sortRecs(b)
	return reflect.DeepEqual(a, b)
}

// keys lists the RRsets of both maps.
func keys(ms ...map[rkey][]mrec) []rkey {
	seen := map[rkey]bool{}
	var out []rkey
	for _, m := range ms {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// checkOwn compares the simulator with the model at the worker's names,
// except the RRsets in skip; on a difference it reports inv and adopts the
// simulator's state.
func (w *worker) checkOwn(inv string, truth map[rkey][]mrec, skip ...rkey) bool {
	ok := true
	for _, k := range keys(truth, w.model) {
		skipped := false
		for _, s := range skip {
			skipped = skipped || s == k
		}
		if skipped {
			continue
		}
		if !sameRecs(truth[k], w.model[k], true) {
			w.fail(inv, "%s: simulator holds %s, model %s", k, fmtRecs(truth[k]), fmtRecs(w.model[k]))
			ok = false
		}
	}
	if !ok {
		w.adopt(truth)
	}
	return ok
}

// adopt replaces the model by the simulator's state.
func (w *worker) adopt(truth map[rkey][]mrec) {
	w.model = map[rkey][]mrec{}
	for k, v := range truth {
		if len(v) > 0 {
			w.model[k] = append([]mrec(nil), v...)
		}
	}
}

// checkStatic verifies that the static records of the zone and every
// record of the other zone are byte-identical to the start.
func (w *worker) checkStatic() {
	ids := map[string]alidnstest.Record{}
	for _, rec := range w.r.s.Records(modelZone) {
		ids[rec.RecordID] = rec
	}
	for _, want := range w.r.static {
		if got, ok := ids[want.RecordID]; !ok || !reflect.DeepEqual(got, want) {
			w.fail("record outside the operation's name and type touched", "static record %s %s %q (%s) is now %+v (present %v)", want.RR, want.Type, want.Value, want.RecordID, got, ok)
		}
	}
	if got := w.r.s.Records(modelOther); !reflect.DeepEqual(got, w.r.other) && !w.r.otherBroken.Swap(true) {
		w.fail("record outside the operation's zone touched", "zone %s now holds %+v, want %+v", modelOther, got, w.r.other)
	}
}

// ---- helpers: libdns records ----

func (w *worker) freshValue(typ string) string {
	w.seq++
	if typ == "A" {
		return fmt.Sprintf("10.%d.%d.%d", w.id, w.seq/250%250, w.seq%250+1)
	}
	return fmt.Sprintf("w%d-v%d", w.id, w.seq)
}

func (w *worker) randomTTL() int64 { return []int64{600, 900, 1200}[w.rng.Intn(3)] }

func (w *worker) randomKey() rkey {
	return rkey{w.names[w.rng.Intn(len(w.names))], []string{"TXT", "A"}[w.rng.Intn(2)]}
}

// libRecord builds the libdns record of a model record; id != "" adds the
// provider's RecordInfo.
func libRecord(k rkey, value string, ttl int64, id string) libdns.Record {
	d := time.Duration(ttl) * time.Second
	var info any
	if id != "" {
		info = RecordInfo{RecordID: id, Line: "default", Status: "ENABLE", Weight: 1}
	}
	if k.Type == "A" {
		return libdns.Address{Name: k.Name, TTL: d, IP: netip.MustParseAddr(value), ProviderData: info}
	}
	return libdns.TXT{Name: k.Name, TTL: d, Text: value, ProviderData: info}
}

// recordOf returns the worker's copy of a model record: the one the
// provider returned earlier (ProviderData as the provider set it) when
// known, else one built with a RecordInfo.
func (w *worker) recordOf(k rkey, m mrec) libdns.Record {
	if rec, ok := w.seen[m.ID]; ok {
		if rr := rec.RR(); strings.EqualFold(rr.Name, k.Name) && rr.Data == m.Value && int64(rr.TTL/time.Second) == m.TTL {
			return rec
		}
	}
	return libRecord(k, m.Value, m.TTL, m.ID)
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

// flat is a returned record reduced to what the model compares.
type flat struct {
	Name, Type, Value string
	TTL               int64
	ID                string
}

func flatten(recs []libdns.Record) []flat {
	out := make([]flat, 0, len(recs))
	for _, rec := range recs {
		rr := rec.RR()
		out = append(out, flat{strings.ToLower(rr.Name), strings.ToUpper(rr.Type), rr.Data, int64(rr.TTL / time.Second), idOf(rec)})
	}
	return out
}

func fmtFlat(fs []flat) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = fmt.Sprintf("%s %s %s/%d#%s", f.Name, f.Type, f.Value, f.TTL, f.ID)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// checkErr applies the invariants every error must meet, and reports an
// unexpected failure (the faults injected are all recoverable).
func (w *worker) checkErr(op string, err error, expected bool) {
	msg := err.Error()
	if strings.Contains(msg, modelSecret) {
		w.fail("error contains the access key secret", "%s: %v", op, err)
	}
	var ae *api.Error
	if errors.As(err, &ae) {
		if ae.Code != "" && !strings.Contains(msg, ae.Code) {
			w.fail("error does not name the AliDNS code", "%s: code %s not in %q", op, ae.Code, msg)
		}
		if ae.Code == "" && !strings.Contains(msg, strconv.Itoa(ae.HTTPStatus)) {
			w.fail("error does not name the HTTP status", "%s: HTTP %d not in %q", op, ae.HTTPStatus, msg)
		}
	}
	if !expected {
		w.fail("operation failed under recoverable faults", "%s: %v", op, err)
	}
}

// ---- operations ----

func (w *worker) opGet(ctx context.Context, p *Provider) {
	recs, err := p.GetRecords(ctx, modelZone+".")
	w.logf("  GetRecords -> %d records, err=%v", len(recs), err)
	if err != nil {
		w.checkErr("GetRecords", err, false)
		return
	}
	got := map[rkey][]mrec{}
	static := 0
	for _, f := range flatten(recs) {
		for _, n := range w.names {
			if f.Name == n {
				k := rkey{n, f.Type}
				got[k] = append(got[k], mrec{f.ID, f.Value, f.TTL})
			}
		}
		for _, s := range w.r.static {
			if f.ID == s.RecordID {
				static++
			}
		}
	}
	for i, f := range flatten(recs) {
		if f.ID != "" && (f.Name == w.names[0] || f.Name == w.names[1]) {
			w.seen[f.ID] = recs[i]
		}
	}
	if static != len(w.r.static) {
		w.fail("GetRecords result differs from the zone", "static records listed %d times, want %d", static, len(w.r.static))
	}
	// The worker's names are its own: the listing must equal the model.
	for _, k := range keys(got, w.model) {
		if !sameRecs(got[k], w.model[k], true) {
			w.fail("GetRecords result differs from the zone", "%s: listed %s, zone %s", k, fmtRecs(got[k]), fmtRecs(w.model[k]))
		}
	}
	w.checkOwn("zone differs from the model", w.truth())
}

func (w *worker) opGetOther(ctx context.Context, p *Provider) {
	recs, err := p.GetRecords(ctx, modelOther+".")
	w.logf("  GetRecords(%s) -> %d records, err=%v", modelOther, len(recs), err)
	if err != nil {
		w.checkErr("GetRecords", err, false)
		return
	}
	var got, want []string
	for _, f := range flatten(recs) {
		got = append(got, f.ID+" "+f.Value)
	}
	for _, r := range w.r.s.Records(modelOther) {
		want = append(want, r.RecordID+" "+r.Value)
	}
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		w.fail("GetRecords result differs from the zone", "%s: listed %v, zone %v", modelOther, got, want)
	}
}

// maxRRset bounds the RRsets a worker grows, so that long soaks stay
// within AliDNS's per-name record limits.
const maxRRset = 6

func (w *worker) opAppend(ctx context.Context, p *Provider) {
	k := w.randomKey()
	if len(w.model[k]) >= maxRRset {
		w.logf("  (%s is large: delete it by name and type instead)", k)
		out, err := p.DeleteRecords(ctx, modelZone+".", []libdns.Record{libdns.RR{Name: k.Name, Type: k.Type}})
		w.logf("  DeleteRecords by name and type %s -> %s err=%v", k, fmtFlat(flatten(out)), err)
		w.checkDelete("DeleteRecords by name and type", []rkey{k}, out, err, w.model[k])
		return
	}
	n := 1 + w.rng.Intn(2)
	var want []mrec
	for i := 0; i < n; i++ {
		want = append(want, mrec{Value: w.freshValue(k.Type), TTL: w.randomTTL()})
	}
	w.appendNew(ctx, p, k, want)
}

// appendNew appends records with values new to the RRset k and checks the
// outcome.
func (w *worker) appendNew(ctx context.Context, p *Provider, k rkey, want []mrec) {
	var in []libdns.Record
	for _, m := range want {
		in = append(in, libRecord(k, m.Value, m.TTL, ""))
	}
	before := w.truth()
	out, err := p.AppendRecords(ctx, modelZone+".", in)
	w.logf("  AppendRecords %s %s -> %s err=%v", k, fmtRecs(want), fmtFlat(flatten(out)), err)
	truth := w.truth()
	if !w.checkOwn("record outside the operation's name and type touched", truth, k) {
		return
	}
	if err != nil {
		w.checkErr("AppendRecords", err, errors.Is(err, ErrOutcomeUnknown) && strings.Contains(err.Error(), "may exist"))
		// A failed append leaves nothing it created behind, unless it
		// says a record may exist.
		if !strings.Contains(err.Error(), "may exist") && !sameRecs(truth[k], before[k], true) {
			w.fail("failed AppendRecords left records behind", "%s: before %s, after %s: %v", k, fmtRecs(before[k]), fmtRecs(truth[k]), err)
		}
		w.adopt(truth)
		return
	}
	// Success: each record exists exactly once, nothing else changed, and
	// the result is exactly the input with the stored ids.
	expect := append(append([]mrec(nil), w.model[k]...), want...)
	if !sameRecs(truth[k], expect, false) {
		w.fail("success's result differs from the zone", "%s: asked to add %s to %s, zone holds %s", k, fmtRecs(want), fmtRecs(w.model[k]), fmtRecs(truth[k]))
		w.adopt(truth)
		return
	}
	w.checkReturned("AppendRecords", k, out, want, truth[k])
	w.model[k] = truth[k]
}

// checkReturned verifies that records returned by a write are exactly want
// (values and TTLs) and carry ids of records the zone holds with that data.
func (w *worker) checkReturned(op string, k rkey, out []libdns.Record, want []mrec, zone []mrec) {
	var got []mrec
	byID := map[string]mrec{}
	for _, z := range zone {
		byID[z.ID] = z
	}
	for i, f := range flatten(out) {
		if f.Name != k.Name || f.Type != k.Type {
			w.fail("success's result differs from the zone", "%s returned %s %s, asked for %s", op, f.Name, f.Type, k)
			continue
		}
		got = append(got, mrec{Value: f.Value, TTL: f.TTL})
		z, ok := byID[f.ID]
		switch {
		case f.ID == "":
			w.fail("success's result lacks the record id", "%s returned %s without RecordInfo", op, fmtFlat([]flat{f}))
		case !ok || z.Value != f.Value || z.TTL != f.TTL:
			w.fail("success's result differs from the zone", "%s returned %s, zone holds %s", op, fmtFlat([]flat{f}), fmtRecs(zone))
		default:
			w.seen[f.ID] = out[i]
		}
	}
	if !sameRecs(got, want, false) {
		w.fail("success's result differs from the zone", "%s %s returned %s, asked for %s", op, k, fmtRecs(got), fmtRecs(want))
	}
}

// pickOrAppend picks one of the worker's records; with none yet, it
// appends one instead and reports false.
func (w *worker) pickOrAppend(ctx context.Context, p *Provider) (rkey, mrec, bool) {
	k, m, ok := w.pickRecord()
	if !ok {
		w.logf("  (no record yet: append instead)")
		w.opAppend(ctx, p)
	}
	return k, m, ok
}

func (w *worker) opAppendDuplicate(ctx context.Context, p *Provider) {
	k, m, ok := w.pickOrAppend(ctx, p)
	if !ok {
		return
	}
	w.appendDuplicate(ctx, p, k, m)
}

// appendDuplicate appends an exact copy of the existing record m, which
// must be refused.
func (w *worker) appendDuplicate(ctx context.Context, p *Provider, k rkey, m mrec) {
	out, err := p.AppendRecords(ctx, modelZone+".", []libdns.Record{libRecord(k, m.Value, m.TTL, "")})
	w.logf("  AppendRecords duplicate of %s %s -> %s err=%v", k, m, fmtFlat(flatten(out)), err)
	truth := w.truth()
	if err == nil {
		if sameRecs(truth[k], w.model[k], true) {
			w.fail("success with the zone unchanged when a change was asked", "AppendRecords of an exact duplicate of %s %s succeeded returning %s", k, m, fmtFlat(flatten(out)))
		} else {
			w.fail("exact duplicate accepted", "AppendRecords of %s %s: zone now %s", k, m, fmtRecs(truth[k]))
		}
	} else {
		w.checkErr("AppendRecords(duplicate)", err, true)
		if !strings.Contains(err.Error(), "DomainRecordDuplicate") {
			w.fail("duplicate refused without the AliDNS code", "%v", err)
		}
	}
	w.checkOwn("zone changed by a refused duplicate", truth)
}

func (w *worker) pickRecord() (rkey, mrec, bool) {
	ks := keys(w.model)
	var nonEmpty []rkey
	for _, k := range ks {
		if len(w.model[k]) > 0 {
			nonEmpty = append(nonEmpty, k)
		}
	}
	if len(nonEmpty) == 0 {
		return rkey{}, mrec{}, false
	}
	k := nonEmpty[w.rng.Intn(len(nonEmpty))]
	return k, w.model[k][w.rng.Intn(len(w.model[k]))], true
}

func (w *worker) opSet(ctx context.Context, p *Provider) {
	k := w.randomKey()
	cur := w.model[k]
	var want []mrec
	variant := ""
	switch n := w.rng.Intn(6); {
	case len(cur) == 0 || n == 0:
		variant = "new values"
		if len(cur) == 0 {
			variant = "empty to N"
		}
		ttl := w.randomTTL()
		for i := 0; i < 1+w.rng.Intn(3); i++ {
			want = append(want, mrec{Value: w.freshValue(k.Type), TTL: ttl})
		}
	case n == 1 && len(cur) >= 1:
		variant = "TTL only"
		ttl := cur[0].TTL
		for ttl == cur[0].TTL {
			ttl = w.randomTTL()
		}
		for _, c := range cur {
			want = append(want, mrec{Value: c.Value, TTL: ttl})
		}
		if len(cur) == 1 { // make it a multi-record RRset, the known bug case
			want = append(want, mrec{Value: w.freshValue(k.Type), TTL: ttl})
			variant = "TTL change and grow"
		}
	case n == 2:
		variant = "reordered"
		for i := len(cur) - 1; i >= 0; i-- {
			want = append(want, mrec{Value: cur[i].Value, TTL: cur[i].TTL})
		}
		w.rng.Shuffle(len(want), func(i, j int) { want[i], want[j] = want[j], want[i] })
	case n == 3 && len(cur) >= 2:
		variant = "shrink"
		drop := w.rng.Intn(len(cur))
		for i, c := range cur {
			if i != drop {
				want = append(want, mrec{Value: c.Value, TTL: c.TTL})
			}
		}
	case n == 4 && len(cur) < maxRRset:
		variant = "grow"
		for _, c := range cur {
			want = append(want, mrec{Value: c.Value, TTL: c.TTL})
		}
		want = append(want, mrec{Value: w.freshValue(k.Type), TTL: cur[0].TTL})
	default:
		variant = "replace one value"
		for _, c := range cur {
			want = append(want, mrec{Value: c.Value, TTL: c.TTL})
		}
		want[w.rng.Intn(len(want))].Value = w.freshValue(k.Type)
	}
	w.set(ctx, p, k, want, variant)
}

// set makes the RRset k hold exactly want and checks the outcome.
func (w *worker) set(ctx context.Context, p *Provider, k rkey, want []mrec, variant string) {
	cur := w.model[k]
	in := make([]libdns.Record, len(want))
	for i, m := range want {
		in[i] = libRecord(k, m.Value, m.TTL, "")
	}
	out, err := p.SetRecords(ctx, modelZone+".", in)
	w.logf("  SetRecords %s (%s) %s -> %s err=%v", k, variant, fmtRecs(want), fmtFlat(flatten(out)), err)
	truth := w.truth()
	if !w.checkOwn("record outside the operation's name and type touched", truth, k) {
		return
	}
	if err != nil {
		w.checkErr("SetRecords", err, false)
		if errors.Is(err, ErrZoneUnchanged) && !sameRecs(truth[k], cur, true) {
			w.fail("AtomicErr (ErrZoneUnchanged) with the zone changed", "%s: before %s, after %s: %v", k, fmtRecs(cur), fmtRecs(truth[k]), err)
		}
		w.noteStale(k, cur, truth[k])
		w.adopt(truth)
		return
	}
	if !sameRecs(truth[k], want, false) {
		inv := "success's result differs from the zone"
		if sameRecs(truth[k], cur, true) && !sameRecs(cur, want, false) {
			inv = "success with the zone unchanged when a change was asked"
		}
		w.fail(inv, "SetRecords %s (%s): asked %s, zone before %s, after %s", k, variant, fmtRecs(want), fmtRecs(cur), fmtRecs(truth[k]))
		w.noteStale(k, cur, truth[k])
		w.adopt(truth)
		return
	}
	w.checkReturned("SetRecords", k, out, want, truth[k])
	w.noteStale(k, cur, truth[k])
	w.model[k] = truth[k]
}

// noteStale remembers records whose id now holds other data (updated in
// place) and whose old value is gone from the RRset: deleting such a stale
// record must delete nothing.
func (w *worker) noteStale(k rkey, before, after []mrec) {
	now := map[string]mrec{}
	values := map[string]bool{}
	for _, a := range after {
		now[a.ID] = a
		values[a.Value] = true
	}
	for _, b := range before {
		if a, ok := now[b.ID]; ok && (a.Value != b.Value || a.TTL != b.TTL) && !values[b.Value] {
			w.stale = append(w.stale, w.recordOf(k, b))
			if len(w.stale) > 20 {
				w.stale = w.stale[1:]
			}
		}
	}
}

// checkDelete checks a DeleteRecords outcome: only records of the
// requested RRsets changed, and the result is exactly what was deleted.
func (w *worker) checkDelete(what string, touched []rkey, out []libdns.Record, err error, expectDeleted []mrec) {
	truth := w.truth()
	if !w.checkOwn("record outside the operation's name and type touched", truth, touched...) {
		return
	}
	var deleted []mrec
	for _, k := range touched {
		still := map[string]bool{}
		for _, t := range truth[k] {
			still[t.ID] = true
		}
		for _, m := range w.model[k] {
			if !still[m.ID] {
				deleted = append(deleted, m)
			}
		}
		// Nothing may appear or change in place.
		was := map[string]mrec{}
		for _, m := range w.model[k] {
			was[m.ID] = m
		}
		for _, t := range truth[k] {
			if m, ok := was[t.ID]; !ok || m != t {
				w.fail("DeleteRecords changed or created a record", "%s: %s now %s (was %s)", what, k, t, m)
			}
		}
	}
	if err != nil {
		w.checkErr("DeleteRecords", err, false)
	} else {
		if !sameRecs(deleted, expectDeleted, true) {
			inv := "DeleteRecords deleted other records than asked"
			if len(deleted) == 0 {
				inv = "success with the zone unchanged when a change was asked"
			}
			w.fail(inv, "%s: deleted %s, expected %s", what, fmtRecs(deleted), fmtRecs(expectDeleted))
		}
		var ret []mrec
		for _, f := range flatten(out) {
			ret = append(ret, mrec{f.ID, f.Value, f.TTL})
		}
		if !sameRecs(ret, deleted, false) {
			w.fail("DeleteRecords result differs from what it deleted", "%s: returned %s, deleted %s", what, fmtFlat(flatten(out)), fmtRecs(deleted))
		} else {
			for _, f := range flatten(out) {
				if f.ID != "" {
					ok := false
					for _, d := range deleted {
						ok = ok || d.ID == f.ID
					}
					if !ok {
						w.fail("DeleteRecords result differs from what it deleted", "%s: returned id %s, deleted %s", what, f.ID, fmtRecs(deleted))
					}
				}
			}
		}
	}
	w.adopt(truth)
}

func (w *worker) opDeleteByID(ctx context.Context, p *Provider) {
	k, m, ok := w.pickOrAppend(ctx, p)
	if !ok {
		return
	}
	in := []libdns.Record{w.recordOf(k, m)}
	want := []mrec{m}
	if len(w.model[k]) > 1 && w.rng.Intn(2) == 0 {
		for _, o := range w.model[k] {
			if o.ID != m.ID {
				in = append(in, w.recordOf(k, o))
				want = append(want, o)
				break
			}
		}
	}
	w.deleteRecs(ctx, p, "DeleteRecords by id", k, in, want)
}

// deleteRecs deletes in (records of the RRset k), of which exactly want
// must be deleted, and checks the outcome.
func (w *worker) deleteRecs(ctx context.Context, p *Provider, what string, k rkey, in []libdns.Record, want []mrec) {
	out, err := p.DeleteRecords(ctx, modelZone+".", in)
	var rrs []string
	for _, rec := range in {
		rr := rec.RR()
		rrs = append(rrs, fmt.Sprintf("%s %s %q/%s#%s", rr.Name, rr.Type, rr.Data, rr.TTL, idOf(rec)))
	}
	w.logf("  %s %v -> %s err=%v", what, rrs, fmtFlat(flatten(out)), err)
	w.checkDelete(what, []rkey{k}, out, err, want)
}

func (w *worker) opDeleteByValue(ctx context.Context, p *Provider) {
	k, m, ok := w.pickOrAppend(ctx, p)
	if !ok {
		return
	}
	var in libdns.Record
	want := []mrec{m}
	what := "DeleteRecords by value"
	switch w.rng.Intn(4) {
	case 0: // name and type only: the whole RRset
		in = libdns.RR{Name: k.Name, Type: k.Type}
		want = w.model[k]
		what = "DeleteRecords by name and type"
	case 1: // with the TTL
		rr := libRecord(k, m.Value, m.TTL, "").RR()
		in = rr
	default: // value, TTL 0 (any)
		in = libdns.RR{Name: k.Name, Type: k.Type, Data: m.Value}
	}
	w.deleteRecs(ctx, p, what, k, []libdns.Record{in}, want)
}

func (w *worker) opDeleteStale(ctx context.Context, p *Provider) {
	if len(w.stale) == 0 {
		w.logf("  (no stale record yet: set instead)")
		w.opSet(ctx, p)
		return
	}
	i := w.rng.Intn(len(w.stale))
	rec := w.stale[i]
	w.stale = append(w.stale[:i], w.stale[i+1:]...)
	w.deleteStale(ctx, p, rec)
}

// deleteStale deletes a record read before an in-place update gave its id
// other data: nothing may be deleted.
func (w *worker) deleteStale(ctx context.Context, p *Provider, rec libdns.Record) {
	rr := rec.RR()
	k := rkey{strings.ToLower(rr.Name), strings.ToUpper(rr.Type)}
	for _, m := range w.model[k] {
		if m.Value == rr.Data {
			return // the old data is back: deleting it would be right
		}
	}
	out, err := p.DeleteRecords(ctx, modelZone+".", []libdns.Record{rec})
	w.logf("  DeleteRecords stale %s %q/%s id %s (the id now holds other data) -> %s err=%v", k, rr.Data, rr.TTL, idOf(rec), fmtFlat(flatten(out)), err)
	w.checkDelete("DeleteRecords of a stale record", []rkey{k}, out, err, nil)
}

func (w *worker) opDeleteCrossZone(ctx context.Context, p *Provider) {
	w.deleteCrossZone(ctx, p, w.r.other[w.rng.Intn(len(w.r.other))])
}

// deleteCrossZone passes a record of the other zone, with its id, to
// DeleteRecords of the worker's zone: nothing may be deleted anywhere.
func (w *worker) deleteCrossZone(ctx context.Context, p *Provider, o alidnstest.Record) {
	k := rkey{strings.ToLower(o.RR), o.Type}
	var rec libdns.Record
	info := RecordInfo{RecordID: o.RecordID, Line: o.Line, Status: o.Status, Weight: o.Weight}
	if o.Type == "A" {
		rec = libdns.Address{Name: o.RR, TTL: time.Duration(o.TTL) * time.Second, IP: netip.MustParseAddr(o.Value), ProviderData: info}
	} else {
		rec = libdns.TXT{Name: o.RR, TTL: time.Duration(o.TTL) * time.Second, Text: o.Value, ProviderData: info}
	}
	out, err := p.DeleteRecords(ctx, modelZone+".", []libdns.Record{rec})
	w.logf("  DeleteRecords(%s) of %s's record %s %q id %s -> %s err=%v", modelZone, modelOther, k, o.Value, o.RecordID, fmtFlat(flatten(out)), err)
	if err != nil {
		w.checkErr("DeleteRecords(cross-zone)", err, false)
	}
	if len(out) != 0 {
		w.fail("DeleteRecords result differs from what it deleted", "a record of %s passed with zone %s: returned %s", modelOther, modelZone, fmtFlat(flatten(out)))
	}
	// checkStatic (after every operation) verifies both zones.
	w.checkOwn("record outside the operation's zone touched", w.truth())
}

func (w *worker) opChallenge(ctx context.Context, p *Provider) {
	name := challengeNames[w.rng.Intn(len(challengeNames))]
	w.seq++
	w.challenge(ctx, p, name, fmt.Sprintf("chal-w%d-%d-%d", w.id, w.seq, w.rng.Int63()))
}

// challenge runs a DNS-01 challenge's AppendRecords + DeleteRecords of a
// TXT record with a unique value at a shared name: nothing may be left.
func (w *worker) challenge(ctx context.Context, p *Provider, name, value string) {
	in := []libdns.Record{libdns.TXT{Name: name, Text: value}}
	out, err := p.AppendRecords(ctx, modelZone+".", in)
	w.logf("  challenge AppendRecords %s TXT %q -> %s err=%v", name, value, fmtFlat(flatten(out)), err)
	count := func() (n int, where string) {
		for _, rec := range w.r.s.Records(modelZone) {
			if rec.Value == value {
				n++
				where += fmt.Sprintf(" %s#%s", rec.RR, rec.RecordID)
			}
		}
		return n, where
	}
	w.checkOwn("record outside the operation's name and type touched", w.truth())
	if err != nil {
		// An add applied at once whose answer was lost cannot be proved
		// to be this call's (settleAdd): it fails saying the record may
		// exist, and leaves it.
		w.checkErr("AppendRecords(challenge)", err, errors.Is(err, ErrOutcomeUnknown) && strings.Contains(err.Error(), "may exist"))
		if n, where := count(); n > 0 && !strings.Contains(err.Error(), "may exist") {
			w.fail("orphaned challenge record", "AppendRecords failed (%v) but left%s", err, where)
		}
		// Remove what is left so that it is reported once.
		_, _ = p.DeleteRecords(ctx, modelZone+".", []libdns.Record{libdns.RR{Name: name, Type: "TXT", Data: value}})
		return
	}
	if n, where := count(); n != 1 || len(out) != 1 {
		w.fail("success's result differs from the zone", "challenge AppendRecords returned %s; zone holds the value %d times:%s", fmtFlat(flatten(out)), n, where)
	} else if f := flatten(out)[0]; f.Name != name || f.Value != value || f.TTL != 600 || f.ID == "" || !strings.Contains(where, "#"+f.ID) {
		w.fail("success's result differs from the zone", "challenge AppendRecords returned %s; zone holds%s", fmtFlat([]flat{f}), where)
	}
	del, err := p.DeleteRecords(ctx, modelZone+".", out)
	w.logf("  challenge DeleteRecords %s -> %s err=%v", fmtFlat(flatten(out)), fmtFlat(flatten(del)), err)
	if err != nil {
		w.checkErr("DeleteRecords(challenge)", err, false)
	}
	if n, where := count(); n != 0 {
		w.fail("orphaned challenge record", "after the challenge's append+delete the zone still holds%s (delete err=%v)", where, err)
	} else if err == nil && len(del) != len(out) {
		w.fail("DeleteRecords result differs from what it deleted", "challenge delete returned %s, deleted %s", fmtFlat(flatten(del)), fmtFlat(flatten(out)))
	}
	w.checkOwn("record outside the operation's name and type touched", w.truth())
}
