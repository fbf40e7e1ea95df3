package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// limiter paces requests once the service has throttled this client, so
// that a burst of certificates backs off together instead of every caller
// retrying on its own schedule (a thundering herd that earns more
// throttling).
//
// It starts unlimited. A throttling answer sets the rate to what actually
// succeeded recently, and holds every request back until the service's
// quota has had time to refill (the answer's TimeLeft when it has one);
// further throttling cuts the rate multiplicatively, at most once per
// couple of request intervals (answers to requests sent before the cut
// say nothing new), and each success raises it additively, by about one
// request per second per second. A quiet period without throttling lifts
// the limit again.
//
// While limited, callers are admitted one at a time in arrival order, each
// at the earliest free slot computed with the rate at the moment it is
// admitted: a cut applies at once to everyone still waiting, instead of
// to requests scheduled after slots reserved at the old rate (which would
// keep the service throttling and cut the rate again and again, down to
// the minimum).
type limiter struct {
	mu        sync.Mutex
	turn      chan struct{} // FIFO turnstile for waiters while limited
	rate      float64       // requests per second; 0 = unlimited
	next      time.Time     // earliest start of the next request while limited
	window    time.Time     // start of the current one-second success window
	okInWin   int           // successes in the current window
	okPrevWin int           // successes in the previous window
	lastCut   time.Time
	lastThrot time.Time

	// users counts the attempts holding this limiter (limiterFor to
	// releaseLimiter); guarded by limitersMu, not mu.
	users int

	// now and sleep are for tests; nil means the real clock.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

const (
	// limiterStartRate is the floor of the first estimate: a throttling
	// answer with little traffic before it says little about the quota.
	limiterStartRate = 5
	limiterMinRate   = 1
	limiterQuietTime = 30 * time.Second
	// limiterCut is the multiplicative decrease on further throttling.
	limiterCut = 0.7
	// limiterMaxHold bounds how long one throttling answer holds requests
	// back, whatever its TimeLeft says.
	limiterMaxHold = 5 * time.Second
)

func (l *limiter) clock() time.Time {
	if l.now != nil {
		return l.now()
	}
	return time.Now()
}

func (l *limiter) pause(ctx context.Context, d time.Duration) error {
	if l.sleep != nil {
		return l.sleep(ctx, d)
	}
	return Sleep(ctx, d)
}

func (l *limiter) interval() time.Duration {
	return time.Duration(float64(time.Second) / l.rate)
}

// wait returns when a request may be sent (at once while unlimited).
func (l *limiter) wait(ctx context.Context) error {
	l.mu.Lock()
	if l.rate == 0 {
		l.mu.Unlock()
		return nil
	}
	if l.clock().Sub(l.lastThrot) > limiterQuietTime {
		l.rate = 0
		l.mu.Unlock()
		return nil
	}
	if l.turn == nil {
		l.turn = make(chan struct{}, 1)
	}
	turn := l.turn
	l.mu.Unlock()

	// Blocked senders on a channel are woken in FIFO order.
	select {
	case turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-turn }()
	for {
		l.mu.Lock()
		if l.rate == 0 {
			l.mu.Unlock()
			return nil
		}
		now := l.clock()
		if !now.Before(l.next) {
			// Claim the slot. Waking a little late does not push later
			// slots back (no drift); a long idle gap earns no burst.
			base := l.next
			iv := l.interval()
			if now.Sub(base) > iv {
				base = now
			}
			l.next = base.Add(iv)
			l.mu.Unlock()
			return nil
		}
		d := l.next.Sub(now)
		l.mu.Unlock()
		if err := l.pause(ctx, d); err != nil {
			return err
		}
	}
}

func (l *limiter) roll(now time.Time) {
	switch el := now.Sub(l.window); {
	case el >= 2*time.Second:
		l.okPrevWin, l.okInWin, l.window = 0, 0, now
	case el >= time.Second:
		l.okPrevWin, l.okInWin, l.window = l.okInWin, 0, l.window.Add(time.Second)
	}
}

func (l *limiter) success() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(l.clock())
	l.okInWin++
	if l.rate > 0 {
		l.rate += 1 / l.rate // about +1 request/s per second of successes
	}
}

