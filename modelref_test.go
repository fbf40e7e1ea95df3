package alidns

// Fixed scenarios for what TestModel checks at random: each runs the
// model's own operations and checks (modelops_test.go) in a fixed order,
// with scripted faults, so that a failure of TestModel can be pinned down
// and a fix verified without depending on a seed. The first group pins
// the defects of issue 14 (items 1 to 7), one test each, named for the
// behaviour it requires.

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/libdns/libdns"

	"github.com/caddy-alidns/alidns/alidnstest"
)

// scenario is one worker of a model run without random faults or
// placed records, on its three zones (Free, Enterprise basic, Enterprise
// ultimate).
type scenario struct {
	t                 *testing.T
	r                 *modelRun
	w                 *worker
	p                 *Provider
	ctx               context.Context
	free, basic, ulti *mzone
}

func newScenario(t *testing.T) *scenario {
	t.Helper()
	r := newModelRun(t, modelConfig{seed: 1, workers: 1, maxFail: 1 << 20, bare: true})
	r.began = time.Now()
	r.readings = alidnstest.Readings{}
	r.s.SetReadings(r.readings)
	resetProcessState(r.s.URL) // as a fresh process
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	w := r.workers[0]
	sc := &scenario{t: t, r: r, w: w, p: r.providers[0], ctx: ctx, free: w.zones[0], basic: w.zones[1], ulti: w.zones[2]}
	t.Cleanup(sc.report)
	return sc
}

// readings sets the AliDNS readings of the scenario.
func (sc *scenario) readings(rd alidnstest.Readings) {
	sc.r.readings = rd
	sc.r.s.SetReadings(rd)
}

// step logs a step (shown in the history on failure).
func (sc *scenario) step(format string, args ...any) {
	sc.w.opNum++
	sc.w.logf(format, args...)
}

// report fails the test with every violation found.
func (sc *scenario) report() {
	sc.w.checkStatic()
	sc.r.mu.Lock()
	defer sc.r.mu.Unlock()
	// The first violation of each invariant, and how many there were.
	shown := map[string]bool{}
	for _, v := range sc.r.violations {
		if !shown[v.inv] {
			shown[v.inv] = true
			sc.t.Errorf("VIOLATION [%s] (%d times), first: %s", v.inv, sc.r.byInv[v.inv], v.detail)
		}
	}
	if len(sc.r.violations) > 0 {
		sc.t.Logf("history of the scenario:\n    %s", strings.Join(sc.w.history(400), "\n    "))
	}
	if n := len(sc.r.s.PendingInjections()); n > 0 && !sc.t.Failed() {
		sc.t.Errorf("%d scripted faults were not consumed: the scenario did not exercise them", n)
	}
}

// violated reports whether invariant inv was violated.
func (sc *scenario) violated(inv string) bool {
	sc.r.mu.Lock()
	defer sc.r.mu.Unlock()
	return sc.r.byInv[inv] > 0
}

// put places a record in z as another tool (or an earlier run) would.
func (sc *scenario) put(z *mzone, rec alidnstest.Record) srec {
	sc.w.observe(z)
	put := sc.r.s.PutRecord(z.name, rec)
	c, err := canonStored(put)
	if err != nil {
		sc.t.Fatalf("put %+v: %v", rec, err)
	}
	z.recs = sc.r.snapshot(z.name)
	sc.step("placed %s in %s", c, z.name)
	return srec{raw: put, c: c}
}

// wantOf is what in must be stored as, failing the test if the model
// refuses it.
func (sc *scenario) wantOf(z *mzone, in []libdns.Record) ([]crec, map[rkey]bool) {
	sc.t.Helper()
	want, err := canonInputs(in, z.name, z.min)
	if err != nil {
		sc.t.Fatalf("input %s: %v", fmtInputs(in), err)
	}
	targets := map[rkey]bool{}
	for _, c := range want {
		targets[rkey{c.Name, c.Type}] = true
	}
	return want, targets
}

func (sc *scenario) set(z *mzone, variant string, in ...libdns.Record) {
	sc.t.Helper()
	sc.step("set")
	want, targets := sc.wantOf(z, in)
	sc.w.setCheck(sc.ctx, sc.p, z, sc.w.observe(z), in, targets, want, variant)
}

