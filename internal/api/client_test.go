package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const testSecret = "client-test-secret-value"

func testClient(t *testing.T, h http.HandlerFunc) (*Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &Client{
		Endpoint:    srv.URL,
		Credentials: StaticCredentials{AccessKeyID: "test-id", AccessKeySecret: testSecret},
		Retry:       RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxWait: time.Second},
	}, srv
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func apiErr(w http.ResponseWriter, status int, code, reqID string) {
	w.Header().Set("X-Acs-Request-Id", reqID)
	writeJSON(w, status, map[string]string{"RequestId": reqID, "Code": code, "Message": "msg for " + code, "HostId": "alidns.aliyuncs.com"})
}

func TestDoSendsSignedQueryWithEmptyBody(t *testing.T) {
	var got *http.Request
	var body []byte
	c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		got = r
		buf := make([]byte, 10)
		n, _ := r.Body.Read(buf)
		body = buf[:n]
		writeJSON(w, 200, map[string]any{"RequestId": "R1", "RecordId": "42"})
	})
	var out struct{ RecordId string }
	params := url.Values{"DomainName": {"example.com"}, "Value": {"a b*~/+"}}
	if err := c.Do(context.Background(), "AddDomainRecord", params, &out); err != nil {
		t.Fatal(err)
	}
	if out.RecordId != "42" {
		t.Fatalf("decoded RecordId %q", out.RecordId)
	}
	if got.Method != http.MethodPost || got.URL.Path != "/" || len(body) != 0 {
		t.Fatalf("method %s path %s body %q", got.Method, got.URL.Path, body)
	}
	if got.URL.RawQuery != "DomainName=example.com&Value=a%20b%2A~%2F%2B" {
		t.Fatalf("query %s", got.URL.RawQuery)
	}
	for _, h := range []string{"x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256", "Authorization"} {
		if got.Header.Get(h) == "" {
			t.Errorf("header %s missing", h)
		}
	}
	if got.Header.Get("x-acs-action") != "AddDomainRecord" || got.Header.Get("x-acs-version") != Version {
		t.Fatalf("action/version headers %v", got.Header)
	}
	if got.Header.Get("x-acs-security-token") != "" {
		t.Fatal("security token header sent without a token")
	}
	// The signature must verify against what arrived on the wire.
	h := map[string]string{"host": got.Host}
	for name := range got.Header {
		if ln := strings.ToLower(name); strings.HasPrefix(ln, "x-acs-") {
			h[ln] = got.Header.Get(name)
		}
	}
	q, _ := url.ParseQuery(got.URL.RawQuery)
	want := Authorization(Credential{AccessKeyID: "test-id", AccessKeySecret: testSecret}, SigningInput{Method: "POST", Query: q, Headers: h})
	if got.Header.Get("Authorization") != want {
		t.Fatalf("Authorization does not verify:\n got %s\nwant %s", got.Header.Get("Authorization"), want)
	}
}

func TestDoSendsSecurityToken(t *testing.T) {
	var tok string
	c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		tok = r.Header.Get("x-acs-security-token")
		if !strings.Contains(r.Header.Get("Authorization"), "x-acs-security-token") {
			t.Error("token header is not signed")
		}
		writeJSON(w, 200, map[string]string{"RequestId": "R"})
	})
	c.Credentials = StaticCredentials{AccessKeyID: "STS.id", AccessKeySecret: "s", SecurityToken: "the-token"}
	if err := c.Do(context.Background(), "DescribeDomains", nil, nil); err != nil {
		t.Fatal(err)
	}
	if tok != "the-token" {
		t.Fatalf("token header %q", tok)
	}
}

func TestAPIErrorIsTypedAndSecretFree(t *testing.T) {
	c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Acs-Request-Id", "REQ-9")
		writeJSON(w, 400, map[string]string{
			"RequestId": "REQ-9", "Code": "SignatureDoesNotMatch",
			"Message": "Specified signature is not matched with our calculation. server string to sign is:" + testSecret + " the-token",
		})
	})
	c.Credentials = StaticCredentials{AccessKeyID: "id", AccessKeySecret: testSecret, SecurityToken: "the-token"}
	err := c.Do(context.Background(), "DescribeDomains", nil, nil)
	var e *Error
	if !errors.As(fmt.Errorf("wrapped: %w", err), &e) {
		t.Fatalf("not an *Error: %v", err)
	}
	if e.Code != "SignatureDoesNotMatch" || e.RequestID != "REQ-9" || e.HTTPStatus != 400 || e.Action != "DescribeDomains" {
		t.Fatalf("fields %+v", e)
	}
	msg := err.Error()
	for _, want := range []string{"SignatureDoesNotMatch", "REQ-9", "HTTP 400", "access_key_secret"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error text lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, testSecret) || strings.Contains(msg, "the-token") {
		t.Fatalf("error text leaks a secret: %s", msg)
	}
	if !HasCode(err, "Other", "SignatureDoesNotMatch") || HasCode(err, "Other") {
		t.Fatal("HasCode")
	}
}

