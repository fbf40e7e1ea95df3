package api

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/caddy-alidns/alidns/alidnstest"
)

// hostileToken and hostileSecret stand for an STS credential; the token
// holds the characters that get encoded (+, /, =).
const (
	hostileToken  = "CAIS+hostile/sts=token-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
	hostileSecret = "hostile-secret-9876543210"
)

var hostileCred = StaticCredentials{AccessKeyID: "STS.hostile", AccessKeySecret: hostileSecret, SecurityToken: hostileToken}

// assertNoSecretIn fails if s holds the token or the secret, their start,
// or any encoding of them that decodes (percent, JSON, HTML) to them.
func assertNoSecretIn(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range []string{hostileToken, hostileSecret} {
		start := secret[:scrubPrefixLen]
		if anyDecoding(s, 3, func(d string) bool { return strings.Contains(d, start) }) {
			t.Errorf("%s holds (an encoding of) %q…:\n%s", what, start, s)
		}
	}
}

func hostileClient(t *testing.T, h alidnstest.Hostile) (*Client, *alidnstest.HostileServer) {
	t.Helper()
	s := alidnstest.NewHostileServer(h)
	t.Cleanup(s.Close)
	return &Client{Endpoint: s.URL, Credentials: hostileCred, Retry: NoRetry}, s
}

// AliDNS never redirects: a 3xx is an error naming the status and where it
// pointed, nothing is sent there (net/http would forward the
// x-acs-security-token header to any host), and it is not retried. A
// caller's own http.Client that follows redirects is overruled.
func TestRedirectIsRefused(t *testing.T) {
	var reached atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		writeJSON(w, 200, map[string]string{"RequestId": "R"})
	}))
	defer other.Close()
	target := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	for _, status := range []int{301, 302, 303, 307, 308} {
		for _, hc := range []*http.Client{nil, {}} {
			c, s := hostileClient(t, alidnstest.Hostile{Kind: alidnstest.HostileRedirect, Status: status, Target: target})
			c.HTTPClient = hc
			c.Retry = RetryPolicy{MaxAttempts: 3, BaseDelay: 1, MaxDelay: 1, MaxWait: 1 << 30}
			err := c.Do(context.Background(), "AddDomainRecord", url.Values{"DomainName": {"example.com"}}, nil)
			var e *Error
			if !errors.As(err, &e) || e.HTTPStatus != status || MayHaveApplied(err) {
				t.Fatalf("HTTP %d: err %v, want an *Error with that status, not marked as maybe applied", status, err)
			}
			want := fmt.Sprintf("HTTP %d redirect to %s refused", status, target)
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
			if n := s.Calls(""); n != 1 {
				t.Errorf("HTTP %d: %d requests, want 1 (a redirect is not retried)", status, n)
			}
		}
	}
	if n := reached.Load(); n != 0 {
		t.Fatalf("the redirect target received %d requests", n)
	}
}

// Server text is scrubbed of the secret and the token (and their
// encodings) before it is cut: a token echoed in every field of a JSON
// error (RequestId, Code, Message, Recommend, AccessDeniedDetail), in the
// X-Acs-Request-Id header, or across byte 200 of an XML, HTML or text
// body, leaves no trace in the error, its fields or the logged call.
func TestServerTextScrubbedBeforeCut(t *testing.T) {
	for _, format := range []string{alidnstest.FormatJSON, alidnstest.FormatXML, alidnstest.FormatHTML, alidnstest.FormatText} {
		t.Run(format, func(t *testing.T) {
			c, _ := hostileClient(t, alidnstest.Hostile{Kind: alidnstest.HostileEcho, Format: format, Echo: []string{hostileSecret}})
			var call Call
			c.Observe = func(cl Call) { call = cl }
			err := c.Do(context.Background(), "DescribeSubDomainRecords", url.Values{"DomainName": {"example.com"}}, nil)
			var e *Error
			if !errors.As(err, &e) || e.HTTPStatus != 400 {
				t.Fatalf("err %v", err)
			}
			assertNoSecretIn(t, "error text", err.Error())
			assertNoSecretIn(t, "logged request id", call.RequestID)
			for name, field := range map[string]string{"Code": e.Code, "Message": e.Message, "RequestID": e.RequestID, "Recommend": e.Recommend,
				"DeniedAction": e.DeniedAction, "DeniedResource": e.DeniedResource, "Principal": e.Principal, "Body": e.Body} {
				assertNoSecretIn(t, name, field)
			}
			if format == alidnstest.FormatJSON && (!IsForbidden(e.Code) || !strings.Contains(e.Message, redacted)) {
				t.Errorf("the scrubbed JSON error lost its shape: %+v", e)
			}
			t.Logf("%s: %v", format, err)
		})
	}
}

// Secrets echoed in encodings the scrubber does not rewrite are caught by
// decoding: the piece of text is withheld whole.
func TestScrubWithholdsOtherEncodings(t *testing.T) {
	sc := newScrubber(Credential(hostileCred))
	for _, in := range []string{
		"token=" + PercentEncode(PercentEncode(PercentEncode(hostileToken))), // thrice percent-encoded
		"<td>" + strings.NewReplacer("+", "&#43;", "/", "&#x2F;").Replace(hostileToken) + "</td>",
		`{"t":"` + strings.ReplaceAll(hostileToken, "C", `\u0043`) + `"}`,
		"cut by the server: " + hostileToken[:20],
		"x-acs-security-token: " + html.EscapeString(hostileToken),
	} {
		out := sc.cut(in, maxMessageLen)
		assertNoSecretIn(t, "scrubbed "+in, out)
	}
	// Text without secrets is kept as it was.
	if in := "The specified domain name does not exist. 100% sure & <done>"; sc.clean(in) != in {
		t.Errorf("clean changed innocent text: %q", sc.clean(in))
	}
}