func (sc *scenario) append(z *mzone, in ...libdns.Record) {
	sc.t.Helper()
	sc.step("append")
	want, _ := sc.wantOf(z, in)
	sc.w.appendCheck(sc.ctx, sc.p, z, sc.w.observe(z), in, want, nil)
}

// appendDuplicate appends in, an exact duplicate of dup.
func (sc *scenario) appendDuplicate(z *mzone, dup srec, in libdns.Record) {
	sc.t.Helper()
	sc.step("append a duplicate")
	want, _ := sc.wantOf(z, []libdns.Record{in})
	sc.w.appendCheck(sc.ctx, sc.p, z, sc.w.observe(z), []libdns.Record{in}, want, &dup)
}

func (sc *scenario) delete(z *mzone, what string, in ...libdns.Record) {
	sc.step("delete")
	sc.w.deleteCheck(sc.ctx, sc.p, z, sc.w.observe(z), in, what)
}

// returnedOf is the record the provider last returned for the zone's
// record with value v (by GetRecords when not seen yet).
func (sc *scenario) returnedOf(z *mzone, v string) libdns.Record {
	sc.t.Helper()
	for _, s := range sc.w.observe(z) {
		if strings.Contains(s.raw.Value, v) {
			if rec, ok := sc.w.seen[s.raw.RecordID]; ok {
				return rec
			}
		}
	}
	sc.w.opGet(sc.ctx, sc.p)
	for _, s := range z.recs {
		if strings.Contains(s.raw.Value, v) {
			if rec, ok := sc.w.seen[s.raw.RecordID]; ok {
				return rec
			}
		}
	}
	sc.t.Fatalf("no returned record with value %q in %s", v, z.name)
	return nil
}

// restart restarts the process: fresh Providers, fresh process state.
func (sc *scenario) restart() {
	sc.step("restart")
	sc.r.restart(sc.w)
	sc.p = sc.r.providers[0]
}

// cancelled runs f with a deadline that expires while the simulator holds
// the answer of action (applied first when afterApply).
func (sc *scenario) cancelled(action string, afterApply bool, f func()) {
	sc.step("cancel mid-call: slow %s (after apply %v)", action, afterApply)
	sc.r.s.Inject(alidnstest.Injection{Action: action, Kind: alidnstest.FaultSlow, Delay: 5 * time.Second, AfterApply: afterApply})
	ctx, cancel := context.WithTimeout(context.Background(), modelCancelAfter)
	defer cancel()
	outer := sc.ctx
	sc.ctx, sc.w.cancelled = ctx, true
	defer func() { sc.ctx, sc.w.cancelled = outer, false }()
	f()
}

// withoutRetries runs f with a Provider that does not retry.
func (sc *scenario) withoutRetries(f func()) {
	outer := sc.p
	sc.p, sc.w.noRetry = sc.r.noRetry, true
	defer func() { sc.p, sc.w.noRetry = outer, false }()
	f()
}

func addr(name, ip string, ttl time.Duration) libdns.Record {
	return libdns.RR{Name: name, Type: "A", Data: ip, TTL: ttl}
}

// ---- issue 14, items 1 to 7 ----

