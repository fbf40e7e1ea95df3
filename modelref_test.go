package alidns

// Deterministic scenarios for the invariants TestModel checks at random:
// each runs the model's own operations (and checks) in a fixed order,
// with scripted faults, so that a failure of TestModel can be pinned down
// and a fix verified without depending on a seed or on interleavings.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/libdns/libdns"

	"github.com/caddy-alidns/alidns/alidnstest"
)

// scenario is one worker of a fresh model run without random faults.
type scenario struct {
	t   *testing.T
	r   *modelRun
	w   *worker
	p   *Provider
	ctx context.Context
}

func newScenario(t *testing.T) *scenario {
	t.Helper()
	r := newModelRun(t, modelConfig{seed: 1, workers: 1, maxFail: 1 << 20})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	sc := &scenario{t: t, r: r, w: r.workers[0], p: r.providers[0], ctx: ctx}
	t.Cleanup(sc.report)
	return sc
}

// step logs a step of the scenario (shown in the history on failure) and
// checks the static records after it.
func (sc *scenario) step(format string, args ...any) func() {
	sc.w.opNum++
	sc.w.logf(format, args...)
	return sc.w.checkStatic
}

// report fails the test with every violation found.
func (sc *scenario) report() {
	sc.r.mu.Lock()
	defer sc.r.mu.Unlock()
	for _, v := range sc.r.violations {
		sc.t.Errorf("VIOLATION [%s]: %s\n  history:\n    %s", v.inv, v.detail, strings.Join(v.history, "\n    "))
	}
	if n := len(sc.r.s.PendingInjections()); n > 0 && !sc.t.Failed() {
		sc.t.Errorf("%d scripted faults were not consumed: the scenario did not exercise them", n)
	}
}

func recs(ttl int64, values ...string) []mrec {
	out := make([]mrec, len(values))
	for i, v := range values {
		out[i] = mrec{Value: v, TTL: ttl}
	}
	return out
}

var (
	keyTXT = rkey{"m0a", "TXT"}
	keyA   = rkey{"m0b", "A"}
)

// A TTL change of a multi-record RRset must change every record's TTL.
func TestModelSetTTLOnly(t *testing.T) {
	sc := newScenario(t)
	defer sc.step("set 2 records, then change only their TTL")()
	sc.w.set(sc.ctx, sc.p, keyTXT, recs(600, "a", "b"), "empty to N")
	sc.w.set(sc.ctx, sc.p, keyTXT, recs(900, "a", "b"), "TTL only")
	sc.w.set(sc.ctx, sc.p, keyTXT, recs(1200, "b", "a"), "TTL only, reordered")
	sc.w.set(sc.ctx, sc.p, keyA, recs(600, "10.0.0.1", "10.0.0.2", "10.0.0.3"), "empty to N")
	sc.w.set(sc.ctx, sc.p, keyA, recs(1200, "10.0.0.3", "10.0.0.1", "10.0.0.2"), "TTL only, reordered")
}

// SetRecords variants: reorder, shrink, grow, replace, mixed TTLs.
func TestModelSetVariants(t *testing.T) {
	sc := newScenario(t)
	defer sc.step("set variants")()
	w := sc.w
	w.set(sc.ctx, sc.p, keyTXT, recs(600, "a", "b", "c"), "empty to N")
	w.set(sc.ctx, sc.p, keyTXT, recs(600, "c", "a", "b"), "reordered")
	w.set(sc.ctx, sc.p, keyTXT, recs(600, "a", "c"), "shrink")
	w.set(sc.ctx, sc.p, keyTXT, recs(600, "a", "c", "d"), "grow")
	w.set(sc.ctx, sc.p, keyTXT, recs(600, "a", "e", "d"), "replace one value")
	w.set(sc.ctx, sc.p, keyTXT, append(recs(600, "a"), recs(900, "e", "f")...), "mixed TTLs")
	w.set(sc.ctx, sc.p, keyTXT, recs(600, "g"), "replace all")
	// Another type at the same name is left alone.
	w.set(sc.ctx, sc.p, rkey{"m0a", "A"}, recs(600, "10.0.0.9"), "other type")
	w.set(sc.ctx, sc.p, keyTXT, recs(600, "h", "g"), "grow next to another type")
}

// A record read before an in-place update, whose id now holds other data,
// must not delete the new data.
func TestModelDeleteStale(t *testing.T) {
	sc := newScenario(t)
	defer sc.step("delete a stale record")()
	w := sc.w
	w.set(sc.ctx, sc.p, keyTXT, recs(600, "old"), "empty to N")
	old := w.model[keyTXT][0]
	w.set(sc.ctx, sc.p, keyTXT, recs(600, "new"), "replace all")
	if len(w.model[keyTXT]) == 1 && w.model[keyTXT][0].ID != old.ID {
		t.Logf("SetRecords did not update in place (id %s -> %s): the stale id is simply gone", old.ID, w.model[keyTXT][0].ID)
	}
	w.deleteStale(sc.ctx, sc.p, libRecord(keyTXT, old.Value, old.TTL, old.ID))
	// A TTL-only update in place makes a stale record too.
	w.set(sc.ctx, sc.p, keyA, recs(600, "10.0.0.1"), "empty to N")
	oldA := w.model[keyA][0]
	w.set(sc.ctx, sc.p, keyA, recs(900, "10.0.0.2"), "replace value and TTL")
	w.deleteStale(sc.ctx, sc.p, libRecord(keyA, oldA.Value, oldA.TTL, oldA.ID))
}

