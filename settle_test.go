package alidns

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libdns/libdns"

	"github.com/caddy-alidns/alidns/alidnstest"
	"github.com/caddy-alidns/alidns/internal/api"
)

// heldAdd is a transport that holds the first AddDomainRecord request on
// the network for hold, then delivers it (AliDNS applies it) and loses
// the answer: a request that was slow on its way and whose answer never
// came back. It ignores the caller's context while holding, as a request
// already written cannot be called back.
type heldAdd struct {
	base http.RoundTripper
	hold time.Duration
	done atomic.Bool
}

func (h *heldAdd) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("X-Acs-Action") != "AddDomainRecord" || h.done.Swap(true) {
		return h.base.RoundTrip(req)
	}
	time.Sleep(h.hold)
	resp, err := h.base.RoundTrip(req.Clone(context.WithoutCancel(req.Context())))
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	return nil, errors.New("connection reset by peer (test: answer lost)")
}

func heldProvider(s *alidnstest.Server, hold time.Duration) *Provider {
	p := newProvider(s)
	p.HTTPClient = &http.Client{Transport: &heldAdd{base: api.NewHTTPClient(0, 0).Transport, hold: hold}}
	return p
}

// A record that an add with a lost answer may have created is adopted (or,
// when the caller gave up, deleted) only when its creation time proves it
// is this add's; a record that existed before the add is never reported
// as created, changed or deleted (issue 14, item 3 and 7).
func TestSettleAddOnlyTakesProvedRecords(t *testing.T) {
	// Each case has its own simulator; most of their time is the wait
	// that makes AliDNS's whole-second clock prove or disprove creation.
	t.Parallel()
	sub := newConcurrently(t, 8)
	defer sub.Wait()
	challenge := []libdns.Record{libdns.TXT{Name: "_acme-challenge", Text: "tok"}}

	sub.Run("applied late, answer lost: proved, adopted", func(t *testing.T) {
		s := newSim(t, "example.com")
		p := heldProvider(s, 2500*time.Millisecond)
		got, err := p.AppendRecords(ctx(t), "example.com.", challenge)
		if err != nil {
			t.Fatalf("append: %v", err)
		}
		recs := s.Records("example.com")
		if info, _ := infoOf(got[0]); len(recs) != 1 || info.RecordID != recs[0].RecordID {
			t.Fatalf("returned %+v, zone %+v", got, recs)
		}
	})

	sub.Run("applied late, caller gone: proved, removed", func(t *testing.T) {
		s := newSim(t, "example.com")
		p := heldProvider(s, 2500*time.Millisecond)
		c, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := p.AppendRecords(c, "example.com.", challenge)
		if err == nil || !strings.Contains(err.Error(), "removed again") {
			t.Fatalf("err %v", err)
		}
		if errors.Is(err, ErrOutcomeUnknown) {
			t.Errorf("the record was removed, yet the error says the outcome is unknown: %v", err)
		}
		if recs := s.Records("example.com"); len(recs) != 0 {
			t.Fatalf("left behind: %+v", recs)
		}
	})

	sub.Run("applied at once, answer lost: undecided, left alone", func(t *testing.T) {
		// The simulator's clock starts a whole second as the test starts,
		// so the add, applied at once, falls in the second of every Date
		// the client saw and nothing can prove it is the add's. With the
		// real clock's phase, an add slowed past the next tick on a loaded
		// machine was (rightly) proved and adopted.
		start := time.Now()
		offset := start.Truncate(time.Second).Add(time.Second).Sub(start)
		s := alidnstest.NewServer(alidnstest.WithoutDNS(), alidnstest.WithClock(func() time.Time { return time.Now().Add(offset) }))
		t.Cleanup(s.Close)
		s.AddZone("example.com", alidnstest.EditionFree)
		p := newProvider(s)
		s.FailNextAfterApply("AddDomainRecord", "InternalError", 500)
		_, err := p.AppendRecords(ctx(t), "example.com.", challenge)
		if !errors.Is(err, ErrOutcomeUnknown) || !strings.Contains(err.Error(), "may exist") || !strings.Contains(err.Error(), "left alone") {
			t.Fatalf("err %v", err)
		}
		if recs := s.Records("example.com"); len(recs) != 1 {
			t.Fatalf("zone %+v", recs)
		}
		// The error's advice removes it.
		deleted, err := p.DeleteRecords(ctx(t), "example.com.", []libdns.Record{libdns.TXT{Name: "_acme-challenge", Text: "tok"}})
		if err != nil || len(deleted) != 1 || len(s.Records("example.com")) != 0 {
			t.Fatalf("delete by value: %v, %+v, zone %+v", err, deleted, s.Records("example.com"))
		}
	})

	sub.Run("record older than the call: not created, zone unchanged", func(t *testing.T) {
		s := newSim(t, "example.com")
		p := newProvider(s)
		pre := s.PutRecord("example.com", alidnstest.Record{RR: "_acme-challenge", Type: "TXT", Value: "tok", Created: time.Now().Add(-time.Hour)})
		s.Inject(alidnstest.Injection{Action: "AddDomainRecord", Kind: alidnstest.FaultGatewayHTML}) // not applied; the retry meets the duplicate
		got, err := p.AppendRecords(ctx(t), "example.com.", challenge)
		if err == nil || len(got) != 0 {
			t.Fatalf("reported %+v as created (%v)", got, err)
		}
		if errors.Is(err, ErrOutcomeUnknown) || !strings.Contains(err.Error(), "already existed (id "+pre.RecordID) {
			t.Fatalf("the lookup proved nothing was created, but: %v", err)
		}
		if recs := s.Records("example.com"); len(recs) != 1 || recs[0].RecordID != pre.RecordID {
			t.Fatalf("zone %+v", recs)
		}
	})

	sub.Run("record made just before the call: never reported as created", func(t *testing.T) {
		s := newSim(t, "example.com")
		p := newProvider(s)
		pre := s.PutRecord("example.com", alidnstest.Record{RR: "www", Type: "A", Value: "192.0.2.1"})
		s.FailNext("AddDomainRecord", "InternalError", 500) // not applied
		got, err := p.AppendRecords(ctx(t), "example.com.", addrs(0, "192.0.2.1"))
		if err == nil || len(got) != 0 {
			t.Fatalf("reported the record made before the call as created: %+v", got)
		}
		if recs := s.Records("example.com"); len(recs) != 1 || recs[0].RecordID != pre.RecordID {
			t.Fatalf("zone %+v", recs)
		}
	})

	sub.Run("cancelled while a record made before the call exists: untouched", func(t *testing.T) {
		s := newSim(t, "example.com")
		p := newProvider(s)
		pre := s.PutRecord("example.com", alidnstest.Record{RR: "www", Type: "A", Value: "192.0.2.1"})
		s.Inject(alidnstest.Injection{Action: "AddDomainRecord", Kind: alidnstest.FaultSlow, Delay: 2 * time.Second})
		c, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err := p.AppendRecords(c, "example.com.", addrs(0, "192.0.2.1"))
		if err == nil {
			t.Fatal("no error")
		}
		if recs := s.Records("example.com"); len(recs) != 1 || recs[0].RecordID != pre.RecordID {
			t.Fatalf("AppendRecords removed a record that existed before it: zone %v, calls %v (%v)", zoneValues(s, "example.com"), actions(s), err)
		}
	})
}