// Item 1. SetRecords of a record that the zone already holds as it would
// be stored (value as asked, TTL raised to the edition's minimum) is kept
// with no write, also by a fresh process that has not learned the
// minimum yet: Caddy's ECH publisher republishing its HTTPS record (TTL
// 5m) on a Free zone after every restart.
func TestModelSetKeepsRecordAlreadyStoredAtZoneMinimum(t *testing.T) {
	sc := newScenario(t)
	sc.put(sc.free, alidnstest.Record{RR: "www", Type: "A", Value: "192.0.2.1", TTL: 600})
	sc.set(sc.free, "unchanged, TTL below the minimum", addr("www", "192.0.2.1", 300*time.Second))

	sc.put(sc.free, alidnstest.Record{RR: "www", Type: "HTTPS", Value: ". ech=AEXAAA", Priority: 2, TTL: 600})
	sc.restart()
	sc.set(sc.free, "ECH republished after a restart", libdns.ServiceBinding{Scheme: "https", Name: "www", TTL: 5 * time.Minute,
		Priority: 2, Target: ".", Params: libdns.SvcParams{"ech": {"AEXAAA"}}})

	sc.put(sc.basic, alidnstest.Record{RR: "@", Type: "TXT", Value: "v=spf1 -all", TTL: 60})
	sc.restart()
	sc.set(sc.basic, "unchanged, TTL below the minimum (Enterprise basic)", libdns.TXT{Name: "@", Text: "v=spf1 -all", TTL: 30 * time.Second})
	// A change of TTL that the minimum turns into no change, in a
	// multi-record RRset.
	sc.put(sc.free, alidnstest.Record{RR: "www", Type: "A", Value: "192.0.2.2", TTL: 600})
	sc.restart()
	sc.set(sc.free, "TTL change the minimum makes a no-op", addr("www", "192.0.2.2", 120*time.Second), addr("www", "192.0.2.1", time.Second))
}

// Item 2. HTTPS/SVCB params compare regardless of order: libdns prints
// them from a map (any order), another tool or AliDNS may store them in
// another, and the provider writes them in RFC 9460 order. Every form of
// the same record deletes it and sets it without a write.
// Under an AliDNS that stores HTTPS/SVCB params in its own order, a record
// an earlier run wrote (stored in that order) is still a duplicate of the
// same append: the simulator's duplicate check and the model's duplicate
// candidates both compare the stored form. The model once placed earlier
// runs' records in RFC order under this reading, which AliDNS would never
// store, and then called the simulator's acceptance of the "duplicate" a
// violation (TestModel seed 13, 4 workers, under load).
func TestModelAppendDuplicateUnderReorderingStore(t *testing.T) {
	sc := newScenario(t)
	rd := alidnstest.Readings{SvcParams: alidnstest.SvcParamsReordered}
	sc.readings(rd)
	z := sc.ulti
	in := libdns.RR{Name: "_dns.svc", Type: "SVCB", Data: "2 svc.example.net. alpn=dot port=853 ech=AEXAAA", TTL: 600 * time.Second}
	want, _ := sc.wantOf(z, []libdns.Record{in})
	earlier := sc.put(z, alidnstest.Record{RR: want[0].Name, Type: want[0].Type, Value: rd.StoredValue(want[0].Type, want[0].Value), Priority: want[0].Prio, TTL: want[0].TTL})
	if earlier.raw.Value == want[0].Value {
		t.Fatalf("the reading stored %q as sent: the test needs a reordering store", earlier.raw.Value)
	}
	sc.appendDuplicate(z, earlier, in)
}

func TestModelServiceBindingParamsCompareInAnyOrder(t *testing.T) {
	orders := []string{"alpn=h2,h3 port=8443 ech=AEXAAA", "ech=AEXAAA port=8443 alpn=h2,h3", "port=8443 alpn=h2,h3 ech=AEXAAA"}
	for _, rd := range []alidnstest.SvcParamsReading{alidnstest.SvcParamsAsSent, alidnstest.SvcParamsReordered} {
		t.Run(fmt.Sprintf("reading=%d", rd), func(t *testing.T) {
			sc := newScenario(t)
			sc.readings(alidnstest.Readings{SvcParams: rd})
			z := sc.ulti
			for i, o := range orders {
				// Written in one order, set and deleted in every other.
				sc.append(z, libdns.RR{Name: "www", Type: "HTTPS", Data: "1 . " + o, TTL: 600 * time.Second})
				for _, o2 := range orders {
					sc.set(z, "unchanged, params in another order", libdns.RR{Name: "www", Type: "HTTPS", Data: "1 . " + o2, TTL: 600 * time.Second})
				}
				if i%2 == 0 {
					sc.delete(z, "DeleteRecords by value", libdns.RR{Name: "www", Type: "HTTPS", Data: "1 . " + orders[(i+1)%len(orders)]})
				} else {
					sc.delete(z, "DeleteRecords by returned record", sc.returnedOf(z, "8443"))
				}
			}
			// libdns's own form, printed from a map: many rounds see many
			// orders.
			sb := libdns.ServiceBinding{Scheme: "https", Name: "www", TTL: 600 * time.Second, Priority: 1, Target: ".",
				Params: libdns.SvcParams{"alpn": {"h2", "h3"}, "port": {"8443"}, "ipv4hint": {"192.0.2.1"}, "ech": {"AEXAAA"}}}
			for range 12 {
				sc.append(z, sb)
				sc.set(z, "unchanged", sb)
				sc.delete(z, "DeleteRecords by returned record", sc.returnedOf(z, "8443"))
			}
			// A record another tool stored with params in another order.
			sc.put(z, alidnstest.Record{RR: "svc", Type: "SVCB", Value: "dns.example.net port=853 alpn=dot", Priority: 1, TTL: 600})
			sc.set(z, "unchanged, stored by another tool", libdns.RR{Name: "svc", Type: "SVCB", Data: "1 dns.example.net. alpn=dot port=853", TTL: 600 * time.Second})
			sc.delete(z, "DeleteRecords by value", libdns.RR{Name: "svc", Type: "SVCB", Data: "1 dns.example.net. alpn=dot port=853"})
		})
	}
}

