package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// Version is the AliDNS API version this client speaks.
const Version = "2015-01-09"

// Default timeouts: AliDNS answers in well under a second; these only
// bound a stuck network.
const (
	DefaultConnectTimeout = 5 * time.Second
	DefaultRequestTimeout = 10 * time.Second
)

// maxBody bounds what is read of a response: a 500-record page is about
// 200 KB.
const maxBody = 16 << 20

// NewHTTPClient returns an HTTP client with explicit connect, TLS and
// overall timeouts (zero means the defaults), honouring HTTPS_PROXY for
// https:// endpoints only (see Proxy). It never follows a redirect.
func NewHTTPClient(connectTimeout, requestTimeout time.Duration) *http.Client {
	if connectTimeout <= 0 {
		connectTimeout = DefaultConnectTimeout
	}
	if requestTimeout <= 0 {
		requestTimeout = DefaultRequestTimeout
	}
	dialer := &net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second}
	return &http.Client{
		Timeout:       requestTimeout,
		CheckRedirect: refuseRedirect,
		Transport: &http.Transport{
			Proxy:                 Proxy,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   connectTimeout,
			ResponseHeaderTimeout: requestTimeout,
			MaxIdleConnsPerHost:   32,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		},
	}
}

// Proxy is the proxy rule of every request that carries credentials: a
// plain http:// request (allowed only to this machine, see ParseEndpoint)
// and a request to a loopback host never go through a proxy, which would
// receive the signed request and the STS token in clear text; anything
// else follows HTTPS_PROXY/HTTP_PROXY/NO_PROXY (http.ProxyFromEnvironment).
func Proxy(req *http.Request) (*url.URL, error) {
	if req.URL.Scheme == "http" || PlainHTTPAllowed(req.URL.Hostname()) {
		return nil, nil
	}
	return envProxy(req)
}

// envProxy reads the proxy settings (tests replace it: the environment is
// read only once per process).
var envProxy = http.ProxyFromEnvironment

// refuseRedirect makes an http.Client hand back a redirect answer instead
// of following it: AliDNS never redirects, and net/http would send the
// request's custom headers, x-acs-security-token among them, to the new
// location, whatever its host or scheme.
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// withoutRedirects returns a copy of a caller's own client (Client.HTTPClient)
// that refuses redirects, whatever its CheckRedirect says.
func withoutRedirects(hc *http.Client) *http.Client {
	if hc == defaultHTTPClient {
		return hc
	}
	cp := *hc
	cp.CheckRedirect = refuseRedirect
	return &cp
}

// Call describes one finished API call, for logging. It holds no secret.
type Call struct {
	Action    string
	Params    url.Values
	RequestID string
	Attempts  int
	// Throttled counts attempts answered with a throttling code.
	Throttled int
	Duration  time.Duration
	Err       error
	// Labels are key/value pairs for the log only (never sent), given
	// with WithLogLabels: what a call about a record id concerns.
	Labels []string
}

type logLabelsKey struct{}

// WithLogLabels returns ctx carrying key/value pairs that the calls made
// with it report in Call.Labels, after any already carried.
func WithLogLabels(ctx context.Context, kv ...string) context.Context {
	prev, _ := ctx.Value(logLabelsKey{}).([]string)
	return context.WithValue(ctx, logLabelsKey{}, append(slices.Clip(prev), kv...))
}