// A record id of another zone passed with the wrong zone argument must
// not touch that zone (nor the zone given).
func TestModelDeleteCrossZone(t *testing.T) {
	sc := newScenario(t)
	defer sc.step("delete another zone's records")()
	for _, o := range sc.r.other {
		sc.w.deleteCrossZone(sc.ctx, sc.p, o)
		sc.w.checkStatic()
	}
}

// Deletes by id, by value, by value and TTL, and by name and type.
func TestModelDeleteVariants(t *testing.T) {
	sc := newScenario(t)
	defer sc.step("delete variants")()
	w := sc.w
	w.set(sc.ctx, sc.p, keyTXT, recs(600, "a", "b", "c", "d"), "empty to N")
	m := w.model[keyTXT]
	w.deleteRecs(sc.ctx, sc.p, "DeleteRecords by id", keyTXT, []libdns.Record{w.recordOf(keyTXT, m[0])}, m[:1])
	m = w.model[keyTXT]
	w.deleteRecs(sc.ctx, sc.p, "DeleteRecords by value", keyTXT, []libdns.Record{libdns.RR{Name: keyTXT.Name, Type: "TXT", Data: m[0].Value}}, m[:1])
	m = w.model[keyTXT]
	w.deleteRecs(sc.ctx, sc.p, "DeleteRecords by value and TTL", keyTXT, []libdns.Record{libRecord(keyTXT, m[0].Value, m[0].TTL, "")}, m[:1])
	w.set(sc.ctx, sc.p, keyTXT, recs(600, "x", "y"), "refill")
	w.deleteRecs(sc.ctx, sc.p, "DeleteRecords by name and type", keyTXT, []libdns.Record{libdns.RR{Name: keyTXT.Name, Type: "TXT"}}, w.model[keyTXT])
}

// An exact duplicate must be refused even when the attempt that meets it
// follows an ambiguous failure (the record existed before the call).
func TestModelDuplicateAfterAmbiguousFailure(t *testing.T) {
	for _, kind := range []alidnstest.FaultKind{alidnstest.FaultGatewayHTML, alidnstest.FaultReset} {
		t.Run(string(kind), func(t *testing.T) {
			sc := newScenario(t)
			defer sc.step("duplicate append after a %s before apply", kind)()
			sc.w.set(sc.ctx, sc.p, keyTXT, recs(600, "dup"), "empty to N")
			sc.r.s.Inject(alidnstest.Injection{Action: "AddDomainRecord", Kind: kind})
			sc.w.appendDuplicate(sc.ctx, sc.p, keyTXT, sc.w.model[keyTXT][0])
		})
	}
}

// Every fault kind, before and after apply, on each write action: the
// operation must succeed and leave exactly what was asked.
func TestModelOneShotFaults(t *testing.T) {
	type op struct {
		action string
		run    func(sc *scenario, n int)
	}
	ops := []op{
		{"AddDomainRecord", func(sc *scenario, n int) {
			sc.w.appendNew(sc.ctx, sc.p, keyTXT, recs(600, fmt.Sprint("add-", n)))
		}},
		{"AddDomainRecord", func(sc *scenario, n int) {
			sc.w.challenge(sc.ctx, sc.p, "_acme-challenge", fmt.Sprint("challenge-", n))
		}},
		{"UpdateDomainRecord", func(sc *scenario, n int) {
			sc.w.set(sc.ctx, sc.p, keyA, recs(600, fmt.Sprintf("10.0.1.%d", n)), "replace all")
		}},
		{"DeleteDomainRecord", func(sc *scenario, n int) {
			m := sc.w.model[keyA]
			sc.w.deleteRecs(sc.ctx, sc.p, "DeleteRecords by id", keyA, []libdns.Record{sc.w.recordOf(keyA, m[0])}, m[:1])
		}},
		{"DeleteDomainRecord", func(sc *scenario, n int) {
			m := sc.w.model[keyA]
			sc.w.deleteRecs(sc.ctx, sc.p, "DeleteRecords by value", keyA, []libdns.Record{libdns.RR{Name: keyA.Name, Type: "A", Data: m[0].Value}}, m[:1])
		}},
	}
	for i, o := range ops {
		for _, kind := range alidnstest.FaultKinds {
			for _, after := range []bool{false, true} {
				name := fmt.Sprintf("%d-%s/%s", i, o.action, kind)
				if after {
					name += "/after-apply"
				}
				t.Run(name, func(t *testing.T) {
					sc := newScenario(t)
					defer sc.step("%s with a %s fault (after apply: %v)", o.action, kind, after)()
					sc.w.set(sc.ctx, sc.p, keyA, recs(600, "10.0.0.1"), "setup")
					in := alidnstest.Injection{Action: o.action, AfterApply: after, Kind: kind}
					switch kind {
					case alidnstest.FaultAPIError:
						in.Code = "ServiceUnavailable"
					case alidnstest.FaultSlow:
						in.Delay = modelHTTPTimeout + 200*time.Millisecond
					}
					sc.r.s.Inject(in)
					o.run(sc, 2)
				})
			}
		}
	}
}
