package api

import (
	"net/http"
	"testing"
	"time"
)

func TestServerClockNarrowsAcrossSecondBoundaries(t *testing.T) {
	var sc serverClock
	base := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	// AliDNS's clock runs 300 ms ahead of ours; answers take 10 ms.
	const skew = 300 * time.Millisecond
	answer := func(sent time.Time) {
		date := sent.Add(5 * time.Millisecond).Add(skew).Truncate(time.Second)
		sc.observe(sent, sent.Add(10*time.Millisecond), date)
	}
	answer(base.Add(100 * time.Millisecond))
	lo, hi, ok := sc.bounds()
	if !ok || lo > skew || hi < skew || hi-lo > time.Second+10*time.Millisecond {
		t.Fatalf("one answer: [%v, %v]", lo, hi)
	}
	// Answers on either side of AliDNS's next second (ours at .695/.705).
	answer(base.Add(690 * time.Millisecond))
	answer(base.Add(700 * time.Millisecond))
	lo, hi, _ = sc.bounds()
	if lo > skew || hi < skew || hi-lo > 30*time.Millisecond {
		t.Fatalf("after a boundary: [%v, %v], want about %v", lo, hi, skew)
	}
}

func TestServerClockStartsAgainWhenStepped(t *testing.T) {
	var sc serverClock
	now := time.Now()
	sc.observe(now, now.Add(time.Millisecond), now.Truncate(time.Second))
	// Our clock was stepped back by an hour: the old interval cannot hold.
	later := now.Add(-time.Hour)
	sc.observe(later, later.Add(time.Millisecond), now.Add(time.Second).Truncate(time.Second))
	lo, hi, _ := sc.bounds()
	if lo < 59*time.Minute || hi > 61*time.Minute {
		t.Fatalf("[%v, %v]: the stale estimate was kept", lo, hi)
	}
	// And an estimate older than clockMemory is replaced, not narrowed.
	far := now.Add(2 * clockMemory)
	sc.observe(far, far.Add(time.Millisecond), far.Truncate(time.Second))
	if lo, hi, _ := sc.bounds(); lo > 0 || hi < 0 {
		t.Fatalf("[%v, %v] after %v", lo, hi, 2*clockMemory)
	}
}

// Only AliDNS's own answers set the clock: an error page from a proxy in
// between carries that machine's time.
func TestObserveDateNeedsAliDNSRequestID(t *testing.T) {
	host := "clock-test.invalid"
	now := time.Now()
	h := http.Header{"Date": {now.Add(5 * time.Hour).UTC().Format(http.TimeFormat)}}
	observeDate(host, now, now, h)
	if _, _, ok := clockFor(host).bounds(); ok {
		t.Fatal("an answer without X-Acs-Request-Id set the clock")
	}
	h.Set("X-Acs-Request-Id", "R")
	observeDate(host, now, now, h)
	if lo, _, ok := clockFor(host).bounds(); !ok || lo < 4*time.Hour {
		t.Fatalf("bounds not set from AliDNS's answer (lo %v, ok %v)", lo, ok)
	}
}
