package alidns

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"sort"
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

// Regression tests for record operations that reported success, or an
// atomic failure, while the zone said otherwise. Each failed on the code
// before its fix.

func addrs(ttl time.Duration, ips ...string) []libdns.Record {
	out := make([]libdns.Record, len(ips))
	for i, ip := range ips {
		out[i] = libdns.Address{Name: "www", IP: netip.MustParseAddr(ip), TTL: ttl}
	}
	return out
}

// zoneValues lists "RR TYPE VALUE TTL" of every record in zone, sorted.
func zoneValues(s *alidnstest.Server, zone string) []string {
	var out []string
	for _, r := range s.Records(zone) {
		out = append(out, fmt.Sprintf("%s %s %s %d", r.RR, r.Type, r.Value, r.TTL))
	}
	sort.Strings(out)
	return out
}

// Pairing desired values with existing records by position made one
// update collide with the other record (DomainRecordDuplicate), which was
// then taken for success: both input orders must work, whatever order
// AliDNS lists the records in.
func TestSetRecordsChangesTTLOfMultiRecordRRset(t *testing.T) {
	for _, order := range [][]string{{"192.0.2.1", "192.0.2.2"}, {"192.0.2.2", "192.0.2.1"}} {
		t.Run(strings.Join(order, ","), func(t *testing.T) {
			s := newSim(t)
			s.AddZone("example.com", alidnstest.EditionEnterpriseAdvanced)
			p := newProvider(s)
			ids := map[string]string{}
			for _, ip := range []string{"192.0.2.1", "192.0.2.2"} {
				ids[ip] = s.PutRecord("example.com", alidnstest.Record{RR: "www", Type: "A", Value: ip, TTL: 600}).RecordID
			}
			got, err := p.SetRecords(ctx(t), "example.com.", addrs(300*time.Second, order...))
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"www A 192.0.2.1 300", "www A 192.0.2.2 300"}
			if z := zoneValues(s, "example.com"); fmt.Sprint(z) != fmt.Sprint(want) {
				t.Fatalf("zone holds %v, want %v", z, want)
			}
			// The result is the zone's state, in input order, ids kept.
			if len(got) != 2 {
				t.Fatalf("returned %d records", len(got))
			}
			for i, ip := range order {
				info, _ := infoOf(got[i])
				if got[i].RR().Data != ip || got[i].RR().TTL != 300*time.Second || info.RecordID != ids[ip] {
					t.Errorf("result %d: %+v (id %s), want %s with TTL 5m and id %s", i, got[i].RR(), info.RecordID, ip, ids[ip])
				}
			}
			if n := s.CallCount("UpdateDomainRecord"); n != 2 || s.CallCount("AddDomainRecord")+s.CallCount("DeleteDomainRecord") != 0 {
				t.Fatalf("calls %v", actions(s))
			}
		})
	}
}

// Values that swap places, and a value that moves onto another record's
// id, must not collide with each other.
func TestSetRecordsPlanNeverCollides(t *testing.T) {
	s := newSim(t)
	s.AddZone("example.com", alidnstest.EditionEnterpriseAdvanced)
	p := newProvider(s)
	p.Retry = api.NoRetry // a collision would surface, not be retried away
	for _, ip := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"} {
		s.PutRecord("example.com", alidnstest.Record{RR: "www", Type: "A", Value: ip, TTL: 600})
	}
	steps := [][]libdns.Record{
		addrs(120*time.Second, "192.0.2.3", "192.0.2.4"),             // one kept value with a new TTL, one new value, one delete
		addrs(60*time.Second, "192.0.2.4", "192.0.2.3", "192.0.2.5"), // all TTLs change, grow
		addrs(60*time.Second, "192.0.2.5", "192.0.2.5", "192.0.2.6"), // duplicate input value counts once
		addrs(0, "192.0.2.6"), // default TTL
	}
	for i, in := range steps {
		got, err := p.SetRecords(ctx(t), "example.com.", in)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		var want, returned []string
		seen := map[string]bool{}
		for _, r := range in {
			rr := r.RR()
			ttl := int64(rr.TTL / time.Second)
			if ttl == 0 {
				ttl = 600
			}
			line := fmt.Sprintf("www A %s %d", rr.Data, ttl)
			if !seen[line] {
				seen[line] = true
				want = append(want, line)
			}
		}
		for _, r := range got {
			returned = append(returned, fmt.Sprintf("www A %s %d", r.RR().Data, int64(r.RR().TTL/time.Second)))
		}
		sort.Strings(want)
		sort.Strings(returned)
		if z := zoneValues(s, "example.com"); fmt.Sprint(z) != fmt.Sprint(want) || fmt.Sprint(returned) != fmt.Sprint(want) {
			t.Fatalf("step %d: zone %v, returned %v, want %v", i, z, returned, want)
		}
	}
}