// An HTTP 200 is a success only with AliDNS's JSON, which always carries
// a RequestId. An empty body, a non-JSON page or JSON without RequestId
// may come from anything in between and says nothing about the call: it
// is retried, and when it stays so a write is reported as possibly
// applied (also when the caller wants no answer decoded, as
// DeleteDomainRecord).
func TestAmbiguousOKIsNotSuccess(t *testing.T) {
	for name, answer := range map[string]func(w http.ResponseWriter){
		"empty body":           func(w http.ResponseWriter) { w.WriteHeader(200) },
		"HTML page":            func(w http.ResponseWriter) { w.WriteHeader(200); _, _ = w.Write([]byte("<html>portal</html>")) },
		"JSON, no RequestId":   func(w http.ResponseWriter) { writeJSON(w, 200, map[string]string{"RecordId": "1"}) },
		"JSON, RequestId \"\"": func(w http.ResponseWriter) { writeJSON(w, 200, map[string]string{"RequestId": " "}) },
	} {
		t.Run(name, func(t *testing.T) {
			var n atomic.Int32
			c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 {
					answer(w)
					return
				}
				writeJSON(w, 200, map[string]string{"RequestId": "R2"})
			})
			if err := c.Do(context.Background(), "DeleteDomainRecord", url.Values{"RecordId": {"1"}}, nil); err != nil || n.Load() != 2 {
				t.Fatalf("err %v after %d attempts, want success on the retry", err, n.Load())
			}
			c, _ = testClient(t, func(w http.ResponseWriter, r *http.Request) { answer(w) })
			err := c.Do(context.Background(), "DeleteDomainRecord", url.Values{"RecordId": {"1"}}, nil)
			var e *Error
			if !MayHaveApplied(err) || !errors.As(err, &e) || e.HTTPStatus != 200 || !strings.Contains(err.Error(), "HTTP 200") {
				t.Fatalf("err %v, want an HTTP 200 error marked as maybe applied", err)
			}
			// A read is retried the same way, without the mark.
			err = c.Do(context.Background(), "DescribeDomains", nil, nil)
			if err == nil || MayHaveApplied(err) {
				t.Fatalf("read: err %v", err)
			}
		})
	}
}

// The limiter map stays bounded while STS renewals bring a new AccessKey
// ID each time; a limiter that still paces (throttled recently) or that an
// attempt holds is kept.
func TestLimiterMapBounded(t *testing.T) {
	count := func() int {
		n := 0
		limiters.Range(func(any, any) bool { n++; return true })
		return n
	}
	base := &url.URL{Host: "bounded.example"}
	c := &Client{}
	pacing := c.limiterFor(base, Credential{AccessKeyID: "pacing"})
	pacing.throttled(0)
	releaseLimiter(pacing)
	held := c.limiterFor(base, Credential{AccessKeyID: "held"})
	for i := range 5000 {
		releaseLimiter(c.limiterFor(base, Credential{AccessKeyID: fmt.Sprintf("STS.renewal%05d", i)}))
		if n := count(); n > 2*limiterKeep+2 {
			t.Fatalf("%d limiters after %d renewals", n, i+1)
		}
	}
	for name, l := range map[string]*limiter{"pacing": pacing, "held": held} {
		if got := c.limiterFor(base, Credential{AccessKeyID: name}); got != l {
			t.Errorf("the %s limiter was evicted", name)
		}
	}
	releaseLimiter(held)
}

// Plain http:// goes only to this machine and never through a proxy; a
// name under .localhost is not this machine (a resolver or /etc/hosts may
// say otherwise, and proxy settings apply to it).
func TestPlainHTTPOnlyToLoopbackAndNeverProxied(t *testing.T) {
	for _, bad := range []string{"http://sim.localhost:8081", "http://localhost.:8081", "http://127.1:8081", "http://0x7f.1", "http://127.0.0.1.nip.io"} {
		if _, err := ParseEndpoint(bad); err == nil {
			t.Errorf("ParseEndpoint(%q) accepted plain http", bad)
		}
	}
	proxyURL, _ := url.Parse("http://proxy.corp.example:3128")
	saved := envProxy
	envProxy = func(*http.Request) (*url.URL, error) { return proxyURL, nil }
	defer func() { envProxy = saved }()
	for target, want := range map[string]*url.URL{
		"http://127.0.0.1:8081/":         nil,
		"http://localhost:8081/":         nil,
		"http://[::1]:8081/":             nil,
		"https://127.0.0.1:8443/":        nil,
		"https://alidns.aliyuncs.com/":   proxyURL,
		"http://proxied.example.invalid": nil, // never reached: ParseEndpoint refuses it
	} {
		req, _ := http.NewRequest(http.MethodPost, target, nil)
		if got, err := Proxy(req); err != nil || got != want {
			t.Errorf("Proxy(%s) = %v, %v; want %v", target, got, err, want)
		}
	}
}