func TestNonJSONErrorBodyGivesHTTPStatus(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		want   string
	}{
		{502, "<html><body>Bad Gateway</body></html>", "HTTP 502"},
		{403, "", "HTTP 403"},
	} {
		c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(tc.status)
			_, _ = w.Write([]byte(tc.body))
		})
		c.Retry = NoRetry
		err := c.Do(context.Background(), "DescribeDomains", nil, nil)
		var e *Error
		if !errors.As(err, &e) || e.HTTPStatus != tc.status || e.Code != "" {
			t.Fatalf("status %d: got %v", tc.status, err)
		}
		if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "invalid character") {
			t.Fatalf("unclear error: %v", err)
		}
	}
}

func TestRetriesRetryableCodesWithFreshNonceAndDate(t *testing.T) {
	var mu sync.Mutex
	nonces := map[string]bool{}
	var n atomic.Int32
	c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		nonces[r.Header.Get("x-acs-signature-nonce")] = true
		mu.Unlock()
		switch n.Add(1) {
		case 1:
			apiErr(w, 429, "Throttling.User", "R1")
		case 2:
			apiErr(w, 400, "LastOperationNotFinished", "R2")
		case 3:
			apiErr(w, 500, "InternalError", "R3")
		case 4:
			apiErr(w, 503, "ServiceUnavailable", "R4")
		default:
			writeJSON(w, 200, map[string]string{"RequestId": "R5"})
		}
	})
	var calls []Call
	c.Observe = func(cl Call) { calls = append(calls, cl) }
	if err := c.Do(context.Background(), "DeleteDomainRecord", url.Values{"RecordId": {"1"}}, nil); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 5 || len(nonces) != 5 {
		t.Fatalf("attempts %d, distinct nonces %d", n.Load(), len(nonces))
	}
	if len(calls) != 1 || calls[0].Attempts != 5 || calls[0].Throttled != 1 || calls[0].RequestID != "" && calls[0].Err != nil {
		t.Fatalf("observed %+v", calls)
	}
}

func TestDoesNotRetryPermanentErrors(t *testing.T) {
	var n atomic.Int32
	c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		apiErr(w, 400, "DomainRecordDuplicate", "R")
	})
	err := c.Do(context.Background(), "UpdateDomainRecord", nil, nil)
	if !HasCode(err, "DomainRecordDuplicate") || n.Load() != 1 {
		t.Fatalf("err %v after %d attempts", err, n.Load())
	}
}

