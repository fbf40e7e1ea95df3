package alidns

// TestModel's operations and the checks of their outcome against the
// semantics (modelcanon_test.go).

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/libdns/libdns"

	"github.com/caddy-alidns/alidns/alidnstest"
	"github.com/caddy-alidns/alidns/internal/api"
)

// mayHaveApplied reports whether err says a write may have been applied.
func mayHaveApplied(err error) bool { return errors.Is(err, ErrOutcomeUnknown) }

// zoneArg is the zone argument of a call: usually the FQDN, sometimes
// without the dot or in another case.
func (w *worker) zoneArg(z *mzone) string {
	switch w.pick(6) {
	case 0:
		return z.name
	case 1:
		return w.randomCase(z.name) + "."
	}
	return z.name + "."
}

// expectErr reports whether a failure of the running operation is
// expected: its deadline was meant to expire, or its Provider does not
// retry.
func (w *worker) expectErr() bool { return w.cancelled || w.noRetry }

// checkErr applies the invariants every error must meet.
func (w *worker) checkErr(op string, err error) {
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
}

// recoverable reports a failure that the faults injected do not excuse.
func (w *worker) recoverable(op string, err error) {
	if !w.expectErr() {
		w.fail("operation failed under recoverable faults", "%s: %v", op, err)
	}
}

// checkReturned verifies that records a method returned are exactly want,
// as the zone holds them: same ids (ids optional when !needID), canonical
// data, and the name as stored (lower case, relative), never as the
// caller spelled it. Records returned that the zone held before the call
// are reported as foreignInv when not nil.
func (w *worker) checkReturned(op string, out []libdns.Record, want []srec, needID bool, before map[string]bool) {
	byID := map[string]srec{}
	for _, s := range want {
		byID[s.raw.RecordID] = s
	}
	var noID []returned
	used := map[string]bool{}
	for _, rec := range out {
		g := canonReturned(rec)
		if g.err != nil {
			w.fail("returned record differs from the zone", "%s returned %T %+v, unreadable: %v", op, rec, rec.RR(), g.err)
			continue
		}
		if g.c.ID == "" {
			// A record libdns cannot type (an SVCB not named _proto.name)
			// comes back as a plain libdns.RR, which has no ProviderData
			// to carry the id.
			if _, opaque := rec.(libdns.RR); needID && !opaque {
				w.fail("returned record lacks the record id", "%s returned %s", op, g.c)
			}
			noID = append(noID, g)
			continue
		}
		z, ok := byID[g.c.ID]
		switch {
		case !ok && before != nil && before[g.c.ID]:
			w.fail("a record that existed before reported as created", "%s returned %s", op, g.c)
			continue
		case !ok || used[g.c.ID]:
			w.fail("returned record differs from the zone", "%s returned %s, want %s", op, g.c, fmtSrecs(want))
			continue
		}
		used[g.c.ID] = true
		w.sameAsStored(op, g, z)
	}
	// Records returned without an id match the rest by data.
	for _, g := range noID {
		found := false
		for _, z := range want {
			if !used[z.raw.RecordID] && sameCarried(g.c, z.c) {
				used[z.raw.RecordID], found = true, true
				w.sameAsStored(op, g, z)
				break
			}
		}
		if !found {
			w.fail("returned record differs from the zone", "%s returned %s, want %s", op, g.c, fmtSrecs(want))
		}
	}
	if len(out) != len(want) {
		w.fail("returned record differs from the zone", "%s returned %d records, want %s", op, len(out), fmtSrecs(want))
	}
}

// sameCarried compares what libdns can carry of two records: name, type,
// value, priority and TTL (not the line or status).
func sameCarried(a, b crec) bool {
	return a.Name == b.Name && a.Type == b.Type && a.Value == b.Value && a.Prio == b.Prio && a.TTL == b.TTL
}

// sameAsStored checks one returned record against the zone's.
func (w *worker) sameAsStored(op string, g returned, z srec) {
	if !sameCarried(g.c, z.c) {
		w.fail("returned record differs from the zone", "%s returned %s, zone holds %s", op, g.c, z.c)
	}
	if g.name != z.c.Name && g.name != z.raw.RR {
		w.fail("returned name differs from the zone", "%s returned name %q, zone holds %q", op, g.name, z.raw.RR)
	}
}

// checkWritten verifies that records the provider created or changed are
// in the stored form: name lower case, value as canonical (HTTPS/SVCB
// params in RFC 9460 order unless this AliDNS reading re-orders them),
// the provider's line, enabled.
func (w *worker) checkWritten(op string, d delta) {
	var written []srec
	written = append(written, d.added...)
	for _, c := range d.changed {
		written = append(written, c[1])
	}
	reordered := w.r.readings.SvcParams == alidnstest.SvcParamsReordered
	for _, s := range written {
		raw := s.raw
		if _, err := canonStored(raw); err != nil {
			w.fail("write not in the stored form", "%s wrote %+v: %v", op, raw, err)
			continue
		}
		value := raw.Value
		if reordered && (raw.Type == "HTTPS" || raw.Type == "SVCB") {
			value, _ = canonSvcValue(value)
		}
		if raw.RR != strings.ToLower(raw.RR) || value != s.c.Value || raw.Line != canonLine || raw.Status != "ENABLE" {
			w.fail("write not in the stored form", "%s wrote RR %q Value %q Line %s Status %s, want %s", op, raw.RR, raw.Value, raw.Line, raw.Status, s.c)
		}
	}
}