// Item 3. An AppendRecords whose add is cancelled mid-call, or answered
// with a 5xx, never deletes or adopts a record that existed before the
// call (an earlier run's, the console's): it is not its own.
func TestModelAppendNeverTouchesExistingRecord(t *testing.T) {
	for _, ts := range []alidnstest.TimestampReading{alidnstest.TimestampMillis, alidnstest.TimestampSeconds} {
		t.Run(fmt.Sprintf("cancelled/timestamps=%d", ts), func(t *testing.T) {
			sc := newScenario(t)
			sc.readings(alidnstest.Readings{Timestamps: ts})
			pre := sc.put(sc.free, alidnstest.Record{RR: "www", Type: "A", Value: "192.0.2.1", TTL: 600})
			sc.cancelled("AddDomainRecord", false, func() { sc.appendDuplicate(sc.free, pre, addr("www", "192.0.2.1", 0)) })
			// The same after a restart, with a record this process never saw.
			sc.restart()
			pre2 := sc.put(sc.free, alidnstest.Record{RR: "_acme-challenge", Type: "TXT", Value: "token", TTL: 600})
			sc.cancelled("AddDomainRecord", false, func() {
				sc.appendDuplicate(sc.free, pre2, libdns.TXT{Name: "_acme-challenge", Text: "token"})
			})
		})
		t.Run(fmt.Sprintf("5xx-not-applied/timestamps=%d", ts), func(t *testing.T) {
			sc := newScenario(t)
			sc.readings(alidnstest.Readings{Timestamps: ts})
			pre := sc.put(sc.free, alidnstest.Record{RR: "www", Type: "A", Value: "192.0.2.1", TTL: 600})
			sc.r.s.FailNext("AddDomainRecord", "InternalError", 500)
			sc.appendDuplicate(sc.free, pre, addr("www", "192.0.2.1", 0))
		})
	}
}

// Item 4. DeleteRecords matches in the stored form: an MX appended with
// preference 0 (stored as 1), a TTL raised to the zone's minimum, a host
// in another case are deleted by the same input.
func TestModelDeleteMatchesTheStoredForm(t *testing.T) {
	sc := newScenario(t)
	mx := libdns.MX{Name: "@", Preference: 0, Target: "mail.example.com."}
	sc.append(sc.free, mx)
	sc.delete(sc.free, "DeleteRecords by the appended record", mx)

	txt := libdns.TXT{Name: "t", Text: "short-ttl", TTL: 300 * time.Second}
	sc.append(sc.free, txt) // stored with TTL 600
	sc.delete(sc.free, "DeleteRecords by the appended record", txt)

	sc.append(sc.basic, libdns.CNAME{Name: "alias", Target: "target.example.net.", TTL: time.Second})
	sc.delete(sc.basic, "DeleteRecords by value in another case", libdns.CNAME{Name: "ALIAS", Target: "Target.Example.NET", TTL: time.Second})
}