// Client signs and sends AliDNS API calls. It is safe for concurrent use:
// nothing in it changes after the first call. Its rate limiter is shared
// by every Client of the process that calls the same endpoint with the
// same AccessKey ID, since AliDNS throttles per account, not per client.
type Client struct {
	// Endpoint is the API base URL; DefaultEndpoint when empty.
	Endpoint string
	// HTTPClient sends the requests; NewHTTPClient(0, 0) when nil.
	HTTPClient *http.Client
	// Credentials signs each attempt.
	Credentials CredentialProvider
	// Retry bounds retries; the zero value means DefaultRetry.
	Retry RetryPolicy
	// Observe, when set, is called after every call (successful or not).
	Observe func(Call)

	// Now and Nonce are for tests; nil means the real clock and 128
	// random bits.
	Now   func() time.Time
	Nonce func() string
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) nonce() string {
	if c.Nonce != nil {
		return c.Nonce()
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// retryableCodes are answers that say "not done, try again" in all cases.
var retryableCodes = map[string]bool{
	"Throttling":               true,
	"Throttling.User":          true,
	"Throttling.Api":           true,
	"LastOperationNotFinished": true,
	"InternalError":            true,
	"ServiceUnavailable":       true,
	"UnknownError":             true,
	"SignatureNonceUsed":       true, // a fresh nonce fixes it
}

// BusyCode is AliDNS's answer to a write while an earlier write to the
// same zone is still being applied.
const BusyCode = "LastOperationNotFinished"

// IsThrottling reports whether code is one of AliDNS's rate-limit codes.
func IsThrottling(code string) bool { return strings.HasPrefix(code, "Throttling") }

// credentialCodes mean the credential itself was refused; a temporary
// credential is fetched anew once before giving up.
var credentialCodes = map[string]bool{
	"InvalidSecurityToken.Expired":               true,
	"InvalidSecurityToken.Malformed":             true,
	"InvalidSecurityToken.MismatchWithAccessKey": true,
	"InvalidAccessKeyId.NotFound":                true,
	"InvalidAccessKeyId":                         true,
	"InvalidAccessKeyId.Inactive":                true,
}

// ErrOutcomeUnknown is matched (errors.Is) by the error of a failed call
// that may nevertheless have been applied: a request reached the server
// and its answer was lost, garbled or a server error (HTTP 5xx), so
// nothing proves the change was not made. An error without it came from
// answers that each prove the call was not applied (an API error code
// with HTTP 4xx, or a request that never left this machine).
var ErrOutcomeUnknown = errors.New("the request may have been applied")

// MayHaveApplied reports whether err (from Do) leaves open that the
// server applied the call.
func MayHaveApplied(err error) bool { return errors.Is(err, ErrOutcomeUnknown) }

// Settled returns err (as Do returned it) without its ErrOutcomeUnknown
// mark, for a caller that has since proved, by looking, that the call was
// not applied.
func Settled(err error) error {
	if u, ok := err.(*unknownOutcome); ok { //nolint:errorlint // only Do's own top-level mark is removed
		return u.err
	}
	return err
}

// unknownOutcome marks a call error with ErrOutcomeUnknown.
type unknownOutcome struct{ err error }

func (e *unknownOutcome) Error() string {
	return e.err.Error() + " (" + ErrOutcomeUnknown.Error() + ")"
}
func (e *unknownOutcome) Unwrap() []error { return []error{e.err, ErrOutcomeUnknown} }

// isRead reports whether action only reads, so that nothing it does can
// have been applied.
func isRead(action string) bool {
	return strings.HasPrefix(action, "Describe") || strings.HasPrefix(action, "Get")
}

// Pacer spaces the attempts of the writes to one zone. AliDNS refuses a
// write with LastOperationNotFinished while an earlier write to the zone
// is still being applied; a pacer learns how long that lasts and holds
// the next write back instead of spending requests (and rate-limit quota)
// on refusals.
type Pacer interface {
	// Wait returns when the next attempt may be sent.
	Wait(ctx context.Context) error
	// Busy records an attempt answered LastOperationNotFinished.
	Busy()
	// Accepted records an attempt the server answered with success or
	// anything other than a busy refusal: a write may have started.
	Accepted()
}

// Do calls action with params (business parameters only) and decodes the
// JSON answer into out (which may be nil). It retries what is safe to
// retry (see RetryPolicy) and returns an *Error for API errors, marked
// with ErrOutcomeUnknown when an attempt may have been applied.
//
// Retries after an ambiguous failure (lost or garbled answer, HTTP 5xx,
// timeout, or an HTTP 200 without AliDNS's JSON answer, which always
// carries a RequestId: an empty or foreign 200 may come from a proxy that
// never passed the call on, or from AliDNS with the answer lost) are made
// for every action, because none of them can change the zone twice:
//   - DeleteDomainRecord, UpdateDomainRecord and SetDomainRecordStatus act
//     on a RecordId: a second application finds the record already gone
//     (DomainRecordNotBelongToUser) or already holding the new data
//     (DomainRecordDuplicate), and changes nothing; when the first attempt
//     was not applied, the retry is what applies it.
//   - AddDomainRecord: AliDNS refuses a record identical to an existing one
//     (same RR, type, value and line) with DomainRecordDuplicate, so a
//     repeated add cannot create a second record. The error then carries
//     ErrOutcomeUnknown, and the caller (the provider's add) resolves it by
//     looking the record up and adopting it only if it is exactly what was
//     asked, TTL included.
//   - Describe* actions read only.
func (c *Client) Do(ctx context.Context, action string, params url.Values, out any) error {
	return c.DoPaced(ctx, nil, action, params, out)
}

// DoPaced is Do for a write whose attempts are spaced by pacer (nil: none).
// Busy refusals (LastOperationNotFinished) then do not count against
// RetryPolicy.MaxAttempts or MaxWait but against MaxBusy: the write keeps
// its place (the caller holds the zone's write lock) until the zone is
// free.
func (c *Client) DoPaced(ctx context.Context, pacer Pacer, action string, params url.Values, out any) error {
	start := time.Now()
	labels, _ := ctx.Value(logLabelsKey{}).([]string)
	call := Call{Action: action, Params: params, Labels: labels}
	err := c.do(ctx, pacer, action, params, out, &call)
	call.Duration = time.Since(start)
	call.Err = err
	if c.Observe != nil {
		c.Observe(call)
	}
	return err
}

func (c *Client) do(ctx context.Context, pacer Pacer, action string, params url.Values, out any, call *Call) error {
	if c.Credentials == nil {
		return fmt.Errorf("alidns %s: no credentials configured", action)
	}
	endpoint := c.Endpoint
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	base, err := ParseEndpoint(endpoint)
	if err != nil {
		return err
	}
	hc := defaultHTTPClient
	if c.HTTPClient != nil {
		hc = withoutRedirects(c.HTTPClient)
	}
	st := &callState{c: c, ctx: ctx, pacer: pacer, action: action, params: params, out: out, call: call,
		base: base, hc: hc, policy: c.Retry.withDefaults(), query: CanonicalQuery(params)}
	for attempt := 1; ; attempt++ {
		call.Attempts = attempt
		o := st.try(attempt)
		if !o.retry {
			return st.finish(o.err)
		}
		if err := st.backoff(o); err != nil {
			return st.finish(err)
		}
	}
}

// callState is one call's progress through its attempts.
type callState struct {
	c      *Client
	ctx    context.Context
	pacer  Pacer
	action string
	params url.Values
	query  string
	out    any
	call   *Call
	base   *url.URL
	hc     *http.Client
	policy RetryPolicy

	waited, busyWaited time.Duration
	refreshed          bool // a temporary credential was fetched anew
	uncertain          bool // an attempt of a write may have been applied
	failures           int  // attempts that failed for another reason than a busy zone
}

// outcome is what one attempt leads to: done (err nil), a final error
// (retry false), or another attempt.
type outcome struct {
	err    error
	retry  bool
	busy   bool
	apiErr *Error
}

func (st *callState) finish(err error) error {
	if err != nil && st.uncertain && !isRead(st.action) {
		return &unknownOutcome{err: err}
	}
	return err
}

// try makes one attempt.
func (st *callState) try(attempt int) outcome {
	cred, err := st.c.Credentials.Credential(st.ctx)
	if err != nil {
		return outcome{err: fmt.Errorf("alidns %s: getting credentials: %w", st.action, err)}
	}
	lim := st.c.limiterFor(st.base, cred)
	defer releaseLimiter(lim)
	if st.pacer != nil {
		t0 := time.Now()
		if err := st.pacer.Wait(st.ctx); err != nil {
			return outcome{err: fmt.Errorf("alidns %s: %w", st.action, err)}
		}
		st.busyWaited += time.Since(t0)
	}
	if err := lim.wait(st.ctx); err != nil {
		return outcome{err: fmt.Errorf("alidns %s: %w", st.action, err)}
	}
	res := st.c.send(st.ctx, st.hc, st.base, st.action, st.query, st.params, cred)
	sc := newScrubber(cred)
	res.requestID = sc.cut(res.requestID, maxIDLen)
	st.call.RequestID = res.requestID
	switch {
	case res.err != nil:
		st.uncertain = st.uncertain || res.written
		if st.ctx.Err() != nil {
			return outcome{err: fmt.Errorf("alidns %s: %w", st.action, st.ctx.Err())}
		}
		return outcome{retry: true, err: fmt.Errorf("alidns %s: sending request to %s: %w", st.action, st.base.Host, res.err)}
	case res.status == http.StatusOK:
		lim.success()
		if st.pacer != nil {
			st.pacer.Accepted()
		}
		return st.judgeOK(attempt, res, sc)
	}
	return st.judgeError(attempt, res, cred, lim)
}

// judgeOK decides an HTTP 200. Only AliDNS's JSON answer, which always
// carries a RequestId, is a success. Anything else (an empty body, a
// page that is not JSON, JSON without RequestId: a proxy, a load
// balancer or a truncated answer) does not say whether the call was
// applied, so it is retried like a lost answer (Do says why that cannot
// duplicate a write) and, when it stays so, reported as possibly applied.
func (st *callState) judgeOK(attempt int, res result, sc scrubber) outcome {
	var envelope struct {
		RequestID string `json:"RequestId"`
	}
	derr := json.Unmarshal(res.body, &envelope)
	if derr == nil && strings.TrimSpace(envelope.RequestID) != "" {
		if st.call.RequestID == "" {
			st.call.RequestID = sc.cut(envelope.RequestID, maxIDLen)
		}
		if st.out == nil {
			return outcome{}
		}
		derr = json.Unmarshal(res.body, st.out)
	}
	if derr == nil && strings.TrimSpace(envelope.RequestID) != "" {
		return outcome{}
	}
	st.uncertain = true
	e := &Error{Action: st.action, HTTPStatus: res.status, RequestID: res.requestID, Body: bodySnippet(res.body, sc)}
	e.Attempts, e.Waited = attempt, st.waited
	if derr == nil {
		e.Body = "JSON without RequestId: " + e.Body
	}
	return outcome{retry: true, err: e, apiErr: e}
}

// judgeError decides what an error answer leads to.
func (st *callState) judgeError(attempt int, res result, cred Credential, lim *limiter) outcome {
	e := parseError(st.action, res.status, res.requestID, res.body, cred)
	e.annotate(attempt, st.waited, st.params) // error.go
	if res.status >= 300 && res.status < 400 {
		e.Location = newScrubber(cred).cut(redirectTarget(res.header.Get("Location"), st.base), maxIDLen)
	}
	if res.status >= 500 {
		// A server error says nothing about whether the backend applied
		// the call before failing.
		st.uncertain = true
	}
	if IsThrottling(e.Code) || res.status == http.StatusTooManyRequests {
		st.call.Throttled++
		lim.throttled(throttleTimeLeft(res.header))
	}
	o := outcome{err: e, apiErr: e, busy: e.Code == BusyCode}
	if st.pacer != nil {
		if o.busy {
			st.pacer.Busy()
		} else if res.status >= 500 {
			st.pacer.Accepted()
		}
	}
	switch {
	case retryableCodes[e.Code]:
		o.retry = true
	case e.Code == "" && (res.status >= 500 || res.status == http.StatusTooManyRequests):
		o.retry = true
	case credentialCodes[e.Code] && !st.refreshed && cred.SecurityToken != "":
		if inv, ok := st.c.Credentials.(Invalidator); ok {
			inv.Invalidate()
			st.refreshed = true
			o.retry = true
		}
	}
	return o
}

// backoff waits before the next attempt, or returns the error to give up
// with when the policy's budget or the context does not allow one.
func (st *callState) backoff(o outcome) error {
	if o.busy && st.pacer != nil {
		// The pacer's Wait spaces the next attempt.
		if st.busyWaited > st.policy.MaxBusy {
			return o.err
		}
		return nil
	}
	st.failures++
	if st.failures >= st.policy.MaxAttempts {
		return o.err
	}
	delay := st.policy.delay(st.failures)
	if st.waited+delay > st.policy.MaxWait {
		return o.err
	}
	if deadline, ok := st.ctx.Deadline(); ok && time.Until(deadline) < delay {
		return o.err
	}
	if err := Sleep(st.ctx, delay); err != nil {
		return fmt.Errorf("%w (gave up waiting to retry: %w)", o.err, err)
	}
	st.waited += delay
	return nil
}

var defaultHTTPClient = NewHTTPClient(0, 0)

// result is what one attempt got back.
type result struct {
	requestID string
	status    int
	header    http.Header
	body      []byte
	// written is set once the whole request was written to the
	// connection: from then on the server may act on it.
	written bool
	err     error
}

func (c *Client) send(ctx context.Context, hc *http.Client, base *url.URL, action, query string, params url.Values, cred Credential) (res result) {
	u := *base
	u.RawQuery = query
	var written atomic.Bool
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { written.Store(true) }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodPost, u.String(), http.NoBody)
	if err != nil {
		return result{err: fmt.Errorf("building request: %w", err)}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "caddy-alidns")
	Sign(req, cred, action, Version, c.now(), c.nonce(), params)
	sent := time.Now()
	resp, err := hc.Do(req)
	defer func() { res.written = res.written || written.Load() }()
	if err != nil {
		return result{err: err}
	}
	defer resp.Body.Close()
	observeDate(base.Host, sent, time.Now(), resp.Header)
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	res = result{requestID: resp.Header.Get("X-Acs-Request-Id"), status: resp.StatusCode, header: resp.Header, written: true}
	if err != nil {
		res.err = fmt.Errorf("reading response (HTTP %d): %w", resp.StatusCode, err)
		return res
	}
	res.body = body
	return res
}

// Longest server text kept for each field of an error (after scrubbing).
const (
	maxIDLen      = 128 // RequestId, Code, AccessDeniedDetail values
	maxMessageLen = 1000
	maxBodyLen    = 200 // start of a non-API body
)

type errorBody struct {
	RequestID          string         `json:"RequestId"`
	Code               string         `json:"Code"`
	Message            string         `json:"Message"`
	Recommend          string         `json:"Recommend"`
	AccessDeniedDetail map[string]any `json:"AccessDeniedDetail"`
}

// parseError reads an error answer. Every piece of server text it keeps
// is scrubbed of cred's secrets first and cut to length after (see
// scrub.go); the rest (HostId, other fields) is dropped.
func parseError(action string, status int, requestID string, body []byte, cred Credential) *Error {
	sc := newScrubber(cred)
	e := &Error{Action: action, HTTPStatus: status, RequestID: requestID}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil && eb.Code != "" {
		e.Code = sc.cut(eb.Code, maxIDLen)
		e.Message = sc.cut(eb.Message, maxMessageLen)
		e.Recommend = sc.cut(eb.Recommend, maxMessageLen)
		if eb.RequestID != "" {
			e.RequestID = sc.cut(eb.RequestID, maxIDLen)
		}
		if len(eb.AccessDeniedDetail) > 0 {
			e.detail = make(map[string]string, len(eb.AccessDeniedDetail))
			for k, v := range eb.AccessDeniedDetail {
				if str, ok := v.(string); ok && len(k) <= maxIDLen {
					e.detail[k] = strings.TrimSpace(sc.cut(str, maxIDLen))
				}
			}
		}
		if IsForbidden(e.Code) {
			e.DeniedAction = "alidns:" + action
		}
		return e
	}
	e.Body = bodySnippet(body, sc)
	return e
}

// bodySnippet is the start of a body that is not the API's JSON, scrubbed
// of secrets, for error messages.
func bodySnippet(body []byte, sc scrubber) string {
	if s := sc.cut(strings.TrimSpace(string(body[:min(len(body), maxScrubScan)])), maxBodyLen); s != "" {
		return s
	}
	return "(empty)"
}

// redirectTarget is where a refused redirect pointed, for the error:
// scheme and host only (a query could hold anything), relative to base.
func redirectTarget(location string, base *url.URL) string {
	u, err := base.Parse(strings.TrimSpace(location))
	if err != nil || u.Host == "" {
		return "(no valid Location)"
	}
	return RedactEndpoint(u.Scheme + "://" + u.Host)
}
