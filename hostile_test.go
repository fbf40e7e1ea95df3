package alidns

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libdns/libdns"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/caddy-alidns/alidns/alidnstest"
	"github.com/caddy-alidns/alidns/internal/api"
)

// The hostile-answer tests: what a broken, misconfigured or hostile
// endpoint answers (alidnstest.HostileServer) costs a bounded amount of
// work, never panics, and never puts the secret or the token into an
// error, a log line or caddy alidns check's report.

const (
	hostileToken  = "CAIS+hostile/sts=token-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
	hostileSecret = "hostile-secret-9876543210"
)

// hostileProvider is a provider with STS credentials at h's URL.
func hostileProvider(t *testing.T, h alidnstest.Hostile) (*Provider, *alidnstest.HostileServer) {
	t.Helper()
	isolateCredentialEnv(t)
	s := alidnstest.NewHostileServer(h)
	t.Cleanup(s.Close)
	return &Provider{AccessKeyID: "STS.hostile", AccessKeySecret: hostileSecret, SecurityToken: hostileToken, Endpoint: s.URL, Retry: api.NoRetry}, s
}

// assertNoHostileSecret fails if s holds the token or the secret, their
// start, or a percent-, JSON- or HTML-encoded form of them.
func assertNoHostileSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range []string{hostileToken, hostileSecret} {
		for _, form := range []string{secret[:8], url.QueryEscape(secret)[:12], api.PercentEncode(secret)[:12], strings.ReplaceAll(secret, "/", `\/`)[:12]} {
			if strings.Contains(s, form) {
				t.Errorf("%s holds %q (from a secret):\n%s", what, form, s)
			}
		}
	}
}

// A TotalCount far beyond any zone neither panics nor allocates from the
// count; empty pages end the listing at once; full pages stop at maxPages
// with an error naming the claim.
func TestHostilePageCounts(t *testing.T) {
	p, s := hostileProvider(t, alidnstest.Hostile{Kind: alidnstest.HostilePages, TotalCount: 4e18})
	recs, err := p.GetRecords(ctx(t), "example.com.")
	if err != nil || len(recs) != 0 || s.Calls("") != 1 {
		t.Fatalf("TotalCount 4e18, empty pages: %d records, %v, after %d calls; want none, no error, 1 call", len(recs), err, s.Calls(""))
	}

	s.Set(alidnstest.Hostile{Kind: alidnstest.HostilePages, TotalCount: 500000})
	before := s.Calls("")
	if _, err := p.DeleteRecords(ctx(t), "example.com.", []libdns.Record{libdns.TXT{Name: "_acme-challenge", Text: "x"}}); err != nil {
		t.Fatal(err)
	}
	if n := s.Calls("") - before; n > 2 {
		t.Fatalf("one DeleteRecords cost %d calls against empty pages of a claimed 500,000", n)
	}

	// Pages holding more entries than asked for overlap the next page:
	// refused, and nothing is deleted on their word (FuzzPages found them
	// read as full pages).
	s.Set(alidnstest.Hostile{Kind: alidnstest.HostilePages, TotalCount: 5000, PageRecords: recordsPageSize + 1})
	recs, err = p.GetRecords(ctx(t), "example.com.")
	if want := fmt.Sprintf("page 1: the answer holds %d entries, more than the PageSize %d asked for", recordsPageSize+1, recordsPageSize); err == nil || !strings.Contains(err.Error(), want) || len(recs) != 0 {
		t.Fatalf("over-full pages: %d records, %v; want an error containing %q", len(recs), err, want)
	}
	before = s.Calls("DeleteDomainRecord")
	_, err = p.DeleteRecords(ctx(t), "example.com.", []libdns.Record{libdns.TXT{Name: "_acme-challenge", Text: "x"}})
	if want := fmt.Sprintf("more than the PageSize %d asked for", subDomainsPageSize); err == nil || !strings.Contains(err.Error(), want) || s.Calls("DeleteDomainRecord") != before {
		t.Fatalf("delete against over-full pages: %v, %d deletes; want an error containing %q and no delete", err, s.Calls("DeleteDomainRecord")-before, want)
	}
}