// Item 5. SetRecords pairs existing records with wanted values by value
// (AliDNS's duplicate key) before priority, so no update collides: MX and
// HTTPS keep the priority in a parameter of its own.
func TestModelSetPairsByValueBeforePriority(t *testing.T) {
	sc := newScenario(t)
	sc.put(sc.free, alidnstest.Record{RR: "@", Type: "MX", Value: "mx2.example.com", Priority: 20})
	sc.put(sc.free, alidnstest.Record{RR: "@", Type: "MX", Value: "mx1.example.com", Priority: 10}) // listed first
	sc.set(sc.free, "one value at another's priority", libdns.MX{Name: "@", Preference: 10, Target: "mx2.example.com."})
	sc.put(sc.free, alidnstest.Record{RR: "@", Type: "MX", Value: "mx3.example.com", Priority: 30})
	sc.set(sc.free, "swap priorities", libdns.MX{Name: "@", Preference: 30, Target: "mx2.example.com."}, libdns.MX{Name: "@", Preference: 10, Target: "mx3.example.com."})

	sc.put(sc.ulti, alidnstest.Record{RR: "www", Type: "HTTPS", Value: "a.example.net alpn=h2", Priority: 2})
	sc.put(sc.ulti, alidnstest.Record{RR: "www", Type: "HTTPS", Value: "b.example.net alpn=h2", Priority: 1})
	sc.set(sc.ulti, "one value at another's priority", libdns.RR{Name: "www", Type: "HTTPS", Data: "1 a.example.net. alpn=h2", TTL: 600 * time.Second})
}

// Item 6. What a method returns is what the zone then holds: input that
// AliDNS would store otherwise (a TXT value with surrounding white space)
// is refused before any call; DeleteRecords returns the deleted record,
// not the caller's spelling of it; names come back as stored.
func TestModelResultsAreWhatTheZoneHolds(t *testing.T) {
	for _, rd := range []alidnstest.Readings{{}, {TXT: alidnstest.TXTTrimTrailing}, {TXT: alidnstest.TXTKeep, RRCase: alidnstest.RRKeep}} {
		t.Run(fmt.Sprintf("readings=%+v", rd), func(t *testing.T) {
			sc := newScenario(t)
			sc.readings(rd)
			z := sc.free
			for _, bad := range []libdns.Record{libdns.TXT{Name: "t", Text: " padded "}, libdns.TXT{Name: "t", Text: "trailing "}} {
				for _, set := range []bool{false, true} {
					sc.step("refused input")
					sc.w.invalidCheck(sc.ctx, sc.p, z, sc.w.observe(z), []libdns.Record{bad}, set, "TXT with surrounding white space")
				}
			}
			sc.append(z, libdns.TXT{Name: "_acme-challenge", Text: "tok"})
			rec := sc.returnedOf(z, "tok").(libdns.TXT)
			rec.Name, rec.TTL = "_acme-challenge."+z.name+".", 0
			sc.delete(z, "DeleteRecords by returned record, absolute name, TTL 0", rec)

			sc.set(z, "name in upper case", libdns.TXT{Name: "WWW", Text: "v"})
			sc.append(z, libdns.Address{Name: "Mixed.Case." + strings.ToUpper(z.name) + ".", IP: netip.MustParseAddr("192.0.2.7")})
			sc.w.opGet(sc.ctx, sc.p)
		})
	}
}

// Item 7. When settling an add proves nothing was created (every lookup
// answered, no such record), the error does not say the write may have
// been applied, and SetRecords' error says the zone is unchanged.
func TestModelSettledAddIsNotOutcomeUnknown(t *testing.T) {
	sc := newScenario(t)
	sc.withoutRetries(func() {
		sc.r.s.FailNext("AddDomainRecord", "InternalError", 500) // not applied
		sc.append(sc.free, libdns.TXT{Name: "t", Text: "v"})
		sc.r.s.FailNext("AddDomainRecord", "ServiceUnavailable", 503)
		sc.set(sc.free, "empty to N", libdns.TXT{Name: "t", Text: "v"})
	})
	// The same through the API directly, as a library user tests it.
	p := sc.r.noRetry
	sc.r.s.FailNext("AddDomainRecord", "InternalError", 500)
	_, err := p.AppendRecords(sc.ctx, sc.free.name+".", []libdns.Record{libdns.TXT{Name: "t2", Text: "v"}})
	if err == nil || mayHaveApplied(err) {
		t.Errorf("AppendRecords after a 500 that created nothing: %v (may have applied: %v)", err, err != nil && mayHaveApplied(err))
	}
	sc.r.s.FailNext("AddDomainRecord", "InternalError", 500)
	_, err = p.SetRecords(sc.ctx, sc.free.name+".", []libdns.Record{libdns.TXT{Name: "t2", Text: "v"}})
	if !errors.Is(err, ErrZoneUnchanged) {
		t.Errorf("SetRecords after a 500 that created nothing: %v, want ErrZoneUnchanged", err)
	}
	sc.free.recs = sc.r.snapshot(sc.free.name)
}

