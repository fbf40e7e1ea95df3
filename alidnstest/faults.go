package alidnstest

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"time"
)

// Faults configures injected failures. The zero value injects nothing.
// Timing-related faults use the real clock, not WithClock.
type Faults struct {
	// QPS limits accepted API calls per second with a token bucket (burst
	// max(1, QPS)); excess calls fail with Throttling.User (HTTP 429).
	// 0 means unlimited.
	QPS float64
	// ErrorRate is the fraction of calls answered, at random, with
	// InternalError (HTTP 500) or ServiceUnavailable (HTTP 503) without
	// being applied.
	ErrorRate float64
	// Latency is added before every API call is processed.
	Latency time.Duration
	// LatencyJitter adds a uniformly random extra delay in [0, jitter).
	LatencyJitter time.Duration
	// DropRate is the fraction of calls whose connection is closed without
	// a response, before the call is processed.
	DropRate float64
	// WriteWindow makes a write to a zone fail with LastOperationNotFinished
	// (HTTP 400) when another accepted write to the same zone started less
	// than WriteWindow ago.
	WriteWindow time.Duration
	// Seed seeds the random source (0 = time-based).
	Seed int64
}

// faultsJSON is the JSON form of Faults: durations are Go duration strings
// ("250ms") or integer nanoseconds.
type faultsJSON struct {
	QPS           float64  `json:"QPS"`
	ErrorRate     float64  `json:"ErrorRate"`
	Latency       duration `json:"Latency"`
	LatencyJitter duration `json:"LatencyJitter"`
	DropRate      float64  `json:"DropRate"`
	WriteWindow   duration `json:"WriteWindow"`
	Seed          int64    `json:"Seed"`
}

type duration time.Duration

// MarshalJSON encodes the duration as a Go duration string.
func (d duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON accepts a Go duration string or integer nanoseconds.
func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("parse duration %q: %w", s, err)
		}
		*d = duration(v)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("duration must be a string like \"250ms\" or integer nanoseconds: %w", err)
	}
	*d = duration(n)
	return nil
}

// MarshalJSON encodes durations as Go duration strings.
func (f Faults) MarshalJSON() ([]byte, error) {
	return json.Marshal(faultsJSON{f.QPS, f.ErrorRate, duration(f.Latency), duration(f.LatencyJitter), f.DropRate, duration(f.WriteWindow), f.Seed})
}

// UnmarshalJSON accepts durations as strings ("250ms") or nanoseconds.
func (f *Faults) UnmarshalJSON(b []byte) error {
	var j faultsJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("decode faults: %w", err)
	}
	*f = Faults{j.QPS, j.ErrorRate, time.Duration(j.Latency), time.Duration(j.LatencyJitter), j.DropRate, time.Duration(j.WriteWindow), j.Seed}
	return nil
}

type scriptMode int

const (
	failBefore scriptMode = iota
	failAfterApply
	dropAfterApply
)

type scripted struct {
	action string
	code   string
	status int
	mode   scriptMode
}

type faultState struct {
	f      Faults
	rng    *rand.Rand
	tokens float64
	refill time.Time
	script []scripted
}

func (fs *faultState) init() {
	fs.rng = rand.New(rand.NewSource(time.Now().UnixNano()))
}

// SetFaults replaces the fault configuration (and resets the token bucket
// and random source).
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fl.f = f
	seed := f.Seed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	s.fl.rng = rand.New(rand.NewSource(seed))
	s.fl.tokens = burst(f.QPS)
	s.fl.refill = time.Now()
}

// CurrentFaults returns the fault configuration.
func (s *Server) CurrentFaults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fl.f
}

func burst(qps float64) float64 {
	if qps < 1 {
		return 1
	}
	return qps
}

// FailNext makes the next call of action ("" = any action) fail with code
// and HTTP status, without applying it. Scripted failures queue up and are
// consumed in order; they apply to authenticated, authorized calls only.
// A status of 0 uses the code's usual status (400 for unknown codes).
func (s *Server) FailNext(action, code string, status int) {
	s.addScript(scripted{action, code, status, failBefore})
}