// ---- GetRecords ----

func (w *worker) opGet(ctx context.Context, p *Provider) {
	z := w.randomZone()
	before := w.observe(z)
	out, err := p.GetRecords(ctx, w.zoneArg(z))
	after := w.r.snapshot(z.name)
	w.logf("  GetRecords(%s) -> %d records err=%v", z.name, len(out), err)
	defer func() { z.recs = after }()
	if d := diff(before, after); !d.empty() {
		w.fail("GetRecords changed the zone", "%s: %s", z.name, d)
	}
	if err != nil {
		w.checkErr("GetRecords", err)
		w.recoverable("GetRecords", err)
		return
	}
	var enabled []srec
	for _, s := range after {
		if s.c.Status == "ENABLE" {
			enabled = append(enabled, s)
		}
	}
	w.checkReturned("GetRecords", out, enabled, true, nil)
	for _, rec := range out {
		if id := idOf(rec); id != "" {
			w.seen[id] = rec
		}
	}
}

func (w *worker) opGetOther(ctx context.Context, p *Provider) {
	recs, err := p.GetRecords(ctx, modelOther+".")
	w.logf("  GetRecords(%s) -> %d records, err=%v", modelOther, len(recs), err)
	if err != nil {
		w.checkErr("GetRecords", err)
		w.recoverable("GetRecords", err)
		return
	}
	var want []srec
	for _, rec := range w.r.s.Records(modelOther) {
		c, _ := canonStored(rec)
		want = append(want, srec{raw: rec, c: c})
	}
	w.checkReturned("GetRecords("+modelOther+")", recs, want, true, nil)
}

// ---- AppendRecords ----

func (w *worker) opAppend(ctx context.Context, p *Provider) {
	z := w.randomZone()
	before := w.observe(z)
	var in []libdns.Record
	var want []crec
	for range 1 + w.pick(3) {
		k := w.randomKey()
		if k.Type == "CNAME" && (hasName(before, k.Name) || hasName(want, k.Name)) {
			continue // one CNAME per name
		}
		c := w.freshCanon(z, k)
		in = append(in, w.render(z, c))
		want = append(want, c)
	}
	if len(in) == 0 {
		w.logf("  (a CNAME exists at each name drawn: set instead)")
		w.opSet(ctx, p)
		return
	}
	w.appendCheck(ctx, p, z, before, in, want, nil)
}

func (w *worker) opAppendDuplicate(ctx context.Context, p *Provider) {
	z := w.randomZone()
	before := w.observe(z)
	// A record exactly as this provider's write is stored (AliDNS compares
	// values as stored), enabled or not, on the provider's line.
	var cands []srec
	for _, s := range before {
		if s.c.Line == canonLine && s.raw.RR == s.c.Name && s.raw.Value == w.r.readings.StoredValue(s.c.Type, s.c.Value) && !s.bad {
			cands = append(cands, s)
		}
	}
	if len(cands) == 0 {
		w.logf("  (no record to duplicate: append instead)")
		w.opAppend(ctx, p)
		return
	}
	d := cands[w.pick(len(cands))]
	c := d.c
	c.ID, c.Status = "", "ENABLE"
	w.appendCheck(ctx, p, z, before, []libdns.Record{w.render(z, c)}, []crec{c}, &d)
}

// hasName reports whether a record named name is among rs ([]srec or
// []crec).
func hasName[T srec | crec](rs []T, name string) bool {
	for _, r := range rs {
		var c crec
		switch r := any(r).(type) {
		case srec:
			c = r.c
		case crec:
			c = r
		}
		if c.Name == name {
			return true
		}
	}
	return false
}

