package alidnstest

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"time"
)

// Faults configures injected failures. The zero value injects nothing.
// Timing-related faults use the real clock, not WithClock.
//
// What is known of the real service, and why each fault exists:
//
//   - LastOperationNotFinished (WriteWindow): AliDNS refuses a write to a
//     zone while an earlier write to it is still being processed. Seen by
//     lego's alidns provider during concurrent DNS-01 challenges
//     (traefik/traefik#11584: "SDK.ServerError ErrorCode:
//     LastOperationNotFinished") and by Terraform creating several records
//     at once (aliyun/terraform-provider-alicloud#3813, #5400 added
//     retries for it).
//   - Throttling.User (QPS, ThrottleBurst): "Request was denied due to user
//     flow control" from the POP gateway in front of Alidns
//     (gardener/external-dns-management#71, on DescribeDomains); recent
//     answers are HTTP 429 and carry x-ratelimit-user-api with TimeLeft,
//     which darabonba turns into a retry delay. Throttling comes in bursts
//     when several clients of one account share the limit, hence
//     ThrottleBurst.
//   - InternalError / ServiceUnavailable (ErrorRate): the POP gateway's
//     generic 500/503 answers (aliyun/aliyun-openapi-python-sdk#141 shows
//     "HTTP Status: 503 Error:ServiceUnavailable The request has failed due
//     to a temporary failure of the server" for another product behind the
//     same gateway).
//   - Timeouts and connection failures (Latency, DropRate, lost answers of
//     kind FaultSlow/FaultReset): users of alidns.aliyuncs.com report
//     "context deadline exceeded (Client.Timeout exceeded while awaiting
//     headers)" (jeessy2/ddns-go#1121) and "The operation has timed out"
//     (sanjusss/aliyun-ddns#55). Whether the write behind such a timeout was
//     applied is not observable from the client, so the simulator lets it
//     be either.
//   - Non-API error bodies (GatewayErrorRate, FaultGatewayHTML,
//     FaultEmptyError): an Alibaba Cloud gateway answering 503 with no
//     error code and an empty message is reported for OSS
//     (matrixorigin/matrixone#21505: "StatusCode=503, ErrorCode=,
//     ErrorMessage=\"\""). No public report shows Alidns itself answering
//     an nginx HTML page; it is a plausible reading (a load balancer or
//     corporate proxy between the client and the API) that a client must
//     survive without misreading it.
//   - Answers lost after the change was committed (LostAnswerRate,
//     Injection.AfterApply): no public report isolates it; it is the
//     unavoidable case of any timeout or reset on a write, and a client
//     that retries a non-idempotent AddDomainRecord then meets
//     DomainRecordDuplicate for its own record (the message a DDNS client
//     got for a no-op write in TimothyYe/godns#47).
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
	// WriteWindow makes a write to a zone (AddDomainRecord,
	// UpdateDomainRecord, DeleteDomainRecord, SetDomainRecordStatus,
	// DeleteSubDomainRecords) fail with LastOperationNotFinished (HTTP 400)
	// when another accepted write to the same zone started less than
	// WriteWindow ago: the busy window starts when a write is accepted.
	WriteWindow time.Duration
	// Seed seeds the random source (0 = time-based).
	Seed int64

	// LostAnswerRate is the fraction of successful writes (AddDomainRecord,
	// UpdateDomainRecord, DeleteDomainRecord, SetDomainRecordStatus,
	// DeleteSubDomainRecords) whose change is committed but whose answer is
	// then lost, in one of the FaultKinds chosen at random: an API error
	// (InternalError 500 or ServiceUnavailable 503), a gateway HTML page,
	// an empty 500, a connection reset, an empty 200, or (only when
	// LostAnswerDelay > 0) an answer held for LostAnswerDelay.
	LostAnswerRate float64
	// LostAnswerDelay is how long a lost answer of kind FaultSlow is held;
	// set it above the client's request timeout. 0 leaves FaultSlow out of
	// the random choice.
	LostAnswerDelay time.Duration
	// GatewayErrorRate is the fraction of authenticated calls answered,
	// before being applied, by a failing gateway: a FaultGatewayHTML or a
	// FaultEmptyError answer at random.
	GatewayErrorRate float64
	// ThrottleBurst and ThrottleBurstEvery make every authenticated call
	// fail with Throttling.User (HTTP 429, x-ratelimit-user-api TimeLeft =
	// the rest of the burst) during the first ThrottleBurst of each period
	// of ThrottleBurstEvery, counted from SetFaults. Both must be > 0.
	ThrottleBurst      time.Duration
	ThrottleBurstEvery time.Duration
}