// fetchPages starts a goroutine only once its window admits it, never
// has more than pageConcurrency pages in flight, and stops at the first
// short page however late that page's answer comes: the short page is
// the slowest here, as on a loaded machine its goroutine can be (a
// semaphore in place of the window fetched 39 pages under load, and 256
// with this slow short page).
func TestFetchPagesBoundedAndStopsAtShortPage(t *testing.T) {
	var inFlight, peak, calls atomic.Int64
	const short = 25
	fetch := func(page int) (recordsPage, error) {
		calls.Add(1)
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			if p := peak.Load(); n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(time.Millisecond) // let the others pile up if they can
		if page == short {
			time.Sleep(30 * time.Millisecond)
		}
		var pg recordsPage
		pg.TotalCount = 1 << 40
		if page != short {
			pg.DomainRecords.Record = make([]apiRecord, 10)
		}
		return pg, nil
	}
	pages, err := fetchPages(10, fetch, func(p recordsPage) int64 { return p.TotalCount })
	if err != nil || len(pages) != short {
		t.Fatalf("%d pages, %v; want %d", len(pages), err, short)
	}
	if peak.Load() > pageConcurrency {
		t.Errorf("%d pages in flight at once, want at most %d", peak.Load(), pageConcurrency)
	}
	if calls.Load() > short+pageConcurrency-1 {
		t.Errorf("%d pages fetched; the short page %d should have stopped it by page %d", calls.Load(), short, short+pageConcurrency-1)
	}

	// Every page full, whatever page is asked, and a count beyond reason:
	// maxPages are read, then an error names the claim.
	calls.Store(0)
	full := func(int) (recordsPage, error) {
		calls.Add(1)
		var pg recordsPage
		pg.TotalCount = 4e18
		pg.DomainRecords.Record = make([]apiRecord, 10)
		return pg, nil
	}
	_, err = fetchPages(10, full, func(p recordsPage) int64 { return p.TotalCount })
	if err == nil || !strings.Contains(err.Error(), "claims 4000000000000000000 entries") || calls.Load() != maxPages {
		t.Fatalf("err %v after %d pages; want an error after maxPages (%d)", err, calls.Load(), maxPages)
	}

	// A later page holding more entries than asked for is refused too.
	overfullThird := func(page int) (recordsPage, error) {
		var pg recordsPage
		pg.TotalCount = 50
		n := 10
		if page == 3 {
			n = 11
		}
		pg.DomainRecords.Record = make([]apiRecord, n)
		return pg, nil
	}
	_, err = fetchPages(10, overfullThird, func(p recordsPage) int64 { return p.TotalCount })
	if want := "page 3 of 5: the answer holds 11 entries, more than the PageSize 10 asked for"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err %v; want %q", err, want)
	}
}

// A delete answered with HTTP 200 and an empty body without being applied
// (a proxy, a gateway) is not taken as done: the retry deletes the
// record, by id and by lookup alike. When every answer is so, the error
// says the delete may have been applied, and nothing is reported deleted.
func TestDeleteAnsweredEmptyOKBeforeApply(t *testing.T) {
	for _, byID := range []bool{true, false} {
		t.Run(fmt.Sprintf("by id %v", byID), func(t *testing.T) {
			s := newSim(t, "example.com")
			p := newProvider(s)
			rec := libdns.TXT{Name: "_acme-challenge", Text: "digest"}
			got, err := p.AppendRecords(ctx(t), "example.com.", []libdns.Record{rec})
			if err != nil {
				t.Fatal(err)
			}
			target := got
			if !byID {
				target = []libdns.Record{rec}
			}
			s.Inject(alidnstest.Injection{Action: "DeleteDomainRecord", Kind: alidnstest.FaultEmptyOK})
			deleted, err := p.DeleteRecords(ctx(t), "example.com.", target)
			if err != nil || len(deleted) != 1 {
				t.Fatalf("delete: %v, %d deleted", err, len(deleted))
			}
			if left := s.Records("example.com"); len(left) != 0 {
				t.Fatalf("reported deleted, but the zone holds %+v", left)
			}
			if len(s.PendingInjections()) != 0 {
				t.Fatal("the fault was never hit")
			}

			// Never a real answer: the lookup by id finds the record still
			// there, and the error says it was not deleted.
			got, err = p.AppendRecords(ctx(t), "example.com.", []libdns.Record{rec})
			if err != nil {
				t.Fatal(err)
			}
			if byID {
				target = got
			}
			p.Retry = api.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxWait: time.Second}
			p.api = nil // rebuild the client with the new policy
			for range 2 {
				s.Inject(alidnstest.Injection{Action: "DeleteDomainRecord", Kind: alidnstest.FaultEmptyOK})
			}
			deleted, err = p.DeleteRecords(ctx(t), "example.com.", target)
			if err == nil || api.MayHaveApplied(err) || !strings.Contains(err.Error(), "still there: it was not deleted") || len(deleted) != 0 {
				t.Fatalf("err %v, %d deleted; want an error saying the record was not deleted", err, len(deleted))
			}
			if left := s.Records("example.com"); len(left) != 1 {
				t.Fatalf("zone holds %+v", left)
			}
		})
	}
}

