package alidnstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestFaultQPS(t *testing.T) {
	s := newSim(t)
	s.SetFaults(Faults{QPS: 2})
	c := newTC(t, s)
	var ok, throttled int
	for i := 0; i < 6; i++ {
		r := c.call("DescribeDomains")
		switch {
		case r.Status == 200:
			ok++
		case r.Status == 429 && r.code() == "Throttling.User":
			if !strings.Contains(r.Header.Get("x-ratelimit-user-api"), "TimeLeft:") {
				t.Fatalf("no rate-limit header: %v", r.Header)
			}
			throttled++
		default:
			t.Fatalf("unexpected %d %s", r.Status, r.Raw)
		}
	}
	if ok < 2 || throttled == 0 {
		t.Fatalf("ok=%d throttled=%d", ok, throttled)
	}
	time.Sleep(600 * time.Millisecond)
	mustOK(t, c.call("DescribeDomains"))
	n := 0
	for _, call := range s.Calls() {
		if call.Code == "Throttling.User" && call.Status == 429 {
			n++
		}
	}
	if n != throttled {
		t.Fatalf("logged %d throttled calls, saw %d", n, throttled)
	}
}

func TestFaultWriteWindow(t *testing.T) {
	s := newSim(t)
	s.AddZone("other.com", EditionFree)
	s.SetFaults(Faults{WriteWindow: 300 * time.Millisecond})
	c := newTC(t, s)
	add := func(zone, rr string) resp {
		return c.call("AddDomainRecord", "DomainName", zone, "RR", rr, "Type", "TXT", "Value", "v")
	}
	mustOK(t, add("example.com", "a"))
	mustErr(t, add("example.com", "b"), 400, "LastOperationNotFinished")
	mustOK(t, add("other.com", "b")) // other zones are independent
	mustOK(t, c.call("DescribeDomainRecords", "DomainName", "example.com"))
	time.Sleep(350 * time.Millisecond)
	mustOK(t, add("example.com", "b"))

	// Concurrent writes to one zone: exactly one wins within the window.
	s.AddZone("third.com", EditionFree)
	s.SetFaults(Faults{WriteWindow: 5 * time.Second})
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[string]int{}
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := newTC(t, s).call("AddDomainRecord", "DomainName", "third.com", "RR", fmt.Sprint("c", i), "Type", "TXT", "Value", "v")
			mu.Lock()
			codes[r.code()]++
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	if codes[""] != 1 || codes["LastOperationNotFinished"] != 7 {
		t.Fatalf("codes = %v", codes)
	}
}

func TestFaultErrorRate(t *testing.T) {
	s := newSim(t)
	s.SetFaults(Faults{ErrorRate: 1, Seed: 7})
	c := newTC(t, s)
	seen := map[string]int{}
	for i := 0; i < 20; i++ {
		r := c.call("AddDomainRecord", "DomainName", "example.com", "RR", fmt.Sprint("r", i), "Type", "A", "Value", "192.0.2.1")
		switch r.code() {
		case "InternalError":
			if r.Status != 500 {
				t.Fatalf("InternalError status %d", r.Status)
			}
		case "ServiceUnavailable":
			if r.Status != 503 {
				t.Fatalf("ServiceUnavailable status %d", r.Status)
			}
		default:
			t.Fatalf("unexpected %s", r.Raw)
		}
		seen[r.code()]++
	}
	if len(seen) != 2 || len(s.Records("example.com")) != 0 {
		t.Fatalf("seen %v, records %d", seen, len(s.Records("example.com")))
	}
}

func TestFaultDropAndLatency(t *testing.T) {
	s := newSim(t)
	s.SetFaults(Faults{DropRate: 1})
	hc := s.Client()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/?Action=DescribeDomains", nil)
	if res, err := hc.Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("expected a transport error, got %d", res.StatusCode)
	}
	calls := s.Calls()
	if len(calls) == 0 || calls[len(calls)-1].Code != CodeDropped || calls[len(calls)-1].Status != 0 {
		t.Fatalf("calls = %+v", calls)
	}
	s.SetFaults(Faults{Latency: 150 * time.Millisecond, LatencyJitter: 50 * time.Millisecond})
	start := time.Now()
	mustOK(t, newTC(t, s).call("DescribeDomains"))
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("latency not applied: %v", d)
	}
}

func TestScriptedFaults(t *testing.T) {
	s := newSim(t)
	c := newTC(t, s)
	add := func(rr string) resp {
		return c.call("AddDomainRecord", "DomainName", "example.com", "RR", rr, "Type", "TXT", "Value", "v")
	}
	s.FailNext("AddDomainRecord", "Throttling.User", 0)
	s.FailNext("", "InternalError", 502)
	// Entries are matched in order: DescribeDomains skips the
	// AddDomainRecord entry and takes the "" one.
	mustErr(t, c.call("DescribeDomains"), 502, "InternalError")
	mustOK(t, c.call("DescribeDomains"))
	mustErr(t, add("a"), 429, "Throttling.User")
	mustOK(t, add("a"))

	s.FailNextAfterApply("AddDomainRecord", "ServiceUnavailable", 0)
	mustErr(t, add("b"), 503, "ServiceUnavailable")
	if n := len(s.Records("example.com")); n != 2 {
		t.Fatalf("after-apply failure did not apply: %d records", n)
	}
	mustErr(t, add("b"), 400, "DomainRecordDuplicate")

	s.DropNextAfterApply("DeleteSubDomainRecords")
	r, err := rawCall(s, "DeleteSubDomainRecords", "DomainName", "example.com", "RR", "b")
	if err == nil {
		t.Fatalf("expected a dropped connection, got %d %s", r.StatusCode, r.Status)
	}
	if n := len(s.Records("example.com")); n != 1 {
		t.Fatalf("drop-after-apply did not apply: %d records", n)
	}
}