func TestSetRecordsAtomicOnlyWhenZoneUnchanged(t *testing.T) {
	s := newSim(t, "example.com")
	p := newProvider(s)
	p.Retry = api.NoRetry
	s.PutRecord("example.com", alidnstest.Record{RR: "www", Type: "A", Value: "192.0.2.1", TTL: 600})
	before := zoneValues(s, "example.com")
	set := func() error {
		_, err := p.SetRecords(ctx(t), "example.com.", addrs(0, "192.0.2.7"))
		return err
	}

	// Refused by an answer that proves nothing was applied: atomic, and
	// callers can tell.
	s.FailNext("UpdateDomainRecord", "DomainRecordLocked", 400)
	err := set()
	if !errors.Is(err, ErrZoneUnchanged) || !strings.Contains(err.Error(), "DomainRecordLocked") {
		t.Fatalf("err %v, want ErrZoneUnchanged naming the code", err)
	}
	if z := zoneValues(s, "example.com"); fmt.Sprint(z) != fmt.Sprint(before) {
		t.Fatalf("zone changed: %v", z)
	}

	// Applied, then the answer lost: the lookup by id finds the update
	// done, so it is a success.
	s.FailNextAfterApply("UpdateDomainRecord", "InternalError", 500)
	if err = set(); err != nil {
		t.Fatalf("err %v after a lost answer the lookup resolves", err)
	}
	if z := zoneValues(s, "example.com"); fmt.Sprint(z) != "[www A 192.0.2.7 600]" {
		t.Fatalf("zone %v", z)
	}
	// Not applied, the answer an error page: the lookup finds the record
	// unchanged, so the zone is provably as before.
	s.Inject(alidnstest.Injection{Action: "UpdateDomainRecord", Kind: alidnstest.FaultGatewayHTML})
	_, err = p.SetRecords(ctx(t), "example.com.", addrs(0, "192.0.2.1"))
	if !errors.Is(err, ErrZoneUnchanged) || errors.Is(err, ErrOutcomeUnknown) || !strings.Contains(err.Error(), "looked up and is unchanged") {
		t.Fatalf("err %v, want ErrZoneUnchanged after the lookup", err)
	}
	// Applied, the answer lost and the lookup that would tell failed: not
	// atomic.
	s.FailNextAfterApply("UpdateDomainRecord", "InternalError", 500)
	p.HTTPClient = failingNth("DescribeSubDomainRecords", 2)
	p.api = nil
	_, err = p.SetRecords(ctx(t), "example.com.", addrs(0, "192.0.2.1"))
	if err == nil || errors.Is(err, ErrZoneUnchanged) || !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("err %v after the zone changed, want a non-atomic error", err)
	}
	if z := zoneValues(s, "example.com"); fmt.Sprint(z) != "[www A 192.0.2.1 600]" {
		t.Fatalf("zone %v", z)
	}

	// The caller gives up while the update's answer is on its way (the
	// simulator applies it and holds the answer until the client goes):
	// the lookup, on a context of its own, finds it applied, and says so.
	s.Inject(alidnstest.Injection{Action: "UpdateDomainRecord", Kind: alidnstest.FaultSlow, AfterApply: true, Delay: time.Minute})
	c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	got, err := p.SetRecords(c, "example.com.", addrs(0, "192.0.2.8"))
	if err != nil || len(got) != 1 || got[0].RR().Data != "192.0.2.8" {
		t.Fatalf("err %v, %+v after cancelling a sent write the lookup shows applied", err, got)
	}
	if z := zoneValues(s, "example.com"); fmt.Sprint(z) != "[www A 192.0.2.8 600]" {
		t.Fatalf("zone %v", z)
	}
}