// countZoneStates is the number of zone states kept.
func countZoneStates() int {
	n := 0
	zoneStates.Range(func(any, any) bool { n++; return true })
	return n
}

// No state is kept for a zone that AliDNS says is not hosted, whatever
// the operation; a hosted zone's state stays while it is in use.
func TestZoneStatesNotKeptForMissingZones(t *testing.T) {
	s := newSim(t, "example.com")
	p := newProvider(s)
	before := countZoneStates()
	rec := []libdns.Record{libdns.TXT{Name: "_acme-challenge", Text: "x"}}
	for i := range 200 {
		zone := fmt.Sprintf("z%03d.example.", i)
		_, _ = p.DeleteRecords(ctx(t), zone, rec)
		_, _ = p.AppendRecords(ctx(t), zone, rec)
		_, _ = p.SetRecords(ctx(t), zone, rec)
	}
	if n := countZoneStates() - before; n != 0 {
		t.Fatalf("%d zone states kept for zones that do not exist", n)
	}
	if _, err := p.AppendRecords(ctx(t), "example.com.", rec); err != nil {
		t.Fatal(err)
	}
	if n := countZoneStates() - before; n != 1 {
		t.Fatalf("%d new zone states after a write to a hosted zone, want 1", n)
	}
}

// An unused zone state is dropped after zoneStateIdle; one that is locked
// or waited for is never dropped, however old, so every writer of a zone
// still meets the same lock.
func TestZoneStatesIdleEvictedUnlessHeld(t *testing.T) {
	s := newSim(t, "example.com", "example.org")
	p := newProvider(s)
	c, err := p.client()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	zoneStateNow = func() time.Time { return now }
	defer func() { zoneStateNow = time.Now }()

	idle := p.zone(c, "example.com")
	releaseZone(idle)
	held := p.zone(c, "example.org")
	if err := lockZone(ctx(t), held); err != nil {
		t.Fatal(err)
	}
	waiting := make(chan error, 1)
	go func() {
		zs := p.zone(c, "example.org")
		err := lockZone(ctx(t), zs)
		if err == nil {
			zs.lock.unlock()
		}
		releaseZone(zs)
		waiting <- err
	}()

	for queued := 0; queued == 0; {
		held.lock.mu.Lock()
		queued = len(held.lock.queue)
		held.lock.mu.Unlock()
		runtime.Gosched()
	}
	now = now.Add(zoneStateIdle + zoneStateSweepEvery + time.Second)
	sweep := p.zone(c, "other.example") // any lookup sweeps
	releaseZone(sweep)
	if again := p.zone(c, "example.com"); again == idle {
		t.Error("the idle state was kept")
	} else {
		releaseZone(again)
	}
	if again := p.zone(c, "example.org"); again != held {
		t.Error("a locked state with a waiter was dropped: a new writer would take another lock")
	} else {
		releaseZone(again)
	}
	held.lock.unlock()
	releaseZone(held)
	if err := <-waiting; err != nil {
		t.Fatal(err)
	}
}

