package alidnstest

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// wireResult is what a client saw for one call.
type wireResult struct {
	status int
	header http.Header
	body   string
	err    error
}

// wireCall performs a signed RPC call with hc and returns what it saw.
func wireCall(s *Server, hc *http.Client, action string, kv ...string) wireResult {
	res, err := hc.Post(signedURL(s, action, kv...), "", nil)
	if err != nil {
		return wireResult{err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return wireResult{status: res.StatusCode, header: res.Header, body: string(b), err: err}
}

func addTXT(s *Server, hc *http.Client, rr string) wireResult {
	return wireCall(s, hc, "AddDomainRecord", "DomainName", "example.com", "RR", rr, "Type", "TXT", "Value", "v-"+rr)
}

// TestInjectKinds checks every FaultKind before and after apply: whether
// the change was made, and what the client sees on the wire.
func TestInjectKinds(t *testing.T) {
	type check func(t *testing.T, w wireResult)
	apiErr := func(status int, code string) check {
		return func(t *testing.T, w wireResult) {
			var body map[string]any
			if w.err != nil || w.status != status || json.Unmarshal([]byte(w.body), &body) != nil || body["Code"] != code {
				t.Fatalf("want API error %d %s, got %d %q %v", status, code, w.status, w.body, w.err)
			}
			if w.header.Get("X-Acs-Request-Id") == "" {
				t.Fatalf("API error without X-Acs-Request-Id")
			}
		}
	}
	gateway := func(t *testing.T, w wireResult) {
		if w.err != nil || w.status != 502 || !strings.HasPrefix(w.header.Get("Content-Type"), "text/html") ||
			!strings.Contains(w.body, "<h1>502 Bad Gateway</h1>") || !strings.Contains(w.body, "nginx") {
			t.Fatalf("want nginx 502 page, got %d %q %q %v", w.status, w.header.Get("Content-Type"), w.body, w.err)
		}
		if w.header.Get("X-Acs-Request-Id") != "" {
			t.Fatalf("gateway page carries a request id")
		}
	}
	empty := func(status int) check {
		return func(t *testing.T, w wireResult) {
			if w.err != nil || w.status != status || w.body != "" {
				t.Fatalf("want empty %d, got %d %q %v", status, w.status, w.body, w.err)
			}
		}
	}
	reset := func(t *testing.T, w wireResult) {
		if w.err == nil {
			t.Fatalf("want a transport error, got %d %q", w.status, w.body)
		}
		if !errors.Is(w.err, syscall.ECONNRESET) && !strings.Contains(w.err.Error(), "EOF") {
			t.Fatalf("want connection reset, got %v", w.err)
		}
	}
	timeout := func(t *testing.T, w wireResult) {
		var ne net.Error
		if !errors.As(w.err, &ne) || !ne.Timeout() {
			t.Fatalf("want a client timeout, got %d %q %v", w.status, w.body, w.err)
		}
	}
	ok := func(t *testing.T, w wireResult) {
		if w.err != nil || w.status != 200 || !strings.Contains(w.body, `"RecordId"`) {
			t.Fatalf("want success, got %d %q %v", w.status, w.body, w.err)
		}
	}
	cases := []struct {
		in      Injection
		applied bool
		code    string // Call.Code logged
		see     check
		timeout time.Duration // client timeout (0 = default)
	}{
		{Injection{Kind: FaultAPIError, Code: "InternalError"}, false, "InternalError", apiErr(500, "InternalError"), 0},
		{Injection{Kind: FaultAPIError, Code: "InternalError", AfterApply: true}, true, "InternalError", apiErr(500, "InternalError"), 0},
		{Injection{Kind: FaultAPIError, Code: "Throttling.User", Status: 400}, false, "Throttling.User", apiErr(400, "Throttling.User"), 0},
		{Injection{Kind: FaultGatewayHTML}, false, CodeGatewayHTML, gateway, 0},
		{Injection{Kind: FaultGatewayHTML, AfterApply: true}, true, CodeGatewayHTML, gateway, 0},
		{Injection{Kind: FaultEmptyError}, false, CodeEmptyError, empty(500), 0},
		{Injection{Kind: FaultEmptyError, AfterApply: true, Status: 503}, true, CodeEmptyError, empty(503), 0},
		{Injection{Kind: FaultReset}, false, CodeDropped, reset, 0},
		{Injection{Kind: FaultReset, AfterApply: true}, true, CodeDropped, reset, 0},
		{Injection{Kind: FaultEmptyOK}, false, CodeEmptyOK, empty(200), 0},
		{Injection{Kind: FaultEmptyOK, AfterApply: true}, true, CodeEmptyOK, empty(200), 0},
		{Injection{Kind: FaultSlow, Delay: 400 * time.Millisecond}, false, "ClientGone", timeout, 100 * time.Millisecond},
		{Injection{Kind: FaultSlow, Delay: 400 * time.Millisecond, AfterApply: true}, true, "ClientGone", timeout, 100 * time.Millisecond},
		{Injection{Kind: FaultSlow, Delay: 150 * time.Millisecond}, true, "", ok, 0},
		{Injection{Kind: FaultSlow, Delay: 150 * time.Millisecond, AfterApply: true}, true, "", ok, 0},
	}
	for _, tc := range cases {
		name := string(tc.in.Kind)
		if tc.in.AfterApply {
			name += "/after"
		} else {
			name += "/before"
		}
		t.Run(name, func(t *testing.T) {
			s := newSim(t)
			hc := s.Client()
			if tc.timeout > 0 {
				hc = &http.Client{Transport: &http.Transport{}, Timeout: tc.timeout}
			}
			in := tc.in
			in.Action = "AddDomainRecord"
			s.Inject(in)
			// A read does not consume a write's injection.
			mustOK(t, newTC(t, s).call("DescribeDomains"))
			start := time.Now()
			w := addTXT(s, hc, "a")
			tc.see(t, w)
			if in.Kind == FaultSlow && tc.timeout == 0 && time.Since(start) < in.Delay {
				t.Fatalf("answered after %v, before the delay", time.Since(start))
			}
			if in.Kind == FaultSlow && tc.timeout > 0 {
				// The server notices the client is gone within the delay.
				waitFor(t, func() bool { return len(s.Calls()) == 2 })
			}
			if got := len(s.Records("example.com")); got != map[bool]int{false: 0, true: 1}[tc.applied] {
				t.Fatalf("applied=%v but zone holds %d records", tc.applied, got)
			}
			calls := s.Calls()
			last := calls[len(calls)-1]
			if last.Action != "AddDomainRecord" || last.Code != tc.code || last.Fault != in.Kind ||
				last.AfterApply != (tc.applied && in.Kind != FaultSlow || in.AfterApply) {
				t.Fatalf("logged %+v", last)
			}
			if len(s.PendingInjections()) != 0 {
				t.Fatalf("injection not consumed")
			}
			// Later calls are not affected.
			ok(t, addTXT(s, s.Client(), "b"))
		})
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestInjectValidation(t *testing.T) {
	s := newSim(t)
	for _, in := range []Injection{{Kind: FaultAPIError}, {Kind: FaultSlow}, {Kind: "bogus"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Inject(%+v) did not panic", in)
				}
			}()
			s.Inject(in)
		}()
	}
}

func TestFailSpecKinds(t *testing.T) {
	s := newSim(t)
	post := func(body string) int {
		res, err := http.Post(s.URL+"/_sim/fail-next", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for body, want := range map[string]int{
		`{"Action":"AddDomainRecord","Kind":"gateway-html","Mode":"after-apply"}`: 204,
		`{"Kind":"slow","Delay":"10ms"}`:                                          204,
		`{"Mode":"drop-after-apply"}`:                                             204,
		`{"Code":"InternalError"}`:                                                204,
		`{"Kind":"slow"}`:                                                         400,
		`{"Kind":"api-error"}`:                                                    400,
		`{"Kind":"nope","Code":"X"}`:                                              400,
		`{"Mode":"drop-after-apply","Kind":"empty-ok"}`:                           400,
	} {
		if got := post(body); got != want {
			t.Errorf("%s: status %d, want %d", body, got, want)
		}
	}
	got := s.PendingInjections()
	if len(got) != 4 {
		t.Fatalf("pending %+v", got)
	}
	s.ClearScriptedFaults()
	post(`{"Action":"AddDomainRecord","Kind":"gateway-html","Mode":"after-apply"}`)
	w := addTXT(s, s.Client(), "x")
	if w.status != 502 || len(s.Records("example.com")) != 1 {
		t.Fatalf("got %d, %d records", w.status, len(s.Records("example.com")))
	}
}

func TestFaultLostAnswerRate(t *testing.T) {
	s := newSim(t)
	s.SetFaults(Faults{LostAnswerRate: 1, Seed: 3})
	kinds := map[FaultKind]int{}
	for i := 0; i < 40; i++ {
		rr := "r" + strings.Repeat("x", i%5) + string(rune('a'+i%26)) + string(rune('a'+i/26))
		addTXT(s, s.Client(), rr)
		c := s.Calls()[len(s.Calls())-1]
		if !c.AfterApply || c.Fault == "" || c.Fault == FaultSlow {
			t.Fatalf("call %+v", c)
		}
		kinds[c.Fault]++
	}
	if len(s.Records("example.com")) != 40 {
		t.Fatalf("%d records, want every write applied", len(s.Records("example.com")))
	}
	if len(kinds) != 5 {
		t.Fatalf("kinds seen %v, want the five without slow", kinds)
	}
	// Reads are never affected.
	mustOK(t, newTC(t, s).call("DescribeDomainRecords", "DomainName", "example.com"))
}

func TestFaultGatewayErrorRate(t *testing.T) {
	s := newSim(t)
	s.SetFaults(Faults{GatewayErrorRate: 1, Seed: 5})
	seen := map[int]int{}
	for i := 0; i < 20; i++ {
		w := addTXT(s, s.Client(), "g")
		if w.err != nil || (w.status != 502 && w.status != 500) {
			t.Fatalf("got %d %v", w.status, w.err)
		}
		seen[w.status]++
	}
	if len(seen) != 2 || len(s.Records("example.com")) != 0 {
		t.Fatalf("seen %v, %d records", seen, len(s.Records("example.com")))
	}
}

func TestFaultThrottleBurst(t *testing.T) {
	s := newSim(t)
	s.SetFaults(Faults{ThrottleBurst: 200 * time.Millisecond, ThrottleBurstEvery: time.Hour})
	r := newTC(t, s).call("DescribeDomains")
	mustErr(t, r, 429, "Throttling.User")
	if h := r.Header.Get("x-ratelimit-user-api"); !strings.Contains(h, "TimeLeft:") {
		t.Fatalf("header %q", h)
	}
	time.Sleep(250 * time.Millisecond)
	mustOK(t, newTC(t, s).call("DescribeDomains"))
}

func TestWriteWindowEveryWrite(t *testing.T) {
	s := newSim(t)
	c := newTC(t, s)
	s.SetFaults(Faults{WriteWindow: time.Hour})
	id := mustOK(t, c.call("AddDomainRecord", "DomainName", "example.com", "RR", "a", "Type", "TXT", "Value", "v")).str("RecordId")
	for _, call := range [][]string{
		{"AddDomainRecord", "DomainName", "example.com", "RR", "c", "Type", "TXT", "Value", "v"},
		{"UpdateDomainRecord", "RecordId", id, "RR", "a", "Type", "TXT", "Value", "w"},
		{"DeleteDomainRecord", "RecordId", id},
		{"SetDomainRecordStatus", "RecordId", id, "Status", "DISABLE"},
		{"DeleteSubDomainRecords", "DomainName", "example.com", "RR", "a"},
	} {
		mustErr(t, c.call(call[0], call[1:]...), 400, "LastOperationNotFinished")
	}
}