// ---- the rest of the input space ----

// SetRecords variants of every type, on every edition: reorder, shrink,
// grow, replace, mixed TTLs, TTLs below the minimum, 0 and the maximum.
func TestModelSetVariants(t *testing.T) {
	sc := newScenario(t)
	for _, z := range []*mzone{sc.free, sc.basic, sc.ulti} {
		for _, n := range modelNames {
			for _, typ := range n.types {
				k := rkey{n.name, typ}
				var cs []crec
				for range map[bool]int{true: 1, false: 3}[typ == "CNAME"] {
					cs = append(cs, sc.w.freshCanon(z, k))
				}
				render := func(cs ...crec) []libdns.Record {
					var in []libdns.Record
					for _, c := range cs {
						in = append(in, sc.w.render(z, c))
					}
					return in
				}
				sc.set(z, "empty to N", render(cs...)...)
				sc.set(z, "unchanged", render(cs[len(cs)-1:]...)...)
				for i := range cs {
					cs[i].TTL = canonMaxTTL
				}
				sc.set(z, "TTL only", render(cs...)...)
				sc.set(z, "shrink to one", render(cs[0])...)
				sc.set(z, "replace", render(sc.w.freshCanon(z, k))...)
			}
		}
	}
}

// Deletes by returned record, by value, by value and TTL, by name and
// type, and by name, next to records they must not touch: disabled, on
// another line, of another type.
func TestModelDeleteVariants(t *testing.T) {
	sc := newScenario(t)
	z := sc.free
	sc.put(z, alidnstest.Record{RR: "www", Type: "TXT", Value: "off", Status: "DISABLE"})
	sc.put(z, alidnstest.Record{RR: "www", Type: "TXT", Value: "a", Line: "telecom"})
	sc.put(z, alidnstest.Record{RR: "www", Type: "A", Value: "192.0.2.9"})
	sc.set(z, "empty to N", libdns.TXT{Name: "www", Text: "a"}, libdns.TXT{Name: "www", Text: "b"}, libdns.TXT{Name: "www", Text: "c"}, libdns.TXT{Name: "www", Text: "d"})
	sc.delete(z, "DeleteRecords by returned record", sc.returnedOf(z, "a"))
	sc.delete(z, "DeleteRecords by value", libdns.RR{Name: "WWW", Type: "TXT", Data: "b"})
	sc.delete(z, "DeleteRecords by value and TTL", libdns.TXT{Name: "www." + z.name + ".", Text: "c", TTL: 600 * time.Second})
	sc.delete(z, "DeleteRecords by value, other TTL", libdns.TXT{Name: "www", Text: "d", TTL: 900 * time.Second})
	sc.delete(z, "DeleteRecords of a missing record", libdns.TXT{Name: "www", Text: "nope"})
	sc.delete(z, "DeleteRecords by name and type", libdns.RR{Name: "www", Type: "TXT"})
	sc.set(z, "refill", libdns.TXT{Name: "www", Text: "x"})
	sc.delete(z, "DeleteRecords by name", libdns.RR{Name: "www"})
}