// Every ambiguous failure is retried, AddDomainRecord included (Do says
// why a retried add cannot create two records), and the final error says
// whether an attempt may have been applied.
func TestAmbiguousFailuresAreRetriedAndMarked(t *testing.T) {
	faults := map[string]func(w http.ResponseWriter){
		"connection reset after the request": func(w http.ResponseWriter) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		},
		"gateway 502 with an HTML body": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			_, _ = w.Write([]byte("<html><body><h1>502 Bad Gateway</h1></body></html>"))
		},
		"empty 500":            func(w http.ResponseWriter) { w.WriteHeader(500) },
		"200 with empty body":  func(w http.ResponseWriter) { w.WriteHeader(200) },
		"500 with an API code": func(w http.ResponseWriter) { apiErr(w, 500, "InternalError", "R1") },
	}
	for name, fault := range faults {
		t.Run(name, func(t *testing.T) {
			var n atomic.Int32
			c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 {
					fault(w)
					return
				}
				writeJSON(w, 200, map[string]string{"RequestId": "R2", "RecordId": "7"})
			})
			var out struct{ RecordId string }
			if err := c.Do(context.Background(), "AddDomainRecord", nil, &out); err != nil || n.Load() != 2 || out.RecordId != "7" {
				t.Fatalf("err %v attempts %d out %+v", err, n.Load(), out)
			}

			// Failing every time: the error says the add may have happened.
			c, _ = testClient(t, func(w http.ResponseWriter, r *http.Request) { fault(w) })
			err := c.Do(context.Background(), "AddDomainRecord", nil, &out)
			if err == nil || !MayHaveApplied(err) || !strings.Contains(err.Error(), "may have been applied") {
				t.Fatalf("err %v, want one marked as maybe applied", err)
			}
		})
	}

	// A refusal with an API code and HTTP 4xx proves nothing was applied.
	c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) { apiErr(w, 400, "DomainRecordDuplicate", "R") })
	if err := c.Do(context.Background(), "AddDomainRecord", nil, nil); !HasCode(err, "DomainRecordDuplicate") || MayHaveApplied(err) {
		t.Fatalf("err %v", err)
	}
	// A duplicate answered to the retry of an add whose first answer was
	// lost keeps the mark: the first attempt probably created the record.
	var m atomic.Int32
	c, _ = testClient(t, func(w http.ResponseWriter, r *http.Request) {
		if m.Add(1) == 1 {
			w.WriteHeader(504)
			return
		}
		apiErr(w, 400, "DomainRecordDuplicate", "R")
	})
	if err := c.Do(context.Background(), "AddDomainRecord", nil, nil); !HasCode(err, "DomainRecordDuplicate") || !MayHaveApplied(err) {
		t.Fatalf("err %v", err)
	}
}

func TestAddRetriedWhenConnectionNeverOpened(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close() // nothing listens there now
	var attempts int
	c := &Client{Endpoint: addr, Credentials: StaticCredentials{AccessKeyID: "a", AccessKeySecret: "b"},
		Retry:   RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxWait: time.Second},
		Observe: func(cl Call) { attempts = cl.Attempts }}
	err := c.Do(context.Background(), "AddDomainRecord", nil, nil)
	if err == nil || attempts != 3 {
		t.Fatalf("err %v attempts %d", err, attempts)
	}
	if !strings.Contains(err.Error(), "AddDomainRecord") {
		t.Fatalf("error lacks context: %v", err)
	}
}

func TestRetryHonoursContextAndBudget(t *testing.T) {
	c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		apiErr(w, 500, "InternalError", "R")
	})
	c.Retry = RetryPolicy{MaxAttempts: 100, BaseDelay: 50 * time.Millisecond, MaxDelay: 50 * time.Millisecond, MaxWait: 120 * time.Millisecond}
	var attempts int
	c.Observe = func(cl Call) { attempts = cl.Attempts }
	err := c.Do(context.Background(), "DescribeDomains", nil, nil)
	if !HasCode(err, "InternalError") {
		t.Fatalf("err %v", err)
	}
	// 120ms of sleeps at 25–50ms each allows between 3 and 5 retries.
	if attempts < 3 || attempts > 6 {
		t.Fatalf("attempts %d outside the budget", attempts)
	}

	c.Retry = RetryPolicy{MaxAttempts: 100, BaseDelay: time.Hour, MaxDelay: time.Hour, MaxWait: 10 * time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	done := make(chan error, 1)
	go func() { done <- c.Do(ctx, "DescribeDomains", nil, nil) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || !HasCode(err, "InternalError") {
			t.Fatalf("err %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Do ignored context cancellation")
	}
}

type refreshingCreds struct {
	mu          sync.Mutex
	gen         int
	invalidated int
}

func (r *refreshingCreds) Credential(context.Context) (Credential, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Credential{AccessKeyID: "STS.id", AccessKeySecret: "s", SecurityToken: fmt.Sprintf("tok-%d", r.gen)}, nil
}

func (r *refreshingCreds) Invalidate() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gen++
	r.invalidated++
}

func TestExpiredTokenIsRefreshedOnce(t *testing.T) {
	c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-acs-security-token") == "tok-0" {
			apiErr(w, 400, "InvalidSecurityToken.Expired", "R")
			return
		}
		writeJSON(w, 200, map[string]string{"RequestId": "R"})
	})
	creds := &refreshingCreds{}
	c.Credentials = creds
	if err := c.Do(context.Background(), "DescribeDomains", nil, nil); err != nil {
		t.Fatal(err)
	}
	if creds.invalidated != 1 {
		t.Fatalf("invalidated %d times", creds.invalidated)
	}
	// A token that stays refused is reported, not retried forever.
	c2, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		apiErr(w, 400, "InvalidSecurityToken.Expired", "R")
	})
	creds2 := &refreshingCreds{}
	c2.Credentials = creds2
	if err := c2.Do(context.Background(), "DescribeDomains", nil, nil); !HasCode(err, "InvalidSecurityToken.Expired") || creds2.invalidated != 1 {
		t.Fatalf("err %v invalidated %d", err, creds2.invalidated)
	}
}