// appendCheck appends in (to be stored as want) and checks the outcome;
// dupOf is the record in is an exact duplicate of.
func (w *worker) appendCheck(ctx context.Context, p *Provider, z *mzone, before []srec, in []libdns.Record, want []crec, dupOf *srec) {
	mark := w.r.callMark()
	out, err := p.AppendRecords(ctx, w.zoneArg(z), in)
	after := w.r.snapshot(z.name)
	defer func() { z.recs = after }()
	d := diff(before, after)
	what := "AppendRecords " + fmtInputs(in)
	if dupOf != nil {
		what += " (duplicate of " + dupOf.c.String() + ")"
	}
	w.logf("  %s -> %s err=%v; zone: %s", what, fmtOut(out), err, d)
	for _, g := range d.gone {
		w.fail("AppendRecords changed or deleted a record that existed before", "%s deleted %s", what, g.c)
	}
	for _, c := range d.changed {
		w.fail("AppendRecords changed or deleted a record that existed before", "%s changed %s to %s", what, c[0].c, c[1].c)
	}
	// What it created must be what was asked, each once.
	wanted := map[string]int{}
	for _, c := range want {
		wanted[c.data()]++
	}
	for _, a := range d.added {
		k := a.c
		k.ID = ""
		if wanted[k.data()] == 0 {
			w.fail("AppendRecords created a record it was not asked for", "%s created %s", what, a.c)
			continue
		}
		wanted[k.data()]--
	}
	beforeIDs := ids(before)
	if err == nil {
		if dupOf != nil {
			w.fail("exact duplicate accepted", "%s succeeded returning %s; zone: %s", what, fmtOut(out), d)
		} else if len(d.added) != len(want) {
			w.fail("success's result differs from the zone", "%s: asked %s, zone: %s", what, fmtCrecs(want), d)
		}
		w.checkReturned("AppendRecords", out, d.added, true, beforeIDs)
		w.checkWritten("AppendRecords", d)
		for _, rec := range out {
			if id := idOf(rec); id != "" {
				w.seen[id] = rec
			}
		}
		w.noteLearned(z, mark, before, after)
		return
	}
	w.noteLearned(z, mark, before, after)
	w.checkErr("AppendRecords", err)
	unknown := mayHaveApplied(err)
	// Records created before the failure are returned with the error;
	// any other record it created is left behind unless the error says
	// the write may have been applied.
	reported := map[string]bool{}
	for _, rec := range out {
		reported[idOf(rec)] = true
	}
	var unreported, created []srec
	for _, a := range d.added {
		if reported[a.raw.RecordID] {
			created = append(created, a)
		} else {
			unreported = append(unreported, a)
		}
	}
	w.checkReturned("AppendRecords (failed)", out, created, true, beforeIDs)
	switch {
	case len(unreported) > 0 && !unknown:
		w.fail("failed AppendRecords left records behind", "%s: %v; zone: %s", what, err, d)
	case unknown && len(d.added) == 0 && !w.cancelled && dupOf == nil && w.lookupsAnswered(mark, z, before, after):
		// Every lookup was answered and no record with the value exists:
		// the settle proved nothing was created.
		w.fail("ErrOutcomeUnknown although nothing was created", "%s: %v", what, err)
	}
	// The refusal names AliDNS's code, or, when faults kept AliDNS from
	// ever answering it, says the settle found the record already there,
	// or (faults kept the settle's lookup from answering too) that the
	// record may exist, which it does; an add AliDNS refused for another
	// reason (throttling) never got as far as the duplicate check.
	var ae *api.Error
	otherRefusal := errors.As(err, &ae) && ae.Code != "" && ae.Code != "DomainRecordDuplicate" && !mayHaveApplied(err)
	if dupOf != nil && !w.cancelled && !otherRefusal && !unknown && !strings.Contains(err.Error(), "DomainRecordDuplicate") && !strings.Contains(err.Error(), "already existed") {
		w.fail("duplicate refused without the AliDNS code", "%s: %v", what, err)
	}
	if dupOf == nil && !unknown {
		w.recoverable(what, err)
	}
}

// lookupsAnswered reports whether every read of the zone since mark was
// answered without a fault, so that the provider could know the zone.
func (w *worker) lookupsAnswered(mark int, z *mzone, states ...[]srec) bool {
	calls, ok := w.r.callsSince(mark, z.name, ids(states...))
	if !ok {
		return false
	}
	looked := false
	for _, c := range calls {
		if strings.HasPrefix(c.Action, "Describe") {
			looked = true
			if c.Code != "" || c.Fault != "" {
				return false
			}
		}
	}
	return looked
}

// lastWrite returns the last write call to zone since mark.
func (w *worker) lastWrite(mark int, z *mzone, states ...[]srec) (alidnstest.Call, bool) {
	calls, _ := w.r.callsSince(mark, z.name, ids(states...))
	for i := len(calls) - 1; i >= 0; i-- {
		switch calls[i].Action {
		case "AddDomainRecord", "UpdateDomainRecord", "DeleteDomainRecord":
			return calls[i], true
		}
	}
	return alidnstest.Call{}, false
}

// noteLearned records that AliDNS told the provider the zone's minimum
// TTL (QuotaExceeded.TTL) since mark, so that it knows it.
func (w *worker) noteLearned(z *mzone, mark int, states ...[]srec) {
	calls, _ := w.r.callsSince(mark, z.name, ids(states...))
	for _, c := range calls {
		if c.Code == "QuotaExceeded.TTL" || (c.Action == "DescribeDomainInfo" && c.Code == "" && c.Fault == "") {
			z.learned = true
		}
	}
}

// ---- SetRecords ----

func (w *worker) opSet(ctx context.Context, p *Provider) {
	z := w.randomZone()
	before := w.observe(z)
	k := w.randomKey()
	var cur []crec
	keys := map[string]bool{}
	for _, s := range before {
		// (Two records with one duplicate key exist only after a defect
		// let AliDNS take a value in another form: one is asked for.)
		if s.c.live() && s.c.Name == k.Name && s.c.Type == k.Type && !s.bad && !keys[s.c.dupKey()] {
			keys[s.c.dupKey()] = true
			c := s.c
			c.ID = ""
			cur = append(cur, c)
		}
	}
	want, variant := w.setVariant(z, k, cur)
	var in []libdns.Record
	for _, c := range want {
		rec := w.render(z, c)
		in = append(in, rec)
		if w.chance(10) {
			in = append(in, rec) // identical inputs count once
		}
	}
	w.rng.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
	targets := map[rkey]bool{k: true}
	if w.chance(6) {
		// A second RRset in the same call.
		k2 := w.randomKey()
		if k2 != k && !(k2.Name == k.Name && (k2.Type == "CNAME") != (k.Type == "CNAME")) {
			targets[k2] = true
			for range map[bool]int{true: 1, false: 1 + w.pick(2)}[k2.Type == "CNAME"] {
				c := w.freshCanon(z, k2)
				want = append(want, c)
				in = append(in, w.render(z, c))
			}
			variant += " + new " + k2.String()
		}
	}
	w.setCheck(ctx, p, z, before, in, targets, want, variant)
}