// throttled records a throttling answer; timeLeft is how long the service
// said its quota needs to refill (0 when it did not say).
func (l *limiter) throttled(timeLeft time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock()
	l.roll(now)
	l.lastThrot = now
	switch {
	case l.rate == 0:
		// What got through recently is the best estimate of the quota:
		// with a token bucket holding one second of quota, the successes
		// of the last (partial) second plus one are about twice the
		// quota.
		observed := float64(l.okInWin + l.okPrevWin)
		if el := now.Sub(l.window) + time.Second; el > 0 {
			observed = observed / el.Seconds()
		}
		l.rate = max(limiterStartRate, observed*0.9)
		l.lastCut = now
	case now.Sub(l.lastCut) > 2*l.interval()+250*time.Millisecond:
		l.rate = max(limiterMinRate, l.rate*limiterCut)
		l.lastCut = now
	}
	// The quota is empty now: nobody goes before it has refilled.
	hold := max(l.interval(), min(timeLeft, limiterMaxHold))
	if at := now.Add(hold); l.next.Before(at) {
		l.next = at
	}
}

// throttleTimeLeft reads how long the quota needs to refill from a
// throttling answer's rate-limit headers, as the official SDKs do:
// x-ratelimit-user-api and x-ratelimit-user hold
// "Limit:…,Remain:…,TimeLeft:<ms>,Reset:…"; the longer TimeLeft wins.
func throttleTimeLeft(h http.Header) time.Duration {
	var left time.Duration
	for _, name := range []string{"X-Ratelimit-User-Api", "X-Ratelimit-User"} {
		for _, part := range strings.Split(h.Get(name), ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(part), ":")
			if !ok || !strings.EqualFold(k, "TimeLeft") {
				continue
			}
			if ms, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && ms > 0 {
				left = max(left, time.Duration(ms)*time.Millisecond)
			}
		}
	}
	return left
}

// limiters holds one limiter per endpoint host and AccessKey ID for the
// whole process: AliDNS counts requests per account, and Caddy makes one
// Provider (so one Client) per site or automation policy, so a limiter per
// Client would let each of them spend the account's quota on its own.
//
// Temporary (STS) credentials get a new AccessKey ID at every renewal, so
// entries are evicted once nothing distinguishes them from a fresh
// limiter (see idle) and no attempt holds them; the map then holds at
// most limiterKeep entries plus those in use or still pacing.
var (
	limiters   sync.Map   // host + "\x00" + AccessKey ID -> *limiter
	limitersMu sync.Mutex // serialises changes to limiters; guards limiter.users and the two below
	// limiterCount is the number of entries; a sweep runs when it reaches
	// limiterSweepAt, which is then set to twice what is left (amortised
	// constant cost per new entry).
	limiterCount   int
	limiterSweepAt = limiterKeep
)

// limiterKeep is the number of entries below which nothing is swept.
const limiterKeep = 64

// limiterFor returns the limiter of base's host and cred's AccessKey ID,
// held until releaseLimiter.
func (c *Client) limiterFor(base *url.URL, cred Credential) *limiter {
	key := base.Host + "\x00" + cred.AccessKeyID
	limitersMu.Lock()
	defer limitersMu.Unlock()
	if v, ok := limiters.Load(key); ok {
		l := v.(*limiter)
		l.users++
		return l
	}
	l := &limiter{users: 1}
	limiters.Store(key, l)
	limiterCount++
	if limiterCount >= limiterSweepAt {
		sweepLimitersLocked()
		limiterSweepAt = max(limiterKeep, 2*limiterCount)
	}
	return l
}

// releaseLimiter ends an attempt's hold on l.
func releaseLimiter(l *limiter) {
	limitersMu.Lock()
	defer limitersMu.Unlock()
	l.users--
}

// sweepLimitersLocked drops the entries that no attempt holds and that
// are idle. Called with limitersMu held.
func sweepLimitersLocked() {
	limiters.Range(func(k, v any) bool {
		if l := v.(*limiter); l.users == 0 && l.idle() {
			limiters.Delete(k)
			limiterCount--
		}
		return true
	})
}

// idle reports whether l would behave like a fresh limiter: unlimited, or
// quiet for longer than limiterQuietTime (its next wait lifts the limit).
// Only its count of the last second's successes is lost by dropping it.
func (l *limiter) idle() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rate == 0 || l.clock().Sub(l.lastThrot) > limiterQuietTime
}
