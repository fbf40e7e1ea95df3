package api

import (
	"net/http"
	"sync"
	"time"
)

// serverClock estimates the offset between AliDNS's clock and this
// machine's, so that a record's CreateTimestamp (AliDNS's clock) can be
// compared with the moment a request left here (ours). The provider uses
// it to tell a record that an add with a lost answer created from one that
// existed before the add (see the provider's settleAdd).
//
// Each answer's Date header gives AliDNS's time in whole seconds, taken
// somewhere between the moment the request was sent and the moment the
// answer arrived, so it bounds the offset to an interval about a second
// wide; the intersection of the intervals of many answers narrows it to
// about one round trip (answers on either side of a second boundary pin
// the boundary). When a new interval does not meet the current one (a
// clock was stepped), or the estimate is older than clockMemory (clocks
// drift), the estimate starts again from the new interval.
type serverClock struct {
	mu     sync.Mutex
	lo, hi time.Duration // offset = AliDNS time - local time, within [lo, hi]
	since  time.Time     // when the current estimate started
	ok     bool
}

// clockMemory bounds how long observations are intersected: a drift of a
// few ms per hour cannot make the estimate wrong by more than that.
const clockMemory = time.Hour

// clocks holds one estimate per endpoint host, shared by every Client of
// the process: the offset is a property of the service, not of a client.
var clocks sync.Map // host -> *serverClock

func clockFor(host string) *serverClock {
	if c, ok := clocks.Load(host); ok {
		return c.(*serverClock)
	}
	c, _ := clocks.LoadOrStore(host, &serverClock{})
	return c.(*serverClock)
}

// observe narrows the estimate with an answer sent at sent, received at
// received, whose Date header says date.
func (sc *serverClock) observe(sent, received time.Time, date time.Time) {
	if date.IsZero() || received.Before(sent) {
		return
	}
	// AliDNS's time when it answered is in [date, date+1s); ours was in
	// [sent, received].
	lo := date.Sub(received)
	hi := date.Add(time.Second).Sub(sent)
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if !sc.ok || received.Sub(sc.since) > clockMemory || lo > sc.hi || hi < sc.lo {
		sc.lo, sc.hi, sc.since, sc.ok = lo, hi, received, true
		return
	}
	sc.lo, sc.hi = max(sc.lo, lo), min(sc.hi, hi)
}

func (sc *serverClock) bounds() (lo, hi time.Duration, ok bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.lo, sc.hi, sc.ok
}

// ServerTime returns bounds on AliDNS's clock at the local time t, as
// estimated from the Date headers of the answers this process has had
// from the endpoint: AliDNS's time at t is within [lo, hi]. ok is false
// before any answer with a Date header arrived.
func (c *Client) ServerTime(t time.Time) (lo, hi time.Time, ok bool) {
	endpoint := c.Endpoint
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	base, err := ParseEndpoint(endpoint)
	if err != nil {
		return time.Time{}, time.Time{}, false
	}
	dlo, dhi, ok := clockFor(base.Host).bounds()
	if !ok {
		return time.Time{}, time.Time{}, false
	}
	return t.Add(dlo), t.Add(dhi), true
}

// observeDate feeds the estimate with an answer that came from AliDNS
// itself: only answers carrying AliDNS's request id are used, since a
// proxy's or gateway's error page carries that machine's clock.
func observeDate(host string, sent, received time.Time, h http.Header) {
	if h.Get("X-Acs-Request-Id") == "" {
		return
	}
	d, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return
	}
	clockFor(host).observe(sent, received, d)
}