// setVariant draws what SetRecords asks of RRset k, which holds cur.
func (w *worker) setVariant(z *mzone, k rkey, cur []crec) ([]crec, string) {
	fresh := func(n int) []crec {
		var out []crec
		ttl := w.freshTTL(z)
		for range n {
			c := w.freshCanon(z, k)
			if !w.chance(4) {
				c.TTL = ttl
			}
			out = append(out, c)
		}
		return out
	}
	n := 1 + w.pick(3)
	if k.Type == "CNAME" {
		n = 1 // one CNAME per name
	}
	if len(cur) == 0 {
		return fresh(n), "empty to N"
	}
	cp := append([]crec(nil), cur...)
	v := w.pick(9)
	if len(cp) >= 2 && (k.Type == "MX" || k.Type == "HTTPS" || k.Type == "SVCB") && w.chance(3) {
		v = 6 // where pairing by priority collides
	}
	switch v {
	case 0:
		return fresh(n), "new values"
	case 1, 2:
		// Exactly as held, in any input form (TTL below the minimum when
		// it is the minimum, 0 when it is the default): nothing to write.
		return cp, "unchanged"
	case 3:
		ttl := w.freshTTL(z)
		for i := range cp {
			cp[i].TTL = ttl
		}
		return cp, "TTL only"
	case 4:
		if len(cp) >= 2 {
			i := w.pick(len(cp))
			return append(cp[:i:i], cp[i+1:]...), "shrink"
		}
	case 5:
		if len(cp) < 6 && k.Type != "CNAME" {
			return append(cp, fresh(1)...), "grow"
		}
	case 6:
		if len(cp) >= 2 && (k.Type == "MX" || k.Type == "HTTPS" || k.Type == "SVCB") {
			// Priorities move between values, or one value takes another
			// record's priority: pairing by priority would collide.
			i, j := w.pick(len(cp)), w.pick(len(cp))
			if i == j {
				j = (i + 1) % len(cp)
			}
			if w.chance(2) {
				cp[i].Prio, cp[j].Prio = cp[j].Prio, cp[i].Prio
				return cp, "swap priorities"
			}
			c := cp[j]
			c.Prio = cp[i].Prio
			return []crec{c}, "one value at another's priority"
		}
	case 7:
		if k.Type == "MX" || k.Type == "HTTPS" || k.Type == "SVCB" {
			i := w.pick(len(cp))
			cp[i].Prio = map[bool]int64{true: cp[i].Prio%50 + 1, false: cp[i].Prio%3 + 1}[k.Type == "MX"]
			return cp, "priority only"
		}
	}
	i := w.pick(len(cp))
	cp[i] = fresh(1)[0]
	cp[i].TTL = cur[i].TTL
	return cp, "replace one value"
}

