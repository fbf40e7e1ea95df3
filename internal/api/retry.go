package api

import (
	"context"
	"math/rand/v2"
	"time"
)

// Sleep waits for d, or until ctx ends (then it returns ctx.Err()).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// RetryPolicy bounds how a call is retried. A retry happens for answers
// that mean "not done" (throttling, LastOperationNotFinished,
// InternalError, ServiceUnavailable, HTTP 429) and for ambiguous failures
// (HTTP 5xx, lost or garbled answers, an HTTP 200 without a RequestId,
// timeouts); Client.Do says why the latter cannot duplicate a write.
type RetryPolicy struct {
	// MaxAttempts is the most requests sent for one call (default 8).
	MaxAttempts int
	// BaseDelay is the first backoff (default 200ms); each retry doubles
	// it up to MaxDelay (default 2s), and sleeps a random time between
	// half of it and all of it.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// MaxWait bounds the total time spent sleeping between attempts of
	// one call (default 6s): libdns callers expect an answer in seconds.
	MaxWait time.Duration
	// MaxBusy bounds how long a paced write (Client.DoPaced) keeps
	// retrying while its zone answers LastOperationNotFinished (default
	// 60s). Busy answers count against neither MaxAttempts nor MaxWait:
	// the zone is working, and the write keeps its place in the queue.
	MaxBusy time.Duration
}

// DefaultRetry is the policy used when Client.Retry is the zero value.
var DefaultRetry = RetryPolicy{MaxAttempts: 8, BaseDelay: 200 * time.Millisecond, MaxDelay: 2 * time.Second, MaxWait: 6 * time.Second, MaxBusy: 60 * time.Second}

// NoRetry sends every call exactly once.
var NoRetry = RetryPolicy{MaxAttempts: 1}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p == (RetryPolicy{}) {
		return DefaultRetry
	}
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultRetry.MaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultRetry.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultRetry.MaxDelay
	}
	if p.MaxWait <= 0 {
		p.MaxWait = DefaultRetry.MaxWait
	}
	if p.MaxBusy <= 0 {
		p.MaxBusy = DefaultRetry.MaxBusy
	}
	return p
}

// delay is the sleep before attempt+1: exponential with jitter in
// [d/2, d], so concurrent callers spread out instead of retrying in step.
func (p RetryPolicy) delay(attempt int) time.Duration {
	d := p.BaseDelay << (attempt - 1)
	if d > p.MaxDelay || d <= 0 {
		d = p.MaxDelay
	}
	half := d / 2
	return half + rand.N(half+1)
}