// signedURL is the URL of an RPC-signed POST of action with the default
// key and the business parameters kv (name, value, ...).
func signedURL(s *Server, action string, kv ...string) string {
	p := map[string]string{
		"Action": action, "Version": "2015-01-09", "Format": "JSON", "AccessKeyId": DefaultAccessKeyID,
		"SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "SignatureNonce": tNonce(),
		"Timestamp": time.Now().UTC().Format("2006-01-02T15:04:05Z"),
	}
	for i := 0; i+1 < len(kv); i += 2 {
		p[kv[i]] = kv[i+1]
	}
	_, p["Signature"] = tRPCSignature("POST", DefaultAccessKeySecret, p)
	return s.URL + "/?" + tSortedPairs(p)
}

// rawCall performs a signed call and returns the raw transport result.
func rawCall(s *Server, action string, kv ...string) (*http.Response, error) {
	res, err := s.Client().Post(signedURL(s, action, kv...), "", nil)
	if err == nil {
		res.Body.Close()
	}
	return res, err
}

func TestDebugEndpoints(t *testing.T) {
	s := newSim(t)
	s.PutRecord("example.com", Record{RR: "www", Type: "A", Value: "192.0.2.1"})
	mustOK(t, newTC(t, s).call("DescribeDomains"))
	get := func(path string, out any) {
		t.Helper()
		res, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	var recs []Record
	get("/_sim/records?zone=example.com", &recs)
	if len(recs) != 1 || recs[0].Value != "192.0.2.1" {
		t.Fatalf("records = %+v", recs)
	}
	var calls struct {
		Total    int
		ByAction map[string]int
	}
	get("/_sim/calls", &calls)
	if calls.Total != 1 || calls.ByAction["DescribeDomains"] != 1 {
		t.Fatalf("calls = %+v", calls)
	}
	var snap Snapshot
	get("/_sim/state", &snap)
	if len(snap.Zones) != 1 || len(snap.Records) != 1 {
		t.Fatalf("state = %+v", snap)
	}
	res, err := http.Post(s.URL+"/_sim/faults", "application/json", bytes.NewBufferString(`{"QPS":5,"Latency":"20ms","WriteWindow":1000000}`))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("post faults: %v %v", err, res)
	}
	res.Body.Close()
	if f := s.CurrentFaults(); f.QPS != 5 || f.Latency != 20*time.Millisecond || f.WriteWindow != time.Millisecond {
		t.Fatalf("faults = %+v", f)
	}
	res, err = http.Post(s.URL+"/_sim/fail-next", "application/json", bytes.NewBufferString(`{"Action":"DescribeDomains","Code":"InternalError"}`))
	if err != nil || res.StatusCode != 204 {
		t.Fatalf("post fail-next: %v %v", err, res)
	}
	res.Body.Close()
	mustErr(t, newTC(t, s).call("DescribeDomains"), 500, "InternalError")
	req, _ := http.NewRequest(http.MethodDelete, s.URL+"/_sim/calls", nil)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 204 {
		t.Fatalf("delete calls: %v", err)
	}
	if s.CallCount("") != 0 {
		t.Fatal("calls not reset")
	}
	res, err = http.Post(s.URL+"/_sim/zones", "application/json", bytes.NewBufferString(`{"Name":"seeded.test","Edition":"version_enterprise_advanced"}`))
	if err != nil || res.StatusCode != 204 {
		t.Fatalf("post zone: %v %v", err, res)
	}
	res.Body.Close()
	res, err = http.Post(s.URL+"/_sim/records?zone=seeded.test", "application/json", bytes.NewBufferString(`{"RR":"x","Type":"TXT","Value":"v","TTL":1}`))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("post record: %v %v", err, res)
	}
	res.Body.Close()
	if recs := s.Records("seeded.test"); len(recs) != 1 || recs[0].TTL != 1 || recs[0].RecordID == "" {
		t.Fatalf("seeded = %+v", recs)
	}
	res, _ = http.Post(s.URL+"/_sim/records?zone=missing.test", "application/json", bytes.NewBufferString(`{}`))
	if res.StatusCode != 404 {
		t.Fatalf("record in missing zone: %d", res.StatusCode)
	}
	res.Body.Close()
	var f Faults
	get("/_sim/faults", &f)
	if f.QPS != 5 {
		t.Fatalf("faults = %+v", f)
	}
}