// setCheck sets in (to be stored as want, in the RRsets targets) and
// checks the outcome.
func (w *worker) setCheck(ctx context.Context, p *Provider, z *mzone, before []srec, in []libdns.Record, targets map[rkey]bool, want []crec, variant string) {
	// The model's own view of the input must agree with want.
	if got, err := canonInputs(in, z.name, z.min); err != nil || len(got) != len(want) {
		panic(fmt.Sprintf("model: SetRecords input %s canonicalises to %s (%v), want %s", fmtInputs(in), fmtCrecs(got), err, fmtCrecs(want)))
	}
	mark := w.r.callMark()
	out, err := p.SetRecords(ctx, w.zoneArg(z), in)
	after := w.r.snapshot(z.name)
	defer func() { z.recs = after }()
	d := diff(before, after)
	what := fmt.Sprintf("SetRecords (%s) %s", variant, fmtInputs(in))
	w.logf("  %s -> %s err=%v; zone: %s", what, fmtOut(out), err, d)
	targeted := func(c crec) bool { return c.live() && targets[rkey{c.Name, c.Type}] }
	for _, g := range d.gone {
		if !targeted(g.c) {
			w.fail("record outside the operation's RRsets touched", "%s deleted %s", what, g.c)
		}
	}
	for _, c := range d.changed {
		if !targeted(c[0].c) {
			w.fail("record outside the operation's RRsets touched", "%s changed %s to %s", what, c[0].c, c[1].c)
		}
	}
	for _, a := range d.added {
		if !targeted(a.c) {
			w.fail("record outside the operation's RRsets touched", "%s created %s", what, a.c)
		}
	}
	asked := map[string]bool{}
	for _, c := range want {
		asked[c.data()] = true
	}
	isAsked := func(c crec) bool { c.ID = ""; return asked[c.data()] }
	var rrsetAfter []srec
	for _, s := range after {
		if targeted(s.c) {
			rrsetAfter = append(rrsetAfter, s)
		}
	}
	if err != nil {
		w.checkErr("SetRecords", err)
		w.noteLearned(z, mark, before, after)
		for _, a := range d.added {
			if targeted(a.c) && !isAsked(a.c) {
				w.fail("failed SetRecords wrote a record it was not asked for", "%s: %v; zone: %s", what, err, d)
			}
		}
		for _, c := range d.changed {
			if targeted(c[1].c) && !isAsked(c[1].c) {
				w.fail("failed SetRecords wrote a record it was not asked for", "%s: %v; zone: %s", what, err, d)
			}
		}
		switch {
		case errors.Is(err, ErrZoneUnchanged) && !d.empty():
			w.fail("ErrZoneUnchanged with the zone changed", "%s: %v; zone: %s", what, err, d)
		case !errors.Is(err, ErrZoneUnchanged) && d.empty() &&
			(!mayHaveApplied(err) || !w.cancelled && w.lookupsAnswered(mark, z, before, after)):
			// Unknown only while the provider could not look: an
			// ambiguous write is looked up until its outcome is known.
			w.fail("SetRecords failed with the zone unchanged without ErrZoneUnchanged", "%s: %v", what, err)
		}
		switch {
		case !mayHaveApplied(err):
			w.recoverable(what, err)
		case !w.expectErr():
			// Only an add can stay ambiguous (when nothing proves who
			// created the record found); an ambiguous update or delete is
			// retried or looked up until its outcome is known.
			if c, ok := w.lastWrite(mark, z, before, after); ok && c.Action != "AddDomainRecord" {
				w.fail("ambiguous update or delete left unresolved", "%s: %v (last write %s %s)", what, err, c.Action, c.Code)
			}
		}
		return
	}
	// Success: each targeted RRset is exactly what was asked.
	var got []crec
	for _, s := range rrsetAfter {
		c := s.c
		c.ID = ""
		got = append(got, c)
	}
	if !sameMultiset(got, want) {
		inv := "success's result differs from the zone"
		if d.empty() {
			inv = "success with the zone unchanged when a change was asked"
		}
		w.fail(inv, "%s: asked %s, zone holds %s (%s)", what, fmtCrecs(want), fmtSrecs(rrsetAfter), d)
	}
	// A record already as asked is kept, with no write.
	needed := false
	for _, b := range before {
		if !targeted(b.c) {
			continue
		}
		if !isAsked(b.c) {
			needed = true
			continue
		}
		for _, c := range d.changed {
			if c[0].raw.RecordID == b.raw.RecordID {
				w.fail("SetRecords rewrote a record already as asked", "%s: %s became %s", what, b.c, c[1].c)
			}
		}
		for _, g := range d.gone {
			if g.raw.RecordID == b.raw.RecordID {
				w.fail("SetRecords rewrote a record already as asked", "%s: deleted %s", what, b.c)
			}
		}
	}
	var liveBefore []crec
	for _, b := range before {
		if targeted(b.c) {
			c := b.c
			c.ID = ""
			liveBefore = append(liveBefore, c)
		}
	}
	needed = needed || !sameMultiset(liveBefore, want)
	if calls, ok := w.r.callsSince(mark, z.name, ids(before, after)); ok && !needed {
		for _, c := range calls {
			// A write refused by an API error, or answered by a fault
			// before it was applied, changed nothing.
			refused := (c.Code != "" && c.Fault == "") || (c.Fault != "" && !c.AfterApply)
			if strings.HasSuffix(c.Action, "DomainRecord") && !strings.HasPrefix(c.Action, "Describe") && !refused {
				w.fail("SetRecords wrote although the zone already held the result", "%s: %s %v", what, c.Action, c.Params)
				break
			}
		}
	}
	w.checkReturned("SetRecords", out, rrsetAfter, true, nil)
	w.checkWritten("SetRecords", d)
	for _, c := range d.changed {
		if old, ok := w.seen[c[0].raw.RecordID]; ok {
			w.stale = append(w.stale, staleRec{z, old})
		}
	}
	for _, rec := range out {
		if id := idOf(rec); id != "" {
			w.seen[id] = rec
		}
	}
	w.noteLearned(z, mark, before, after)
}

func sameMultiset(a, b []crec) bool {
	if len(a) != len(b) {
		return false
	}
	n := map[string]int{}
	for _, c := range a {
		c.ID = ""
		n[c.data()]++
	}
	for _, c := range b {
		c.ID = ""
		if n[c.data()]--; n[c.data()] < 0 {
			return false
		}
	}
	return true
}

// ---- DeleteRecords ----

// liveRecords lists the records of z that DeleteRecords may match.
func liveRecords(st []srec) []srec {
	var out []srec
	for _, s := range st {
		if s.c.live() {
			out = append(out, s)
		}
	}
	return out
}

func (w *worker) opDeleteByID(ctx context.Context, p *Provider) {
	z := w.randomZone()
	before := w.observe(z)
	var cands []libdns.Record
	for _, s := range liveRecords(before) {
		if rec, ok := w.seen[s.raw.RecordID]; ok {
			cands = append(cands, rec)
		}
	}
	if len(cands) == 0 {
		w.logf("  (no returned record in %s: get instead)", z.name)
		w.opGet(ctx, p)
		return
	}
	w.rng.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
	in := cands[:1+w.pick(min(2, len(cands)))]
	for i, rec := range in {
		in[i] = w.respell(z, rec)
	}
	w.deleteCheck(ctx, p, z, before, in, "DeleteRecords by returned record")
}