// A retried add answered DomainRecordDuplicate adopts the record found
// only if it is exactly what was asked: here the value existed before
// with another TTL, so the append must fail and leave that record alone.
func TestRetriedAddDoesNotAdoptAnotherRecord(t *testing.T) {
	s := newSim(t)
	s.AddZone("example.com", alidnstest.EditionEnterpriseAdvanced)
	p := newProvider(s)
	old := s.PutRecord("example.com", alidnstest.Record{RR: "_acme-challenge", Type: "TXT", Value: "tok", TTL: 600})
	s.Inject(alidnstest.Injection{Action: "AddDomainRecord", Kind: alidnstest.FaultGatewayHTML}) // ambiguous: the retry is answered DomainRecordDuplicate
	got, err := p.AppendRecords(ctx(t), "example.com.", []libdns.Record{libdns.TXT{Name: "_acme-challenge", Text: "tok", TTL: 120 * time.Second}})
	if err == nil || len(got) != 0 {
		t.Fatalf("adopted a record that existed before: %+v, %v", got, err)
	}
	if !strings.Contains(err.Error(), "TTL 600 s, not the 0 and 120 s asked for") || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("error does not say what exists, or says the outcome is unknown: %v", err)
	}
	if recs := s.Records("example.com"); len(recs) != 1 || recs[0].RecordID != old.RecordID || recs[0].TTL != 600 {
		t.Fatalf("zone %+v", recs)
	}
	// Without any ambiguity the duplicate is reported at once.
	s.ResetCalls()
	_, err = p.AppendRecords(ctx(t), "example.com.", []libdns.Record{libdns.TXT{Name: "_acme-challenge", Text: "tok", TTL: 600 * time.Second}})
	if !api.HasCode(err, "DomainRecordDuplicate") || !strings.Contains(err.Error(), "already exists") || s.CallCount("") != 1 {
		t.Fatalf("err %v, calls %v", err, actions(s))
	}
}

func TestDeleteRecordsHonoursZoneArgument(t *testing.T) {
	s := newSim(t, "example.com", "other.org")
	p := newProvider(s)
	got, err := p.AppendRecords(ctx(t), "example.com.", []libdns.Record{libdns.TXT{Name: "_acme-challenge", Text: "tok"}})
	if err != nil {
		t.Fatal(err)
	}
	deleted, err := p.DeleteRecords(ctx(t), "other.org.", got)
	if err != nil || len(deleted) != 0 {
		t.Fatalf("deleted %+v, %v", deleted, err)
	}
	if n := len(s.Records("example.com")); n != 1 {
		t.Fatalf("a delete in other.org removed a record of example.com (%d left)", n)
	}
}

// A record read before an in-place update (AliDNS keeps the id) must not
// delete the data the id now holds.
func TestDeleteRecordsIgnoresStaleID(t *testing.T) {
	s := newSim(t, "example.com")
	p := newProvider(s)
	old, err := p.AppendRecords(ctx(t), "example.com.", addrs(0, "192.0.2.1"))
	if err != nil {
		t.Fatal(err)
	}
	// A second Provider, as Caddy makes one per site, updates it in place.
	if _, err := newProvider(s).SetRecords(ctx(t), "example.com.", addrs(0, "192.0.2.3")); err != nil {
		t.Fatal(err)
	}
	recs := s.Records("example.com")
	if info, _ := infoOf(old[0]); len(recs) != 1 || recs[0].RecordID != info.RecordID {
		t.Fatalf("not updated in place: %+v", recs)
	}
	deleted, err := p.DeleteRecords(ctx(t), "example.com.", old)
	if err != nil || len(deleted) != 0 {
		t.Fatalf("deleted %+v, %v", deleted, err)
	}
	if z := zoneValues(s, "example.com"); fmt.Sprint(z) != "[www A 192.0.2.3 600]" {
		t.Fatalf("zone %v", z)
	}
	// The record as it is now is deleted by its id, and reported as such.
	cur, err := p.GetRecords(ctx(t), "example.com.")
	if err != nil {
		t.Fatal(err)
	}
	deleted, err = p.DeleteRecords(ctx(t), "example.com.", cur)
	if err != nil || len(deleted) != 1 || deleted[0].RR().Data != "192.0.2.3" || len(s.Records("example.com")) != 0 {
		t.Fatalf("deleted %+v, %v", deleted, err)
	}
}