// faultsJSON is the JSON form of Faults: durations are Go duration strings
// ("250ms") or integer nanoseconds.
type faultsJSON struct {
	QPS                float64  `json:"QPS"`
	ErrorRate          float64  `json:"ErrorRate"`
	Latency            duration `json:"Latency"`
	LatencyJitter      duration `json:"LatencyJitter"`
	DropRate           float64  `json:"DropRate"`
	WriteWindow        duration `json:"WriteWindow"`
	Seed               int64    `json:"Seed"`
	LostAnswerRate     float64  `json:"LostAnswerRate"`
	LostAnswerDelay    duration `json:"LostAnswerDelay"`
	GatewayErrorRate   float64  `json:"GatewayErrorRate"`
	ThrottleBurst      duration `json:"ThrottleBurst"`
	ThrottleBurstEvery duration `json:"ThrottleBurstEvery"`
}

type duration time.Duration

// MarshalJSON encodes the duration as a Go duration string.
func (d duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON accepts a Go duration string or integer nanoseconds.
func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if s == "" {
			*d = 0
			return nil
		}
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
	return json.Marshal(faultsJSON{
		f.QPS, f.ErrorRate, duration(f.Latency), duration(f.LatencyJitter), f.DropRate, duration(f.WriteWindow), f.Seed,
		f.LostAnswerRate, duration(f.LostAnswerDelay), f.GatewayErrorRate, duration(f.ThrottleBurst), duration(f.ThrottleBurstEvery),
	})
}

// UnmarshalJSON accepts durations as strings ("250ms") or nanoseconds.
func (f *Faults) UnmarshalJSON(b []byte) error {
	var j faultsJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("decode faults: %w", err)
	}
	*f = Faults{
		j.QPS, j.ErrorRate, time.Duration(j.Latency), time.Duration(j.LatencyJitter), j.DropRate, time.Duration(j.WriteWindow), j.Seed,
		j.LostAnswerRate, time.Duration(j.LostAnswerDelay), j.GatewayErrorRate, time.Duration(j.ThrottleBurst), time.Duration(j.ThrottleBurstEvery),
	}
	return nil
}

// FaultKind is how an injected fault shows on the wire.
type FaultKind string

// Fault kinds. Each can happen before the call is applied (nothing
// changes) or after it (the change is committed and the answer is lost or
// garbled); see Injection.AfterApply.
const (
	// FaultAPIError answers an API error body {RequestId, HostId, Code,
	// Message, Recommend} with Injection.Code and Status (the code's usual
	// status when 0).
	FaultAPIError FaultKind = "api-error"
	// FaultGatewayHTML answers HTTP 502 (or Status) with Content-Type
	// text/html and an nginx-style error page, without an
	// X-Acs-Request-Id header: a proxy or load balancer failing.
	FaultGatewayHTML FaultKind = "gateway-html"
	// FaultEmptyError answers HTTP 500 (or Status) with an empty body.
	FaultEmptyError FaultKind = "empty-error"
	// FaultReset closes the connection without any answer (a TCP RST:
	// SO_LINGER 0).
	FaultReset FaultKind = "reset"
	// FaultEmptyOK answers HTTP 200 with an empty body: after apply, the
	// change is committed; before apply, nothing changes, so a client
	// that takes any 200 for success is wrong either way.
	FaultEmptyOK FaultKind = "empty-ok"
	// FaultSlow holds the answer for Injection.Delay, then answers
	// normally. Before apply, the call is applied after the delay unless
	// the client has gone by then (nothing changes); after apply, the
	// change is committed at once and a client whose timeout is shorter
	// than Delay sees a timeout though the write was applied.
	FaultSlow FaultKind = "slow"
)

// FaultKinds lists every FaultKind.
var FaultKinds = []FaultKind{FaultAPIError, FaultGatewayHTML, FaultEmptyError, FaultReset, FaultEmptyOK, FaultSlow}