// AppendRecords next to records of every kind another tool may have
// placed (in any case, params in another order, disabled, on another
// line): it touches none of them, and an exact duplicate is refused.
func TestModelAppendNextToForeignRecords(t *testing.T) {
	for _, rd := range []alidnstest.Readings{{}, readingsFor(23)} {
		t.Run(fmt.Sprintf("readings=%+v", rd), func(t *testing.T) {
			sc := newScenario(t)
			sc.readings(rd)
			for _, z := range []*mzone{sc.free, sc.ulti} {
				for i := range 12 {
					sc.w.placeForeign(z, foreignKinds[i%len(foreignKinds)])
				}
				z.recs = sc.r.snapshot(z.name)
				for range 12 {
					sc.step("append")
					sc.w.opAppend(sc.ctx, sc.p)
					sc.step("append a duplicate")
					sc.w.opAppendDuplicate(sc.ctx, sc.p)
				}
			}
		})
	}
}

// A restart between operations: a fresh process deletes by returned
// record (its ids unknown now), sets and appends as before.
func TestModelRestartBetweenOperations(t *testing.T) {
	sc := newScenario(t)
	z := sc.basic
	sc.append(z, libdns.TXT{Name: "_acme-challenge", Text: "one", TTL: 30 * time.Second})
	rec := sc.returnedOf(z, "one")
	sc.restart()
	mark := sc.r.callMark()
	sc.delete(z, "DeleteRecords by returned record after a restart", rec)
	// The restart is real: the new process does not know the id still
	// holds that record, so it looked the record up.
	calls, _ := sc.r.callsSince(mark, z.name, nil)
	looked := false
	for _, c := range calls {
		looked = looked || strings.HasPrefix(c.Action, "Describe")
	}
	if !looked {
		t.Errorf("after a restart DeleteRecords trusted a record id without a lookup: %+v", calls)
	}
	sc.set(z, "empty to N", addr("www", "192.0.2.1", 30*time.Second), addr("www", "192.0.2.2", 0))
	sc.restart()
	sc.set(z, "unchanged after a restart", addr("www", "192.0.2.2", 0), addr("www", "192.0.2.1", 59*time.Second))
}

// A record read before an in-place update, whose id now holds other data,
// deletes nothing.
func TestModelDeleteStale(t *testing.T) {
	sc := newScenario(t)
	z := sc.free
	sc.set(z, "empty to N", libdns.TXT{Name: "www", Text: "old"})
	old := sc.returnedOf(z, "old")
	sc.set(z, "replace", libdns.TXT{Name: "www", Text: "new"})
	sc.delete(z, "DeleteRecords of a stale record", old)
	sc.set(z, "empty to N", addr("a", "10.0.0.1", 0))
	oldA := sc.returnedOf(z, "10.0.0.1")
	sc.set(z, "replace value and TTL", addr("a", "10.0.0.2", 900*time.Second))
	sc.delete(z, "DeleteRecords of a stale record", oldA)
}

// A record id of another zone passed with the wrong zone argument touches
// neither zone.
func TestModelDeleteCrossZone(t *testing.T) {
	sc := newScenario(t)
	for range sc.r.other {
		sc.step("delete another zone's record")
		sc.w.opDeleteCrossZone(sc.ctx, sc.p)
	}
}

// Input the semantics refuse fails before any API call and changes
// nothing, through AppendRecords and SetRecords, mixed with valid records.
func TestModelRefusedInput(t *testing.T) {
	sc := newScenario(t)
	for range 40 {
		sc.step("invalid input")
		sc.w.opInvalid(sc.ctx, sc.p)
	}
}

// An exact duplicate is refused even when the attempt that meets it
// follows an ambiguous failure.
func TestModelDuplicateAfterAmbiguousFailure(t *testing.T) {
	for _, kind := range []alidnstest.FaultKind{alidnstest.FaultGatewayHTML, alidnstest.FaultReset, alidnstest.FaultEmptyError, alidnstest.FaultEmptyOK} {
		t.Run(string(kind), func(t *testing.T) {
			sc := newScenario(t)
			sc.set(sc.free, "empty to N", libdns.TXT{Name: "dup", Text: "dup"})
			sc.r.s.Inject(alidnstest.Injection{Action: "AddDomainRecord", Kind: kind})
			sc.appendDuplicate(sc.free, sc.free.recs[0], libdns.TXT{Name: "dup", Text: "dup"})
		})
	}
}

