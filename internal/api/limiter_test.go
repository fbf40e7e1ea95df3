package api

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fakeClock drives a limiter without real time: sleeping advances it.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	slept  []time.Duration
	sleeps int
}

func newFakeLimiter() (*limiter, *fakeClock) {
	c := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := &limiter{
		now: func() time.Time {
			c.mu.Lock()
			defer c.mu.Unlock()
			return c.t
		},
		sleep: func(_ context.Context, d time.Duration) error {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.t = c.t.Add(d)
			c.slept = append(c.slept, d)
			c.sleeps++
			return nil
		},
	}
	return l, c
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// waited returns the time slept since the last call.
func (c *fakeClock) waited() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var sum time.Duration
	for _, d := range c.slept {
		sum += d
	}
	c.slept = nil
	return sum
}

func TestLimiterStartsUnlimited(t *testing.T) {
	l, c := newFakeLimiter()
	for range 100 {
		if err := l.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		l.success()
	}
	if c.sleeps != 0 || l.rate != 0 {
		t.Fatalf("unthrottled limiter slept %d times, rate %v", c.sleeps, l.rate)
	}
}

func TestLimiterFirstThrottleEstimatesQuotaAndHolds(t *testing.T) {
	l, c := newFakeLimiter()
	// 20 successes in half a second, then throttled: a token bucket with
	// a burst of one second lets through about quota*(1+0.5) by then.
	for range 20 {
		l.success()
		c.advance(25 * time.Millisecond)
	}
	l.throttled(0)
	if want := 20 / 1.5 * 0.9; l.rate < want-0.01 || l.rate > want+0.01 {
		t.Fatalf("rate %v, want about %v", l.rate, want)
	}
	// Nobody goes before one interval has passed since the throttle.
	_ = l.wait(context.Background())
	if got, want := c.waited(), l.interval(); got != want {
		t.Fatalf("first request after the throttle waited %v, want %v", got, want)
	}
	// Then one request per interval.
	for range 5 {
		_ = l.wait(context.Background())
		if got, want := c.waited(), l.interval(); got != want {
			t.Fatalf("waited %v between requests, want %v", got, want)
		}
	}
}

func TestLimiterHonoursTimeLeft(t *testing.T) {
	l, c := newFakeLimiter()
	l.throttled(1500 * time.Millisecond)
	_ = l.wait(context.Background())
	if got := c.waited(); got != 1500*time.Millisecond {
		t.Fatalf("waited %v after TimeLeft 1.5s", got)
	}
	// An absurd TimeLeft is capped.
	l.throttled(time.Hour)
	_ = l.wait(context.Background())
	if got := c.waited(); got != limiterMaxHold {
		t.Fatalf("waited %v after TimeLeft 1h, want the cap %v", got, limiterMaxHold)
	}
}

func TestLimiterCutsOncePerInterval(t *testing.T) {
	l, c := newFakeLimiter()
	l.throttled(0) // rate = limiterStartRate
	start := l.rate
	// A burst of throttled answers to requests already in flight.
	for range 5 {
		c.advance(10 * time.Millisecond)
		l.throttled(0)
	}
	if l.rate != start {
		t.Fatalf("burst of throttles cut the rate from %v to %v", start, l.rate)
	}
	c.advance(2*l.interval() + 300*time.Millisecond)
	l.throttled(0)
	if want := start * limiterCut; l.rate != want {
		t.Fatalf("rate %v after a later throttle, want %v", l.rate, want)
	}
	// Repeated throttling never goes below the minimum.
	for range 50 {
		c.advance(10 * time.Second)
		l.throttled(0)
	}
	if l.rate != limiterMinRate {
		t.Fatalf("rate %v, want the minimum %v", l.rate, limiterMinRate)
	}
}

func TestLimiterCutAppliesToWaitersAtOnce(t *testing.T) {
	l, c := newFakeLimiter()
	l.throttled(0)
	_ = l.wait(context.Background())
	c.waited()
	old := l.interval()
	c.advance(3 * time.Second)
	l.throttled(0) // cut
	if l.interval() <= old {
		t.Fatalf("interval %v not longer than %v after a cut", l.interval(), old)
	}
	// The next two requests are spaced by the new interval, not the old.
	_ = l.wait(context.Background())
	c.waited()
	_ = l.wait(context.Background())
	if got, want := c.waited(), l.interval(); got != want {
		t.Fatalf("spacing %v after the cut, want %v", got, want)
	}
}

func TestLimiterSuccessRaisesRateAndQuietLifts(t *testing.T) {
	l, c := newFakeLimiter()
	l.throttled(0)
	r := l.rate
	for range int(r) {
		l.success()
	}
	if l.rate < r+0.9 || l.rate > r+1.1 {
		t.Fatalf("rate %v after one second of successes at %v, want about +1", l.rate, r)
	}
	c.advance(limiterQuietTime + time.Second)
	sleeps := c.sleeps
	_ = l.wait(context.Background())
	if l.rate != 0 || c.sleeps != sleeps {
		t.Fatalf("after a quiet period: rate %v, slept %d times", l.rate, c.sleeps-sleeps)
	}
}

func TestLimiterWaitHonoursContext(t *testing.T) {
	l := &limiter{}
	l.throttled(2 * time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.wait(ctx); err == nil {
		t.Fatal("wait with a cancelled context returned nil")
	}
	// The turn was given back: another waiter is not blocked forever.
	l.mu.Lock()
	l.next = time.Time{}
	l.mu.Unlock()
	if err := l.wait(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestLimiterWaitersAreAdmittedInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := &limiter{}
		l.throttled(0)
		var mu sync.Mutex
		var order []int
		var wg sync.WaitGroup
		for i := range 5 {
			wg.Go(func() {
				_ = l.wait(context.Background())
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
			})
			synctest.Wait() // waiter i is queued (or sleeping for its slot)
		}
		wg.Wait()
		for i, v := range order {
			if v != i {
				t.Fatalf("admitted in order %v", order)
			}
		}
	})
}

func TestThrottleTimeLeft(t *testing.T) {
	cases := []struct {
		headers map[string]string
		want    time.Duration
	}{
		{nil, 0},
		{map[string]string{"x-ratelimit-user-api": "Limit:20,Remain:0,TimeLeft:51,Reset:51"}, 51 * time.Millisecond},
		{map[string]string{"x-ratelimit-user-api": "Limit:20,Remain:0,TimeLeft:51,Reset:51", "x-ratelimit-user": "Limit:100,Remain:0,TimeLeft:800,Reset:800"}, 800 * time.Millisecond},
		{map[string]string{"x-ratelimit-user": "Limit:100, Remain:0, timeleft:7"}, 7 * time.Millisecond},
		{map[string]string{"x-ratelimit-user-api": "garbage"}, 0},
		{map[string]string{"x-ratelimit-user-api": "TimeLeft:-5"}, 0},
	}
	for _, tc := range cases {
		h := http.Header{}
		for k, v := range tc.headers {
			h.Set(k, v)
		}
		if got := throttleTimeLeft(h); got != tc.want {
			t.Errorf("%v: got %v, want %v", tc.headers, got, tc.want)
		}
	}
}