// Call.Code values of calls answered by a non-API fault.
const (
	// CodeGatewayHTML: a FaultGatewayHTML answer.
	CodeGatewayHTML = "SimulatedGatewayHTML"
	// CodeEmptyError: a FaultEmptyError answer.
	CodeEmptyError = "SimulatedEmptyError"
	// CodeEmptyOK: a FaultEmptyOK answer.
	CodeEmptyOK = "SimulatedEmptyOK"
)

// Injection is one scripted fault, consumed by the first matching call.
// Injections queue up and are matched in order; they apply to
// authenticated, authorized calls only.
type Injection struct {
	// Action is the API action the fault applies to ("" = any action).
	Action string
	// AfterApply applies the call first (the change is committed) and
	// then answers with the fault; otherwise the call is not applied.
	AfterApply bool
	// Kind is how the fault shows (default FaultAPIError).
	Kind FaultKind
	// Code is the error code of FaultAPIError (required for it).
	Code string
	// Status overrides the HTTP status of FaultAPIError (0: the code's
	// usual status, 400 for unknown codes), FaultGatewayHTML (0: 502) and
	// FaultEmptyError (0: 500).
	Status int
	// Delay is how long FaultSlow holds the answer.
	Delay time.Duration
}

func (in Injection) validate() error {
	switch in.Kind {
	case FaultAPIError:
		if in.Code == "" {
			return fmt.Errorf("injection of kind %s needs a Code", in.Kind)
		}
	case FaultGatewayHTML, FaultEmptyError, FaultReset, FaultEmptyOK:
	case FaultSlow:
		if in.Delay <= 0 {
			return fmt.Errorf("injection of kind %s needs a positive Delay", in.Kind)
		}
	default:
		return fmt.Errorf("unknown fault kind %q", in.Kind)
	}
	return nil
}

type faultState struct {
	f      Faults
	rng    *rand.Rand
	tokens float64
	refill time.Time
	since  time.Time // SetFaults time, origin of ThrottleBurst periods
	script []Injection
}

func (fs *faultState) init() {
	fs.rng = rand.New(rand.NewSource(time.Now().UnixNano()))
	fs.since = time.Now()
}

// SetFaults replaces the fault configuration (and resets the token bucket,
// the throttle-burst clock and random source).
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
	s.fl.since = time.Now()
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

// Inject queues a scripted one-shot fault (see Injection). An empty Kind
// means FaultAPIError. It panics on an invalid injection (FaultAPIError
// without Code, FaultSlow without Delay, unknown Kind), as a test-setup
// mistake.
func (s *Server) Inject(in Injection) {
	if in.Kind == "" {
		in.Kind = FaultAPIError
	}
	if err := in.validate(); err != nil {
		panic("alidnstest: Inject: " + err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fl.script = append(s.fl.script, in)
}

// PendingInjections returns the scripted faults not consumed yet.
func (s *Server) PendingInjections() []Injection {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Injection(nil), s.fl.script...)
}

// FailNext makes the next call of action ("" = any action) fail with code
// and HTTP status, without applying it. Scripted failures queue up and are
// consumed in order; they apply to authenticated, authorized calls only.
// A status of 0 uses the code's usual status (400 for unknown codes).
// It is Inject(Injection{Action: action, Kind: FaultAPIError, ...}).
func (s *Server) FailNext(action, code string, status int) {
	s.Inject(Injection{Action: action, Kind: FaultAPIError, Code: code, Status: status})
}

// FailNextAfterApply makes the next successful call of action ("" = any)
// take effect and then answer the error code/status anyway, as when a
// response is lost after the server committed the change. Useful to test
// retries of non-idempotent AddDomainRecord calls.
func (s *Server) FailNextAfterApply(action, code string, status int) {
	s.Inject(Injection{Action: action, AfterApply: true, Kind: FaultAPIError, Code: code, Status: status})
}

// DropNextAfterApply makes the next successful call of action ("" = any)
// take effect and then closes the connection without answering.
func (s *Server) DropNextAfterApply(action string) {
	s.Inject(Injection{Action: action, AfterApply: true, Kind: FaultReset})
}

// ClearScriptedFaults removes pending injections (Inject, FailNext, …).
func (s *Server) ClearScriptedFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fl.script = nil
}