// Writes to a zone that AliDNS keeps busy for a while after each accepted
// write all succeed: each keeps its place in the queue until it is done.
// Time is scaled down tenfold: a 30 ms window (300 ms seen on AliDNS) and
// DefaultRetry's delays divided by ten, so 100 writes take a few seconds
// instead of 40. MaxBusy is 1 s, a fifth of the run: a write that did not
// keep its place (the zone lock admitting in arrival order) would wait
// behind others past it. Without the lock, 43 of 50 pairs failed.
func TestWritesDoNotStarveOnBusyZone(t *testing.T) {
	const pairs = 50
	const scale = 10
	t.Parallel()
	s := newSim(t, "example.com")
	s.SetFaults(alidnstest.Faults{WriteWindow: 300 * time.Millisecond / scale})
	p := newProvider(s)
	d := DefaultRetry
	p.Retry = api.RetryPolicy{MaxAttempts: d.MaxAttempts, BaseDelay: d.BaseDelay / scale, MaxDelay: d.MaxDelay / scale, MaxWait: d.MaxWait / scale, MaxBusy: time.Second}
	began := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, pairs)
	for i := range pairs {
		wg.Go(func() {
			c, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			got, err := p.AppendRecords(c, "example.com.", []libdns.Record{libdns.TXT{Name: "_acme-challenge", Text: fmt.Sprintf("t%d", i)}})
			if err == nil {
				_, err = p.DeleteRecords(c, "example.com.", got)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	failed := 0
	for _, err := range errs {
		if err != nil {
			failed++
			t.Log(err)
		}
	}
	busy := 0
	for _, c := range s.Calls() {
		if c.Code == "LastOperationNotFinished" {
			busy++
		}
	}
	t.Logf("%d calls, %d answered LastOperationNotFinished, %s (MaxWait %s)", s.CallCount(""), busy, time.Since(began), p.Retry.MaxWait)
	if failed > 0 || len(s.Records("example.com")) != 0 {
		t.Fatalf("%d of %d pairs failed, %d records left", failed, pairs, len(s.Records("example.com")))
	}
}

// An add whose every answer is lost, and whose outcome cannot be looked
// up either, says the record may exist; a DeleteRecords of the same
// record without ProviderData (as a later clean-up has it) removes it.
func TestUnsettledAddSaysRecordMayExist(t *testing.T) {
	s := newSim(t, "example.com")
	p := newProvider(s)
	p.Retry = api.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxWait: time.Second}
	for range 3 {
		s.FailNextAfterApply("AddDomainRecord", "InternalError", 500)
	}
	for range 3 {
		s.FailNext("DescribeSubDomainRecords", "ServiceUnavailable", 503)
	}
	rec := libdns.TXT{Name: "_acme-challenge", Text: "tok"}
	got, err := p.AppendRecords(ctx(t), "example.com.", []libdns.Record{rec})
	if err == nil || len(got) != 0 {
		t.Fatalf("got %+v, %v", got, err)
	}
	for _, want := range []string{"may exist", "DomainRecordDuplicate", "DeleteRecords"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if n := len(s.Records("example.com")); n != 1 {
		t.Fatalf("%d records, want the one created by the first attempt", n)
	}
	deleted, err := p.DeleteRecords(ctx(t), "example.com.", []libdns.Record{rec})
	if err != nil || len(deleted) != 1 || len(s.Records("example.com")) != 0 {
		t.Fatalf("clean-up deleted %+v, %v; %d left", deleted, err, len(s.Records("example.com")))
	}
}

// An append whose caller gave up while its add was in flight leaves
// nothing behind: certmagic does not clean up after a failed append.
// Each transient failure a write can meet (issue 9, point 5), once on the
// add and once on the delete of a DNS-01 challenge, before and after the
// write was applied: the challenge succeeds and nothing is left.
func TestChallengeSurvivesTransientFaults(t *testing.T) {
	kinds := []alidnstest.Injection{
		{Kind: alidnstest.FaultGatewayHTML},
		{Kind: alidnstest.FaultEmptyError},
		{Kind: alidnstest.FaultReset},
		{Kind: alidnstest.FaultEmptyOK, AfterApply: true},
		{Kind: alidnstest.FaultSlow, Delay: 600 * time.Millisecond}, // the client times out at 300 ms
	}
	for _, action := range []string{"AddDomainRecord", "DeleteDomainRecord"} {
		for _, k := range kinds {
			for _, after := range []bool{false, true} {
				in := k
				in.Action, in.AfterApply = action, after
				t.Run(fmt.Sprintf("%s/%s/after-apply=%v", action, in.Kind, after), func(t *testing.T) {
					s := newSim(t, "example.com")
					p := newProvider(s)
					p.HTTPTimeout = caddy.Duration(300 * time.Millisecond)
					s.Inject(in)
					challenge := libdns.RR{Type: "TXT", Name: "_acme-challenge", Data: "digest"}
					got, err := p.AppendRecords(ctx(t), "example.com.", []libdns.Record{challenge})
					if action == "AddDomainRecord" && after {
						// Applied at once and the answer lost: whether the
						// record found is this add's cannot be proved
						// (settle_test.go), so it fails saying so, and its
						// advice cleans up.
						if !errors.Is(err, ErrOutcomeUnknown) || !strings.Contains(err.Error(), "may exist") {
							t.Fatalf("append: %v", err)
						}
						if _, err := p.DeleteRecords(ctx(t), "example.com.", []libdns.Record{challenge}); err != nil {
							t.Fatal(err)
						}
						if left := s.Records("example.com"); len(left) != 0 {
							t.Fatalf("left behind: %+v", left)
						}
						return
					}
					if err != nil {
						t.Fatalf("append: %v", err)
					}
					recs := s.Records("example.com")
					if info, _ := infoOf(got[0]); len(recs) != 1 || info.RecordID != recs[0].RecordID {
						t.Fatalf("append returned %+v, zone holds %+v", got, recs)
					}
					deleted, err := p.DeleteRecords(ctx(t), "example.com.", got)
					if err != nil || len(deleted) != 1 {
						t.Fatalf("delete: %v (%d deleted)", err, len(deleted))
					}
					if left := s.Records("example.com"); len(left) != 0 {
						t.Fatalf("left behind: %+v", left)
					}
					if len(s.PendingInjections()) != 0 {
						t.Fatalf("the fault was never hit")
					}
				})
			}
		}
	}
}

// A failure after the first write says how many writes were made and
// whether the failing one may have been applied too.
func TestSetRecordsPartialFailureSaysWhatHappened(t *testing.T) {
	s := newSim(t, "example.com")
	p := newProvider(s)
	p.Retry = api.NoRetry
	s.PutRecord("example.com", alidnstest.Record{RR: "www", Type: "A", Value: "192.0.2.1", TTL: 600})
	s.FailNext("AddDomainRecord", "DomainRecordLocked", 400) // the second write: refused, not applied
	_, err := p.SetRecords(ctx(t), "example.com.", addrs(0, "192.0.2.7", "192.0.2.8"))
	if err == nil || errors.Is(err, ErrZoneUnchanged) || !strings.Contains(err.Error(), "1 of 2 changes were applied before this failure and this one was not") {
		t.Fatalf("err %v", err)
	}
	s.FailNextAfterApply("UpdateDomainRecord", "InternalError", 500) // applied, answer lost
	p.HTTPClient = failingNth("DescribeSubDomainRecords", 2)         // and the lookup that would tell failed
	p.api = nil
	_, err = p.SetRecords(ctx(t), "example.com.", addrs(0, "192.0.2.9"))
	if err == nil || !strings.Contains(err.Error(), "and this one may have been") {
		t.Fatalf("err %v", err)
	}
}

// failingNth is an HTTP client whose nth request of action fails before
// it is sent, as a connection that never opened.
func failingNth(action string, n int) *http.Client {
	base := api.NewHTTPClient(0, 0).Transport
	var seen atomic.Int32
	return &http.Client{Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if req.Header.Get("X-Acs-Action") == action && seen.Add(1) == int32(n) {
			return nil, errors.New("connection refused (test)")
		}
		return base.RoundTrip(req)
	})}
}