// createdBy decides with AliDNS's clock bounds: a record is before or
// after the moment an add left only when the bounds say so, and a
// timestamp of whole seconds may be up to a second late.
func TestCreatedByUsesClockBounds(t *testing.T) {
	s := newSim(t, "example.com")
	p := newProvider(s)
	if _, err := p.GetRecords(ctx(t), "example.com."); err != nil { // one answer with a Date header
		t.Fatal(err)
	}
	c, err := p.client()
	if err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	lo, hi, ok := c.ServerTime(sent)
	if !ok || hi.Sub(lo) > 2*time.Second || hi.Before(lo) {
		t.Fatalf("bounds [%v, %v] ok=%v", lo, hi, ok)
	}
	at := func(t time.Time) apiRecord { return apiRecord{CreateTimestamp: t.UnixMilli()} }
	for _, tc := range []struct {
		name string
		r    apiRecord
		want creation
	}{
		{"long before", at(lo.Add(-time.Hour)), createdBefore},
		{"just before, ms", at(lo.Add(-5 * time.Millisecond)), createdBefore},
		{"within the bounds", at(lo.Add(hi.Sub(lo) / 2)), createdUnknown},
		{"after the upper bound", at(hi.Add(5 * time.Millisecond)), createdAfter},
		{"whole second just before lo: may be up to 1 s later", apiRecord{CreateTimestamp: lo.Add(-500 * time.Millisecond).Truncate(time.Second).UnixMilli()}, createdUnknown},
		{"no timestamp", apiRecord{}, createdUnknown},
	} {
		if tc.name == "whole second just before lo: may be up to 1 s later" && tc.r.CreateTimestamp+1000 <= lo.UnixMilli() {
			tc.want = createdBefore // the truncated second still ends before lo
		}
		if got := createdBy(c, tc.r, sent); got != tc.want {
			t.Errorf("%s: got %v, want %v (created %d, bounds [%d, %d])", tc.name, got, tc.want, tc.r.CreateTimestamp, lo.UnixMilli(), hi.UnixMilli())
		}
	}
}

func (c creation) String() string {
	return [...]string{"unknown", "before", "after"}[c]
}

// An add that met a server error, settled by a lookup that finds the value
// held by a disabled record, says the record already existed, as every
// other "not created" outcome does, and never that it may exist (found by
// TestModel seed 13 under load, where the error named neither).
func TestSettleAddFindsDisabledRecord(t *testing.T) {
	s := newSim(t, "example.com")
	p := newProvider(s)
	p.Retry = NoRetry
	pre := s.PutRecord("example.com", alidnstest.Record{RR: "www", Type: "A", Value: "192.0.2.1", Status: "DISABLE", Created: time.Now().Add(-time.Hour)})
	s.Inject(alidnstest.Injection{Action: "AddDomainRecord", Kind: alidnstest.FaultEmptyError})
	got, err := p.AppendRecords(ctx(t), "example.com.", addrs(0, "192.0.2.1"))
	if err == nil || len(got) != 0 || errors.Is(err, ErrOutcomeUnknown) ||
		!strings.Contains(err.Error(), "a disabled record with this value already existed (id "+pre.RecordID+"): enable or delete it") {
		t.Fatalf("got %+v, %v", got, err)
	}
	if recs := s.Records("example.com"); len(recs) != 1 || recs[0].Status != "DISABLE" {
		t.Fatalf("zone %+v", recs)
	}
}
