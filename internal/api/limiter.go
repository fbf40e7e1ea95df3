package api

import (
	"context"
	"sync"
	"time"
)

// limiter paces requests once the service has throttled this client, so
// that a burst of certificates backs off together instead of every caller
// retrying on its own schedule (a thundering herd that earns more
// throttling). It starts unlimited; a throttling answer sets the rate to
// what actually succeeded over the last second, further throttling cuts it
// multiplicatively, and each success raises it additively until a quiet
// period lifts the limit again.
type limiter struct {
	mu        sync.Mutex
	rate      float64   // requests per second; 0 = unlimited
	next      time.Time // earliest start of the next request while limited
	window    time.Time // start of the current one-second success window
	okInWin   int       // successes in the current window
	okPrevWin int       // successes in the previous window
	lastCut   time.Time
	lastThrot time.Time
}

const (
	// limiterStartRate is the floor of the first estimate: a throttling
	// answer with little traffic before it says little about the quota.
	limiterStartRate = 5
	limiterMinRate   = 1
	limiterQuietTime = 30 * time.Second
)

func (l *limiter) wait(ctx context.Context) error {
	l.mu.Lock()
	if l.rate == 0 {
		l.mu.Unlock()
		return nil
	}
	now := time.Now()
	if now.Sub(l.lastThrot) > limiterQuietTime {
		l.rate = 0
		l.mu.Unlock()
		return nil
	}
	start := l.next
	if start.Before(now) {
		start = now
	}
	l.next = start.Add(time.Duration(float64(time.Second) / l.rate))
	l.mu.Unlock()
	d := time.Until(start)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
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
	now := time.Now()
	l.roll(now)
	l.okInWin++
	if l.rate > 0 {
		l.rate += 1 / l.rate // about +1 request/s per second of successes
	}
}

func (l *limiter) throttled() {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.roll(now)
	l.lastThrot = now
	if l.rate == 0 {
		// What got through recently is the best estimate of the quota.
		observed := float64(l.okInWin + l.okPrevWin)
		if el := now.Sub(l.window) + time.Second; el > 0 {
			observed = observed / el.Seconds()
		}
		l.rate = max(limiterStartRate, observed*0.9)
		l.lastCut = now
		return
	}
	// One cut per interval: a burst of throttled answers to requests sent
	// before the last cut says nothing new about the quota.
	if now.Sub(l.lastCut) > time.Duration(float64(time.Second)*2/l.rate)+250*time.Millisecond {
		l.rate = max(limiterMinRate, l.rate*0.7)
		l.lastCut = now
	}
}