// Every fault kind, before and after apply, on each write action: the
// operation succeeds and leaves exactly what was asked.
func TestModelOneShotFaults(t *testing.T) {
	t.Parallel() // each scenario has its own simulator
	type op struct {
		action string
		run    func(sc *scenario)
	}
	ops := []op{
		{"AddDomainRecord", func(sc *scenario) { sc.append(sc.free, libdns.TXT{Name: "t", Text: "add"}) }},
		{"AddDomainRecord", func(sc *scenario) { sc.w.challenge(sc.ctx, sc.p, "_acme-challenge", "challenge") }},
		{"AddDomainRecord", func(sc *scenario) {
			sc.set(sc.free, "grow", addr("www", "10.0.0.1", 0), addr("www", "10.0.0.2", 0))
		}},
		{"UpdateDomainRecord", func(sc *scenario) { sc.set(sc.free, "replace", addr("www", "10.0.0.3", 0)) }},
		{"DeleteDomainRecord", func(sc *scenario) {
			sc.delete(sc.free, "DeleteRecords by returned record", sc.returnedOf(sc.free, "10.0.0.1"))
		}},
		{"DeleteDomainRecord", func(sc *scenario) {
			sc.delete(sc.free, "DeleteRecords by value", libdns.RR{Name: "www", Type: "A", Data: "10.0.0.1"})
		}},
	}
	sub := newConcurrently(t, 8)
	defer sub.Wait()
	for i, o := range ops {
		for _, kind := range alidnstest.FaultKinds {
			for _, after := range []bool{false, true} {
				name := fmt.Sprintf("%d-%s/%s", i, o.action, kind)
				if after {
					name += "/after-apply"
				}
				sub.Run(name, func(t *testing.T) {
					sc := newScenario(t)
					sc.set(sc.free, "setup", addr("www", "10.0.0.1", 0))
					sc.returnedOf(sc.free, "10.0.0.1") // known before the fault
					in := alidnstest.Injection{Action: o.action, AfterApply: after, Kind: kind}
					switch kind {
					case alidnstest.FaultAPIError:
						in.Code = "ServiceUnavailable"
					case alidnstest.FaultSlow:
						in.Delay = modelHTTPTimeout + 200*time.Millisecond
					}
					sc.step("inject %s on %s (after apply %v)", kind, o.action, after)
					sc.r.s.Inject(in)
					o.run(sc)
				})
			}
		}
	}
}

// The harness itself: a canonical record renders, in every form, to an
// input the model reads back as that record; and the model's checks do
// fire (a returned record in the caller's spelling is caught).
func TestModelHarness(t *testing.T) {
	sc := newScenario(t)
	for _, z := range []*mzone{sc.free, sc.basic, sc.ulti} {
		for _, n := range modelNames {
			for _, typ := range n.types {
				for range 20 {
					c := sc.w.freshCanon(z, rkey{n.name, typ})
					in := sc.w.render(z, c)
					got, err := canonInput(in, z.name, z.min)
					if err != nil || got.data() != c.data() {
						t.Fatalf("%s renders as %s, read back as %s (%v)", c, fmtInputs([]libdns.Record{in}), got, err)
					}
				}
			}
		}
	}
	// A check that cannot fail would prove nothing.
	w := sc.w
	zs := []srec{{raw: alidnstest.Record{RecordID: "1", RR: "www", Type: "TXT", Value: "v", TTL: 600, Line: canonLine, Status: "ENABLE"},
		c: crec{ID: "1", Name: "www", Type: "TXT", Value: "v", TTL: 600, Line: canonLine, Status: "ENABLE"}}}
	w.checkReturned("probe", []libdns.Record{libdns.TXT{Name: "WWW", Text: "v", TTL: 600 * time.Second, ProviderData: RecordInfo{RecordID: "1"}}}, zs, true, nil)
	if !sc.violated("returned name differs from the zone") {
		t.Fatal("a returned name in the caller's case went unnoticed")
	}
	sc.r.mu.Lock()
	sc.r.violations, sc.r.byInv = nil, map[string]int{}
	sc.r.mu.Unlock()
}