// respell changes how a returned record names itself (absolute, another
// case) or drops its TTL (0 = any), keeping its id: DeleteRecords must
// still return the record as the zone held it.
func (w *worker) respell(z *mzone, rec libdns.Record) libdns.Record {
	ttl := func(d time.Duration) time.Duration {
		if w.chance(3) {
			return 0
		}
		return d
	}
	name := func(n string) string {
		if w.chance(2) {
			return n
		}
		return w.inputName(z, strings.ToLower(n), true)
	}
	switch r := rec.(type) {
	case libdns.Address:
		r.Name, r.TTL = name(r.Name), ttl(r.TTL)
		return r
	case libdns.CNAME:
		r.Name, r.TTL = name(r.Name), ttl(r.TTL)
		return r
	case libdns.TXT:
		r.Name, r.TTL = name(r.Name), ttl(r.TTL)
		return r
	case libdns.MX:
		r.Name, r.TTL = name(r.Name), ttl(r.TTL)
		return r
	case libdns.CAA:
		r.Name, r.TTL = name(r.Name), ttl(r.TTL)
		return r
	case libdns.SRV:
		r.TTL = ttl(r.TTL)
		return r
	case libdns.ServiceBinding:
		r.TTL = ttl(r.TTL)
		return r
	}
	return rec
}

func (w *worker) opDeleteByValue(ctx context.Context, p *Provider) {
	z := w.randomZone()
	before := w.observe(z)
	live := liveRecords(before)
	var c crec
	if len(live) == 0 || w.chance(8) {
		c = w.freshCanon(z, w.randomKey()) // no such record: nothing to delete
	} else {
		s := live[w.pick(len(live))]
		c = s.c
		if s.bad && c.Type != "TXT" {
			c = w.freshCanon(z, rkey{c.Name, c.Type})
		}
	}
	var in libdns.Record
	what := "DeleteRecords by value"
	switch w.pick(6) {
	case 0:
		in = libdns.RR{Name: w.inputName(z, c.Name, true), Type: c.Type}
		what = "DeleteRecords by name and type"
	case 1:
		in = libdns.RR{Name: w.inputName(z, c.Name, true)}
		what = "DeleteRecords by name"
	case 2:
		ttl := time.Duration(c.TTL) * time.Second
		if z.learned && c.TTL == z.min {
			ttl = w.inputTTL(z, c.TTL) // below the minimum: stored as it
		}
		in = w.renderTTL(z, c, ttl, true)
		what = "DeleteRecords by value and TTL"
	default:
		in = w.renderTTL(z, c, 0, true)
	}
	w.deleteCheck(ctx, p, z, before, []libdns.Record{in}, what)
}

func (w *worker) opDeleteStale(ctx context.Context, p *Provider) {
	if len(w.stale) == 0 {
		w.logf("  (no stale record yet: set instead)")
		w.opSet(ctx, p)
		return
	}
	i := w.pick(len(w.stale))
	st := w.stale[i]
	w.stale = append(w.stale[:i], w.stale[i+1:]...)
	before := w.observe(st.z)
	w.deleteCheck(ctx, p, st.z, before, []libdns.Record{st.rec}, "DeleteRecords of a record returned before an update changed it")
}

// opDeleteCrossZone passes a record of the other zone, with its id, to
// DeleteRecords of a worker zone: nothing may be deleted anywhere.
func (w *worker) opDeleteCrossZone(ctx context.Context, p *Provider) {
	z := w.randomZone()
	before := w.observe(z)
	o := w.r.other[w.pick(len(w.r.other))]
	info := RecordInfo{RecordID: o.RecordID, Line: o.Line, Status: o.Status, Weight: o.Weight}
	var rec libdns.Record
	if o.Type == "A" {
		rec = libdns.Address{Name: o.RR, TTL: time.Duration(o.TTL) * time.Second, IP: netip.MustParseAddr(o.Value), ProviderData: info}
	} else {
		rec = libdns.TXT{Name: o.RR, TTL: time.Duration(o.TTL) * time.Second, Text: o.Value, ProviderData: info}
	}
	w.deleteCheck(ctx, p, z, before, []libdns.Record{rec}, "DeleteRecords of "+modelOther+"'s record")
}