// The metrics' code label takes a fixed set of values: a server that
// answers a new code every time adds one series ("other"), not one per
// code.
func TestMetricsCodeLabelBounded(t *testing.T) {
	p, _ := hostileProvider(t, alidnstest.Hostile{Kind: alidnstest.HostileUnknownCodes})
	reg := prometheus.NewRegistry()
	m, err := newAPIMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	p.metrics.Store(m)
	for range 300 {
		_, _ = p.GetRecords(context.Background(), "example.com.")
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "caddy_alidns_api_requests_total" {
			continue
		}
		var codes []string
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "code" {
					codes = append(codes, l.GetValue())
				}
			}
		}
		if len(codes) != 1 || codes[0] != "other" {
			t.Fatalf("code label values %q, want only \"other\"", codes)
		}
		return
	}
	t.Fatal("no caddy_alidns_api_requests_total")
}

// A zone that is nothing but dots (and spaces) is refused before any call
// with the same error as "."; one with an empty label is refused too.
func TestZoneOfDotsRefusedLocally(t *testing.T) {
	p, s := hostileProvider(t, alidnstest.Hostile{Kind: alidnstest.HostileUnknownCodes})
	rec := []libdns.Record{libdns.TXT{Name: "x", Text: "v"}}
	for zone, want := range map[string]string{
		".": "zone is empty", "..": "zone is empty", "...": "zone is empty", " . ": "zone is empty", "": "zone is empty",
		"a..b.": "empty label", ".example.com.": "empty label", "example.com..": "empty label",
	} {
		_, gerr := p.GetRecords(ctx(t), zone)
		_, aerr := p.AppendRecords(ctx(t), zone, rec)
		_, serr := p.SetRecords(ctx(t), zone, rec)
		_, derr := p.DeleteRecords(ctx(t), zone, rec)
		for _, err := range []error{gerr, aerr, serr, derr} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("zone %q: %v, want %q", zone, err, want)
			}
		}
	}
	if n := s.Calls(""); n != 0 {
		t.Fatalf("%d API calls for zones refused locally", n)
	}
}

// caddy alidns check against hostile answers: it reports what is wrong in
// its words, costs few calls, and neither its text nor its JSON report
// holds the secret or the token.
func TestCheckThroughHostileServer(t *testing.T) {
	for name, tc := range map[string]struct {
		h    alidnstest.Hostile
		want string
	}{
		"redirect":      {alidnstest.Hostile{Kind: alidnstest.HostileRedirect, Target: "http://attacker.example"}, "redirect to http://attacker.example refused"},
		"echo json":     {alidnstest.Hostile{Kind: alidnstest.HostileEcho, Echo: []string{hostileSecret}}, "is not allowed"},
		"echo xml":      {alidnstest.Hostile{Kind: alidnstest.HostileEcho, Format: alidnstest.FormatXML, Echo: []string{hostileSecret}}, "HTTP 400"},
		"echo html":     {alidnstest.Hostile{Kind: alidnstest.HostileEcho, Format: alidnstest.FormatHTML, Echo: []string{hostileSecret}}, "HTTP 400"},
		"echo text 500": {alidnstest.Hostile{Kind: alidnstest.HostileEcho, Format: alidnstest.FormatText, Status: 500, Echo: []string{hostileSecret}}, "HTTP 500"},
		"unknown codes": {alidnstest.Hostile{Kind: alidnstest.HostileUnknownCodes}, "Hostile.Unknown."},
		"huge count":    {alidnstest.Hostile{Kind: alidnstest.HostilePages, TotalCount: 4e18}, "zone"},
	} {
		t.Run(name, func(t *testing.T) {
			p, s := hostileProvider(t, tc.h)
			var out bytes.Buffer
			res, err := runCheckReport(ctx(t), checkOptions{commandOptions: commandOptions{Provider: p}, Domain: "www.example.com", ReadOnly: true}, &out)
			text := out.String()
			if err != nil {
				text += "\n" + err.Error()
			}
			js, _ := json.Marshal(res)
			assertNoHostileSecret(t, "check report", text)
			assertNoHostileSecret(t, "check --json", string(js))
			if !strings.Contains(text, tc.want) {
				t.Errorf("report lacks %q:\n%s", tc.want, text)
			}
			if n := s.Calls(""); n > 12 {
				t.Errorf("the check made %d calls", n)
			}
		})
	}
}