// FailNextAfterApply makes the next successful call of action ("" = any)
// take effect and then answer the error code/status anyway, as when a
// response is lost after the server committed the change. Useful to test
// retries of non-idempotent AddDomainRecord calls.
func (s *Server) FailNextAfterApply(action, code string, status int) {
	s.addScript(scripted{action, code, status, failAfterApply})
}

// DropNextAfterApply makes the next successful call of action ("" = any)
// take effect and then closes the connection without answering.
func (s *Server) DropNextAfterApply(action string) {
	s.addScript(scripted{action: action, mode: dropAfterApply})
}

// ClearScriptedFaults removes pending FailNext/…AfterApply entries.
func (s *Server) ClearScriptedFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fl.script = nil
}

func (s *Server) addScript(sc scripted) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fl.script = append(s.fl.script, sc)
}

// takeScript removes and returns the first scripted entry matching action
// and one of the modes.
func (fs *faultState) takeScript(action string, modes ...scriptMode) (scripted, bool) {
	for i, sc := range fs.script {
		if sc.action != "" && sc.action != action {
			continue
		}
		for _, m := range modes {
			if sc.mode == m {
				fs.script = append(fs.script[:i:i], fs.script[i+1:]...)
				return sc, true
			}
		}
	}
	return scripted{}, false
}

func scriptedError(sc scripted) *apiError {
	e := errCode(sc.code)
	if sc.status != 0 {
		e.Status = sc.status
	}
	return e
}

// preFaults decides the latency and whether to drop the connection.
func (s *Server) preFaults() (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.fl.f
	d := f.Latency
	if f.LatencyJitter > 0 {
		d += time.Duration(s.fl.rng.Int63n(int64(f.LatencyJitter)))
	}
	drop := f.DropRate > 0 && s.fl.rng.Float64() < f.DropRate
	return d, drop
}

// beforeFaults applies scripted failures, throttling and random errors to
// an authenticated call. Called with s.mu held.
func (s *Server) beforeFaults(action string) *apiError {
	if sc, ok := s.fl.takeScript(action, failBefore); ok {
		return scriptedError(sc)
	}
	f := s.fl.f
	if f.QPS > 0 {
		now := time.Now()
		s.fl.tokens += now.Sub(s.fl.refill).Seconds() * f.QPS
		if b := burst(f.QPS); s.fl.tokens > b {
			s.fl.tokens = b
		}
		s.fl.refill = now
		if s.fl.tokens < 1 {
			e := errCode("Throttling.User")
			wait := time.Duration((1 - s.fl.tokens) / f.QPS * float64(time.Second))
			ms := wait.Milliseconds() + 1
			// darabonba reads TimeLeft (ms) from these headers into RetryAfter.
			e.headers = map[string]string{
				"x-ratelimit-user-api": fmt.Sprintf("Limit:%g,Remain:0,TimeLeft:%d,Reset:%d", f.QPS, ms, ms),
			}
			return e
		}
		s.fl.tokens--
	}
	if f.ErrorRate > 0 && s.fl.rng.Float64() < f.ErrorRate {
		if s.fl.rng.Intn(2) == 0 {
			return errCode("InternalError")
		}
		return errCode("ServiceUnavailable")
	}
	return nil
}

// afterFaults applies after-apply scripted failures to a successful call.
// Called with s.mu held.
func (s *Server) afterFaults(action string) (*apiError, bool) {
	sc, ok := s.fl.takeScript(action, failAfterApply, dropAfterApply)
	if !ok {
		return nil, false
	}
	if sc.mode == dropAfterApply {
		return nil, true
	}
	return scriptedError(sc), false
}

// checkWriteWindow enforces Faults.WriteWindow for a write to zoneKey.
// Called with s.mu held.
func (s *Server) checkWriteWindow(zoneKey string) *apiError {
	w := s.fl.f.WriteWindow
	if w <= 0 {
		return nil
	}
	if last, ok := s.st.lastWrite[zoneKey]; ok && time.Since(last) < w {
		return errCode("LastOperationNotFinished")
	}
	return nil
}

// markWrite records the start of an accepted write to zoneKey and bumps the
// SOA serial. Called with s.mu held.
func (s *Server) markWrite(zoneKey string) {
	s.st.lastWrite[zoneKey] = time.Now()
	s.st.serial++
}