// deleteCheck deletes in and checks that exactly the records matching it
// in canonical form were deleted and returned.
func (w *worker) deleteCheck(ctx context.Context, p *Provider, z *mzone, before []srec, in []libdns.Record, what string) {
	var ms []dmatch
	for _, rec := range in {
		m, err := canonDelete(rec, z.name, z.min)
		if err != nil {
			panic(fmt.Sprintf("model: delete input %+v: %v", rec.RR(), err))
		}
		ms = append(ms, m)
	}
	expect := map[string]srec{}
	for _, s := range before {
		for _, m := range ms {
			if m.matches(s.c) {
				expect[s.raw.RecordID] = s
			}
		}
	}
	out, err := p.DeleteRecords(ctx, w.zoneArg(z), in)
	after := w.r.snapshot(z.name)
	defer func() { z.recs = after }()
	d := diff(before, after)
	what += " " + fmtInputs(in)
	w.logf("  %s -> %s err=%v; zone: %s", what, fmtOut(out), err, d)
	for _, a := range d.added {
		w.fail("DeleteRecords changed or created a record", "%s created %s", what, a.c)
	}
	for _, c := range d.changed {
		w.fail("DeleteRecords changed or created a record", "%s changed %s to %s", what, c[0].c, c[1].c)
	}
	for _, g := range d.gone {
		if _, ok := expect[g.raw.RecordID]; !ok {
			w.fail("DeleteRecords deleted other records than asked", "%s deleted %s (matching %v)", what, g.c, ms)
		}
	}
	if err != nil {
		w.checkErr("DeleteRecords", err)
		w.recoverable(what, err)
		return
	}
	if len(d.gone) != len(expect) {
		var exp []srec
		for _, s := range expect {
			exp = append(exp, s)
		}
		inv := "DeleteRecords deleted other records than asked"
		switch {
		case len(d.gone) == 0:
			inv = "success with the zone unchanged when a change was asked"
		case len(d.gone) < len(expect):
			inv = "DeleteRecords left a record it was asked to delete"
		}
		w.fail(inv, "%s: deleted %s, matching %v are %s", what, fmtSrecs(d.gone), ms, fmtSrecs(exp))
	}
	w.checkReturned("DeleteRecords", out, d.gone, false, nil)
}

// ---- records other tools place ----

func (w *worker) opForeign(ctx context.Context, _ *Provider) {
	z := w.randomZone()
	w.observe(z)
	kind := foreignKinds[w.pick(len(foreignKinds))]
	s := w.placeForeign(z, kind)
	w.logf("  placed (%s) %s in %s", kind, s.c, z.name)
	z.recs = w.r.snapshot(z.name)
}

// ---- input the semantics refuse ----

func (w *worker) opInvalid(ctx context.Context, p *Provider) {
	z := w.randomZone()
	before := w.observe(z)
	k := w.randomKey()
	var in []libdns.Record
	for range w.pick(3) {
		in = append(in, w.render(z, w.freshCanon(z, k)))
	}
	set := w.chance(2)
	var why string
	if set && w.chance(4) {
		// Two records with the same duplicate key but another TTL or
		// priority: not one RRset.
		c := w.freshCanon(z, k)
		c2 := c
		if (k.Type == "MX" || k.Type == "HTTPS" || k.Type == "SVCB") && w.chance(2) {
			c2.Prio = c.Prio%3 + 2
			why = "two records with the same value and another priority"
		} else {
			c2.TTL = c.TTL + 60
			if c2.TTL > canonMaxTTL {
				c2.TTL = c.TTL - 60
			}
			why = "two records with the same value and another TTL"
		}
		in = append(in, w.renderTTL(z, c, time.Duration(c.TTL)*time.Second, false), w.renderTTL(z, c2, time.Duration(c2.TTL)*time.Second, false))
	} else {
		var bad libdns.Record
		bad, why = w.invalidRecord(z, k)
		in = append(in, bad)
	}
	w.rng.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
	w.invalidCheck(ctx, p, z, before, in, set, why)
}

// invalidCheck passes input the semantics refuse (why) to SetRecords or
// AppendRecords: it must fail before any API call and change nothing.
func (w *worker) invalidCheck(ctx context.Context, p *Provider, z *mzone, before []srec, in []libdns.Record, set bool, why string) {
	if _, err := canonInputs(in, z.name, z.min); err == nil {
		panic(fmt.Sprintf("model: invalid input %s (%s) canonicalises", fmtInputs(in), why))
	}
	mark := w.r.callMark()
	var out []libdns.Record
	var err error
	op := "AppendRecords"
	if set {
		op = "SetRecords"
		out, err = p.SetRecords(ctx, w.zoneArg(z), in)
	} else {
		out, err = p.AppendRecords(ctx, w.zoneArg(z), in)
	}
	after := w.r.snapshot(z.name)
	defer func() { z.recs = after }()
	d := diff(before, after)
	what := fmt.Sprintf("%s of %s (%s)", op, fmtInputs(in), why)
	w.logf("  %s -> %s err=%v; zone: %s", what, fmtOut(out), err, d)
	if err == nil {
		w.fail("input the semantics refuse accepted", "%s returned %s; zone: %s", what, fmtOut(out), d)
	} else {
		w.checkErr(op, err)
		if set && !errors.Is(err, ErrZoneUnchanged) {
			w.fail("refused SetRecords input without ErrZoneUnchanged", "%s: %v", what, err)
		}
	}
	if !d.empty() {
		w.fail("refused input changed the zone", "%s: %s", what, d)
	}
	if calls, ok := w.r.callsSince(mark, z.name, ids(before, after)); ok && len(calls) > 0 {
		var acts []string
		for _, c := range calls {
			acts = append(acts, c.Action)
		}
		w.fail("refused input reached the API", "%s made %v", what, acts)
	}
}

// ---- cancelled operations ----