// takeScript removes and returns the first scripted injection matching
// action with the given AfterApply. Called with s.mu held.
func (fs *faultState) takeScript(action string, afterApply bool) (Injection, bool) {
	for i, in := range fs.script {
		if (in.Action != "" && in.Action != action) || in.AfterApply != afterApply {
			continue
		}
		fs.script = append(fs.script[:i:i], fs.script[i+1:]...)
		return in, true
	}
	return Injection{}, false
}

func injectedError(in Injection) *apiError {
	e := errCode(in.Code)
	if in.Status != 0 {
		e.Status = in.Status
	}
	return e
}

// writeActions are the actions that change a zone.
var writeActions = map[string]bool{
	"AddDomainRecord":        true,
	"UpdateDomainRecord":     true,
	"DeleteDomainRecord":     true,
	"SetDomainRecordStatus":  true,
	"DeleteSubDomainRecords": true,
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

// takeBefore removes the first scripted before-apply injection for action.
func (s *Server) takeBefore(action string) (Injection, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fl.takeScript(action, false)
}

// beforeFaults applies throttling (bursts and QPS), random gateway
// failures and random API errors to an authenticated call: it returns an
// API error, or a non-API fault to answer instead, or neither. Called with
// s.mu held.
func (s *Server) beforeFaults(action string) (*apiError, *Injection) {
	f := s.fl.f
	now := time.Now()
	if f.ThrottleBurst > 0 && f.ThrottleBurstEvery > 0 {
		if into := now.Sub(s.fl.since) % f.ThrottleBurstEvery; into < f.ThrottleBurst {
			return throttled(f.QPS, f.ThrottleBurst-into), nil
		}
	}
	if f.QPS > 0 {
		s.fl.tokens += now.Sub(s.fl.refill).Seconds() * f.QPS
		if b := burst(f.QPS); s.fl.tokens > b {
			s.fl.tokens = b
		}
		s.fl.refill = now
		if s.fl.tokens < 1 {
			wait := time.Duration((1 - s.fl.tokens) / f.QPS * float64(time.Second))
			return throttled(f.QPS, wait), nil
		}
		s.fl.tokens--
	}
	if f.GatewayErrorRate > 0 && s.fl.rng.Float64() < f.GatewayErrorRate {
		kind := FaultGatewayHTML
		if s.fl.rng.Intn(2) == 0 {
			kind = FaultEmptyError
		}
		return nil, &Injection{Action: action, Kind: kind}
	}
	if f.ErrorRate > 0 && s.fl.rng.Float64() < f.ErrorRate {
		if s.fl.rng.Intn(2) == 0 {
			return errCode("InternalError"), nil
		}
		return errCode("ServiceUnavailable"), nil
	}
	return nil, nil
}

// throttled is a Throttling.User answer telling the client to wait.
func throttled(qps float64, wait time.Duration) *apiError {
	e := errCode("Throttling.User")
	ms := wait.Milliseconds() + 1
	limit := qps
	if limit <= 0 {
		limit = 1
	}
	// darabonba reads TimeLeft (ms) from these headers into RetryAfter.
	e.headers = map[string]string{
		"x-ratelimit-user-api": fmt.Sprintf("Limit:%g,Remain:0,TimeLeft:%d,Reset:%d", limit, ms, ms),
	}
	return e
}

// afterFaults picks the fault, if any, that replaces the answer of a call
// that was just applied successfully: a scripted after-apply injection,
// else (for writes) a random lost answer. Called with s.mu held.
func (s *Server) afterFaults(action string) *Injection {
	if in, ok := s.fl.takeScript(action, true); ok {
		return &in
	}
	f := s.fl.f
	if !writeActions[action] || f.LostAnswerRate <= 0 || s.fl.rng.Float64() >= f.LostAnswerRate {
		return nil
	}
	kinds := make([]FaultKind, 0, len(FaultKinds))
	for _, k := range FaultKinds {
		if k != FaultSlow || f.LostAnswerDelay > 0 {
			kinds = append(kinds, k)
		}
	}
	in := &Injection{Action: action, AfterApply: true, Kind: kinds[s.fl.rng.Intn(len(kinds))], Delay: f.LostAnswerDelay}
	if in.Kind == FaultAPIError {
		in.Code = "InternalError"
		if s.fl.rng.Intn(2) == 0 {
			in.Code = "ServiceUnavailable"
		}
	}
	return in
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