func TestConcurrentUseOfOneClient(t *testing.T) {
	var n atomic.Int32
	c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%3 == 0 {
			apiErr(w, 500, "InternalError", "R")
			return
		}
		writeJSON(w, 200, map[string]string{"RequestId": "R", "RecordId": r.URL.Query().Get("RR")})
	})
	c.Retry = RetryPolicy{MaxAttempts: 20, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, MaxWait: 10 * time.Second}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Go(func() {
			var out struct{ RecordId string }
			rr := fmt.Sprintf("r%d", i)
			if err := c.Do(context.Background(), "DescribeDomainRecords", url.Values{"RR": {rr}}, &out); err != nil {
				errs <- err
				return
			}
			if out.RecordId != rr {
				errs <- fmt.Errorf("got %s for %s", out.RecordId, rr)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestParseEndpoint(t *testing.T) {
	good := map[string]string{
		"https://alidns.aliyuncs.com":     "https://alidns.aliyuncs.com/",
		"alidns.cn-hangzhou.aliyuncs.com": "https://alidns.cn-hangzhou.aliyuncs.com/",
		"http://127.0.0.1:8081/":          "http://127.0.0.1:8081/",
		"127.0.0.1:8443":                  "https://127.0.0.1:8443/",
		"https://[::1]:8443":              "https://[::1]:8443/",
		"http://[::1]:8081":               "http://[::1]:8081/",
		"http://localhost:8081":           "http://localhost:8081/",
		"http://127.0.0.2":                "http://127.0.0.2/",
	}
	for in, want := range good {
		u, err := ParseEndpoint(in)
		if err != nil || u.String() != want {
			t.Errorf("ParseEndpoint(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
	for _, bad := range []string{"", "ftp://x", "https://", "https://h/path", "https://u:p@h", "https://h?x=1", "https://h:99999", "http://h:abc",
		// Plain HTTP would carry the STS token in clear text off this machine.
		"http://alidns.aliyuncs.com", "http://10.0.0.1:8081", "http://sim.example:80"} {
		if _, err := ParseEndpoint(bad); err == nil {
			t.Errorf("ParseEndpoint(%q) accepted", bad)
		}
	}
}

// AliDNS throttles per account: a throttling answer to one Client holds
// back the next request of another Client with the same endpoint and
// AccessKey ID (Caddy makes one Provider, so one Client, per site).
func TestRateLimiterSharedPerAccount(t *testing.T) {
	var mu sync.Mutex
	var arrivals []time.Time
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		mu.Unlock()
		if n.Add(1) == 1 {
			w.Header().Set("x-ratelimit-user-api", "Limit:5,Remain:0,TimeLeft:400,Reset:400")
			apiErr(w, 429, "Throttling.User", "R1")
			return
		}
		writeJSON(w, 200, map[string]string{"RequestId": "R2"})
	}))
	defer srv.Close()
	mk := func(id string) *Client {
		return &Client{Endpoint: srv.URL, Credentials: StaticCredentials{AccessKeyID: id, AccessKeySecret: testSecret}, Retry: NoRetry}
	}
	a, b, other := mk("shared-id"), mk("shared-id"), mk("other-account")
	if err := a.Do(context.Background(), "DescribeDomains", nil, nil); !HasCode(err, "Throttling.User") {
		t.Fatalf("err %v", err)
	}
	if err := other.Do(context.Background(), "DescribeDomains", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.Do(context.Background(), "DescribeDomains", nil, nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if d := arrivals[1].Sub(arrivals[0]); d > 300*time.Millisecond {
		t.Errorf("another account waited %v for this account's throttling", d)
	}
	if d := arrivals[2].Sub(arrivals[0]); d < 350*time.Millisecond {
		t.Errorf("second client of the throttled account sent after %v, want it held back for the quota's 400 ms TimeLeft", d)
	}
}