// opCancel runs an operation whose deadline expires while the simulator
// holds the answer of one of its writes (before or after applying it).
func (w *worker) opCancel(_ context.Context, p *Provider) {
	type inner struct {
		run     func(*worker, context.Context, *Provider)
		actions []string
	}
	inners := []inner{
		{(*worker).opAppend, []string{"AddDomainRecord"}},
		{(*worker).opAppendDuplicate, []string{"AddDomainRecord"}},
		{(*worker).opSet, []string{"AddDomainRecord", "UpdateDomainRecord", "DeleteDomainRecord"}},
		{(*worker).opDeleteByValue, []string{"DeleteDomainRecord"}},
		{(*worker).opDeleteByID, []string{"DeleteDomainRecord"}},
	}
	o := inners[w.pick(len(inners))]
	in := alidnstest.Injection{Action: o.actions[w.pick(len(o.actions))], Kind: alidnstest.FaultSlow, Delay: 5 * time.Second, AfterApply: w.chance(2)}
	w.logf("  cancel mid-call: slow %s (after apply %v), deadline %s", in.Action, in.AfterApply, modelCancelAfter)
	w.r.s.Inject(in)
	ctx, cancel := context.WithTimeout(context.Background(), modelCancelAfter)
	defer cancel()
	w.cancelled = true
	defer func() { w.cancelled = false }()
	o.run(w, ctx, p)
}

// ---- DNS-01 challenges in the shared zone ----

func (w *worker) opChallenge(ctx context.Context, p *Provider) {
	name := challengeNames[w.pick(len(challengeNames))]
	w.seq++
	w.challenge(ctx, p, name, fmt.Sprintf("chal-w%d-%d-%d", w.id, w.seq, w.rng.Int63()))
}

// challenge runs a DNS-01 challenge's AppendRecords + DeleteRecords of a
// TXT record with a unique value at a shared name: nothing may be left.
func (w *worker) challenge(ctx context.Context, p *Provider, name, value string) {
	in := []libdns.Record{libdns.RR{Name: name, Type: "TXT", Data: value}}
	out, err := p.AppendRecords(ctx, modelZone+".", in)
	w.logf("  challenge AppendRecords %s TXT %q -> %s err=%v", name, value, fmtOut(out), err)
	count := func() (n int, where string) {
		for _, rec := range w.r.s.Records(modelZone) {
			if rec.Value == value {
				n++
				where += fmt.Sprintf(" %s#%s", rec.RR, rec.RecordID)
			}
		}
		return n, where
	}
	if err != nil {
		w.checkErr("AppendRecords(challenge)", err)
		n, where := count()
		if n > 0 && !mayHaveApplied(err) {
			w.fail("failed AppendRecords left records behind", "challenge AppendRecords failed (%v) but left%s", err, where)
		}
		if !mayHaveApplied(err) {
			w.recoverable("AppendRecords(challenge)", err)
		}
		// Remove what is left so that it is reported once.
		_, _ = p.DeleteRecords(context.WithoutCancel(ctx), modelZone+".", []libdns.Record{libdns.RR{Name: name, Type: "TXT", Data: value}})
		return
	}
	if n, where := count(); n != 1 || len(out) != 1 {
		w.fail("success's result differs from the zone", "challenge AppendRecords returned %s; zone holds the value %d times:%s", fmtOut(out), n, where)
	} else if g := canonReturned(out[0]); g.name != name || g.c.Value != value || g.c.TTL != 600 || g.c.ID == "" || !strings.Contains(where, "#"+g.c.ID) {
		w.fail("returned record differs from the zone", "challenge AppendRecords returned %s; zone holds%s", fmtOut(out), where)
	}
	del, err := p.DeleteRecords(ctx, modelZone+".", out)
	w.logf("  challenge DeleteRecords %s -> %s err=%v", fmtOut(out), fmtOut(del), err)
	if err != nil {
		w.checkErr("DeleteRecords(challenge)", err)
		w.recoverable("DeleteRecords(challenge)", err)
	}
	if n, where := count(); n != 0 {
		if err == nil {
			w.fail("success with the zone unchanged when a change was asked", "after the challenge's append+delete the zone still holds%s", where)
		}
		_, _ = p.DeleteRecords(context.WithoutCancel(ctx), modelZone+".", []libdns.Record{libdns.RR{Name: name, Type: "TXT", Data: value}})
	} else if err == nil && len(del) != len(out) {
		w.fail("returned record differs from the zone", "challenge delete returned %s, deleted %s", fmtOut(del), fmtOut(out))
	}
}

// ---- formatting ----

func fmtInputs(in []libdns.Record) string {
	parts := make([]string, len(in))
	for i, rec := range in {
		rr := rec.RR()
		parts[i] = fmt.Sprintf("%T{%q %s %s %s}", rec, rr.Name, orAny(rr.Type), short(rr.Data), rr.TTL)
		parts[i] = strings.TrimPrefix(parts[i], "libdns.")
		if id := idOf(rec); id != "" {
			parts[i] += "#" + id
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func fmtOut(out []libdns.Record) string {
	parts := make([]string, len(out))
	for i, rec := range out {
		g := canonReturned(rec)
		parts[i] = fmt.Sprintf("%q:%s", g.name, g.c)
	}
	sort.Strings(parts)
	return "[" + strings.Join(parts, " ") + "]"
}
