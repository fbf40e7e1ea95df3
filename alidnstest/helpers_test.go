package alidnstest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// This file holds a small test-only signer, written separately from
// verify.go (different encoder, different structure) so that the two
// cannot share a bug unnoticed; the published vectors pin both.

func tEscape(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	return strings.ReplaceAll(e, "%7E", "~")
}

func tSortedPairs(m map[string]string) string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	var sb strings.Builder
	for i, n := range names {
		if i > 0 {
			sb.WriteString("&")
		}
		sb.WriteString(tEscape(n) + "=" + tEscape(m[n]))
	}
	return sb.String()
}

func tRPCSignature(method, secret string, params map[string]string) (string, string) {
	sts := method + "&%2F&" + tEscape(tSortedPairs(params))
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	io.WriteString(mac, sts)
	return sts, base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func tV3Signature(secret, method, host string, query map[string]string, headers map[string]string, body []byte) (signedHeaders, sig string) {
	h := map[string]string{"host": host}
	for k, v := range headers {
		h[strings.ToLower(k)] = v
	}
	names := make([]string, 0, len(h))
	for n := range h {
		names = append(names, n)
	}
	sort.Strings(names)
	var ch strings.Builder
	for _, n := range names {
		ch.WriteString(n + ":" + strings.TrimSpace(h[n]) + "\n")
	}
	signedHeaders = strings.Join(names, ";")
	bh := sha256.Sum256(body)
	cr := strings.Join([]string{method, "/", tSortedPairs(query), ch.String(), signedHeaders, hex.EncodeToString(bh[:])}, "\n")
	crh := sha256.Sum256([]byte(cr))
	mac := hmac.New(sha256.New, []byte(secret))
	io.WriteString(mac, "ACS3-HMAC-SHA256\n"+hex.EncodeToString(crh[:]))
	return signedHeaders, hex.EncodeToString(mac.Sum(nil))
}

func tNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// tc is a test client.
type tc struct {
	t      *testing.T
	s      *Server
	id     string
	secret string
	token  string
	v3     bool
	form   bool   // parameters in an x-www-form-urlencoded body
	method string // default POST
	format string // RPC Format (default JSON)
	when   time.Time
	nonce  string
	mutate func(*http.Request)
}

func newTC(t *testing.T, s *Server) *tc {
	return &tc{t: t, s: s, id: DefaultAccessKeyID, secret: DefaultAccessKeySecret}
}

func (c tc) with(f func(*tc)) *tc { f(&c); return &c }

type resp struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

func (r resp) str(k string) string { s, _ := r.Body[k].(string); return s }

func (r resp) code() string { return r.str("Code") }

func (r resp) records() []map[string]any {
	dr, _ := r.Body["DomainRecords"].(map[string]any)
	list, _ := dr["Record"].([]any)
	out := make([]map[string]any, len(list))
	for i, x := range list {
		out[i] = x.(map[string]any)
	}
	return out
}

// call performs a signed API call; kv are business parameter pairs.
func (c *tc) call(action string, kv ...string) resp {
	c.t.Helper()
	biz := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		biz[kv[i]] = kv[i+1]
	}
	method := c.method
	if method == "" {
		method = http.MethodPost
	}
	when := c.when
	if when.IsZero() {
		when = c.s.now()
	}
	ts := when.UTC().Format("2006-01-02T15:04:05Z")
	nonce := c.nonce
	if nonce == "" {
		nonce = tNonce()
	}
	u, _ := url.Parse(c.s.URL + "/")
	var body []byte
	headers := map[string]string{}
	if c.v3 {
		q := biz
		if c.form {
			body = []byte(tSortedPairs(biz))
			q = map[string]string{}
			headers["content-type"] = "application/x-www-form-urlencoded"
		}
		bh := sha256.Sum256(body)
		headers["x-acs-action"] = action
		headers["x-acs-version"] = "2015-01-09"
		headers["x-acs-date"] = ts
		headers["x-acs-signature-nonce"] = nonce
		headers["x-acs-content-sha256"] = hex.EncodeToString(bh[:])
		if c.token != "" {
			headers["x-acs-security-token"] = c.token
		}
		sh, sig := tV3Signature(c.secret, method, u.Host, q, headers, body)
		headers["Authorization"] = "ACS3-HMAC-SHA256 Credential=" + c.id + ",SignedHeaders=" + sh + ",Signature=" + sig
		u.RawQuery = tSortedPairs(q)
	} else {
		p := map[string]string{}
		for k, v := range biz {
			p[k] = v
		}
		format := c.format
		if format == "" {
			format = "JSON"
		}
		if format != "-" {
			p["Format"] = format
		}
		p["Action"] = action
		p["Version"] = "2015-01-09"
		p["AccessKeyId"] = c.id
		p["SignatureMethod"] = "HMAC-SHA1"
		p["SignatureVersion"] = "1.0"
		p["SignatureNonce"] = nonce
		p["Timestamp"] = ts
		if c.token != "" {
			p["SecurityToken"] = c.token
		}
		_, sig := tRPCSignature(method, c.secret, p)
		p["Signature"] = sig
		if c.form {
			body = []byte(tSortedPairs(p))
			headers["content-type"] = "application/x-www-form-urlencoded"
		} else {
			u.RawQuery = tSortedPairs(p)
		}
	}
	req, err := http.NewRequest(method, u.String(), strings.NewReader(string(body)))
	if err != nil {
		c.t.Fatalf("new request: %v", err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if c.mutate != nil {
		c.mutate(req)
	}
	return doReq(c.t, c.s.Client(), req)
}

func doReq(t *testing.T, hc *http.Client, req *http.Request) resp {
	t.Helper()
	res, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", req.URL, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
	}
	return r
}

// mustOK fails the test unless r is a 200.
func mustOK(t *testing.T, r resp) resp {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("status %d: %s", r.Status, r.Raw)
	}
	return r
}

// mustErr fails the test unless r is the given error.
func mustErr(t *testing.T, r resp, status int, code string) resp {
	t.Helper()
	if r.Status != status || r.code() != code {
		t.Fatalf("want %d %s, got %d: %s", status, code, r.Status, r.Raw)
	}
	for _, k := range []string{"RequestId", "HostId", "Code", "Message", "Recommend"} {
		if _, ok := r.Body[k].(string); !ok {
			t.Fatalf("error body lacks string %s: %s", k, r.Raw)
		}
	}
	return r
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// newSim starts a server with zone example.com (Free) and cleanup.
func newSim(t *testing.T, opts ...Option) *Server {
	t.Helper()
	s := NewServer(opts...)
	t.Cleanup(s.Close)
	s.AddZone("example.com", EditionFree)
	return s
}
