package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
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
// overall timeouts (zero means the defaults), honouring HTTPS_PROXY.
func NewHTTPClient(connectTimeout, requestTimeout time.Duration) *http.Client {
	if connectTimeout <= 0 {
		connectTimeout = DefaultConnectTimeout
	}
	if requestTimeout <= 0 {
		requestTimeout = DefaultRequestTimeout
	}
	dialer := &net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second}
	return &http.Client{
		Timeout: requestTimeout,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   connectTimeout,
			ResponseHeaderTimeout: requestTimeout,
			MaxIdleConnsPerHost:   32,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		},
	}
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
}

// Client signs and sends AliDNS API calls. It is safe for concurrent use:
// nothing in it changes after the first call except the rate limiter,
// which has its own lock.
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

	limiter limiter
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

// nonIdempotent lists actions whose repetition can change state twice.
var nonIdempotent = map[string]bool{"AddDomainRecord": true}

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

// Do calls action with params (business parameters only) and decodes the
// JSON answer into out (which may be nil). It retries what is safe to
// retry (see RetryPolicy) and returns an *Error for API errors.
func (c *Client) Do(ctx context.Context, action string, params url.Values, out any) error {
	return c.DoSerial(ctx, nil, action, params, out)
}

// DoSerial is Do with each attempt's request made while holding lock (if
// not nil), which is released during backoff sleeps: AliDNS answers
// LastOperationNotFinished to overlapping writes in one zone, so writes to
// a zone are serialised without blocking other zones or reads. The lock
// covers an attempt's whole round trip (only its answer proves the write
// finished) and, while the client is rate-limited, the wait for its slot.
func (c *Client) DoSerial(ctx context.Context, lock sync.Locker, action string, params url.Values, out any) error {
	start := time.Now()
	call := Call{Action: action, Params: params}
	err := c.do(ctx, lock, action, params, out, &call)
	call.Duration = time.Since(start)
	call.Err = err
	if c.Observe != nil {
		c.Observe(call)
	}
	return err
}

func (c *Client) do(ctx context.Context, lock sync.Locker, action string, params url.Values, out any, call *Call) error {
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
	hc := c.HTTPClient
	if hc == nil {
		hc = defaultHTTPClient
	}
	policy := c.Retry.withDefaults()
	query := CanonicalQuery(params)
	var waited time.Duration
	refreshed := false
	for attempt := 1; ; attempt++ {
		call.Attempts = attempt
		cred, err := c.Credentials.Credential(ctx)
		if err != nil {
			return fmt.Errorf("alidns %s: getting credentials: %w", action, err)
		}
		// The rate limiter is waited for under the lock: the writes queued
		// on a zone then take their slots one by one, each at the rate in
		// force when it is next, instead of all reserving slots up front.
		if lock != nil {
			lock.Lock()
		}
		if err := c.limiter.wait(ctx); err != nil {
			if lock != nil {
				lock.Unlock()
			}
			return fmt.Errorf("alidns %s: %w", action, err)
		}
		requestID, status, header, body, sendErr := c.send(ctx, hc, base, action, query, params, cred)
		if lock != nil {
			lock.Unlock()
		}
		call.RequestID = requestID
		var retry bool
		var apiErr *Error
		switch {
		case sendErr != nil:
			if ctx.Err() != nil {
				return fmt.Errorf("alidns %s: %w", action, ctx.Err())
			}
			// A request that never left this machine created nothing.
			retry = !nonIdempotent[action] || notSent(sendErr)
			err = fmt.Errorf("alidns %s: sending request to %s: %w", action, base.Host, sendErr)
		case status == http.StatusOK:
			c.limiter.success()
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(body, out); err != nil {
				return fmt.Errorf("alidns %s: decoding response [RequestId %s]: %w", action, requestID, err)
			}
			return nil
		default:
			apiErr = parseError(action, status, requestID, body, cred)
			apiErr.annotate(attempt, waited, params, body) // error.go
			if IsThrottling(apiErr.Code) || status == http.StatusTooManyRequests {
				call.Throttled++
				c.limiter.throttled(throttleTimeLeft(header))
			}
			switch {
			case retryableCodes[apiErr.Code]:
				retry = true // an API error answer: nothing was created
			case apiErr.Code == "" && (status >= 500 || status == http.StatusTooManyRequests):
				retry = !nonIdempotent[action] || status == http.StatusTooManyRequests
			case credentialCodes[apiErr.Code] && !refreshed && cred.SecurityToken != "":
				if inv, ok := c.Credentials.(Invalidator); ok {
					inv.Invalidate()
					refreshed = true
					retry = true
				}
			}
			err = apiErr
		}
		if !retry || attempt >= policy.MaxAttempts {
			return err
		}
		delay := policy.delay(attempt, apiErr)
		if waited+delay > policy.MaxWait {
			return err
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < delay {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (gave up waiting to retry: %w)", err, ctx.Err())
		case <-t.C:
		}
		waited += delay
	}
}

var defaultHTTPClient = NewHTTPClient(0, 0)

func (c *Client) send(ctx context.Context, hc *http.Client, base *url.URL, action, query string, params url.Values, cred Credential) (requestID string, status int, header http.Header, body []byte, err error) {
	u := *base
	u.RawQuery = query
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), http.NoBody)
	if err != nil {
		return "", 0, nil, nil, fmt.Errorf("building request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "caddy-alidns")
	Sign(req, cred, action, Version, c.now(), c.nonce(), params)
	resp, err := hc.Do(req)
	if err != nil {
		return "", 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody))
	requestID = resp.Header.Get("X-Acs-Request-Id")
	if err != nil {
		return requestID, resp.StatusCode, resp.Header, nil, fmt.Errorf("reading response (HTTP %d): %w", resp.StatusCode, err)
	}
	return requestID, resp.StatusCode, resp.Header, body, nil
}

// notSent reports whether err happened before the request was written,
// so that even a non-idempotent request can be sent again.
func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}

type errorBody struct {
	RequestID          string         `json:"RequestId"`
	Code               string         `json:"Code"`
	Message            string         `json:"Message"`
	Recommend          string         `json:"Recommend"`
	AccessDeniedDetail map[string]any `json:"AccessDeniedDetail"`
}

func parseError(action string, status int, requestID string, body []byte, cred Credential) *Error {
	e := &Error{Action: action, HTTPStatus: status, RequestID: requestID}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil && eb.Code != "" {
		e.Code = eb.Code
		e.Message = scrub(eb.Message, cred)
		e.Recommend = eb.Recommend
		if eb.RequestID != "" {
			e.RequestID = eb.RequestID
		}
		if e.Code == "Forbidden.RAM" || strings.HasPrefix(e.Code, "Forbidden") {
			e.DeniedAction = "alidns:" + action
		}
		return e
	}
	snippet := bytes.TrimSpace(body)
	if len(snippet) > 200 {
		snippet = snippet[:200]
	}
	e.Body = scrub(string(snippet), cred)
	if e.Body == "" {
		e.Body = "(empty)"
	}
	return e
}

// scrub removes secret material from text the server echoed back (a
// signature-mismatch message quotes the string to sign, which for STS
// requests includes the token).
func scrub(s string, cred Credential) string {
	for _, secret := range []string{cred.AccessKeySecret, cred.SecurityToken, PercentEncode(cred.SecurityToken), PercentEncode(PercentEncode(cred.SecurityToken))} {
		if len(secret) >= 4 {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}
