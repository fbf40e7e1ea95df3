package alidns

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/caddy-alidns/alidns/alidnstest"
)

// silentDNS is a name server on loopback that never answers: a server
// that never shows the test record, so the visibility wait can only end
// by its time limit or by cancellation, never by a race. The returned
// channel is closed when it is first asked for a TXT record, i.e. when the
// wait has begun.
func silentDNS(t *testing.T) (addr string, asked <-chan struct{}) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	ch := make(chan struct{})
	var once sync.Once
	go func() {
		buf := make([]byte, 4096)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			m := new(dns.Msg)
			if m.Unpack(buf[:n]) == nil && len(m.Question) == 1 && m.Question[0].Qtype == dns.TypeTXT {
				once.Do(func() { close(ch) })
			}
		}
	}()
	return pc.LocalAddr().String(), ch
}

// The visibility wait ends early enough within the check's time limit to
// leave the deletion its time, and the deletion runs on its own context:
// with a server that never shows the record, a --timeout shorter than
// propagation_timeout still ends with the test record deleted, and the
// report says the wait was cut short and why, not that the endpoint is
// unreachable (issue 15, item 1).
func TestCheckDeletesTestRecordWhenTheWaitOutlastsTimeout(t *testing.T) {
	isolateCredentialEnv(t)
	s := dnsSim(t, "example.com")
	silent, _ := silentDNS(t)
	out, res, err := dnsCheck(t, s, "www.example.com", checkOptions{Authoritative: []string{silent}, PropagationTimeout: time.Minute, Timeout: 3 * time.Second})
	if !errors.Is(err, errChecksFailed) {
		t.Fatalf("err = %v\n%s", err, out)
	}
	t.Logf("\n%s", out)
	wantLines(t, out,
		"✓ create TXT",
		"✗ visibility     authoritative "+silent+" did not answer the test record within",
		"the wait cut short of propagation_timeout 1m0s to leave time for deleting the test record",
		"what to do: raise --timeout (now 3s)",
		"✓ delete TXT     deleted record")
	if strings.Contains(out, "reachable") {
		t.Error("blames the endpoint")
	}
	if recs := s.Records("example.com"); len(recs) != 0 {
		t.Errorf("records left: %+v", recs)
	}
	if res.TestRecord == nil || res.TestRecord.Left != "" {
		t.Errorf("test record outcome %+v", res.TestRecord)
	}
}

// With --config, every name gets the whole --timeout: the first name's
// long wait does not leave the next one without time (issue 15, item 1).
func TestCheckConfigGivesEachNameItsOwnTimeout(t *testing.T) {
	isolateCredentialEnv(t)
	s := dnsSim(t, "example.com", "example.org")
	silent, _ := silentDNS(t)
	t.Setenv("ALICLOUD_ACCESS_KEY", modKeyID)
	t.Setenv("ALICLOUD_SECRET_KEY", modKeySecret)
	caddyfile := filepath.Join(t.TempDir(), "Caddyfile")
	writeFile(t, caddyfile, fmt.Sprintf(`{
	acme_dns alidns {
		endpoint %s
	}
}
www.example.com, www.example.org {
	respond "hi"
}
`, s.URL))
	out, err := run(t, "alidns", "check", "--config", caddyfile, "--resolvers", s.DNSAddr, "--authoritative", silent,
		"--propagation-timeout", "1m", "--timeout", "4s", "--json")
	if !errors.Is(err, errChecksFailed) {
		t.Fatalf("err = %v\n%s", err, out)
	}
	t.Logf("\n%s", out)
	var results []checkResult
	if err := json.Unmarshal([]byte(out), &results); err != nil || len(results) != 2 {
		t.Fatalf("%v: %d results", err, len(results))
	}
	for _, res := range results {
		// Each name waits for the silent server until 3 s (4 s less the
		// quarter kept for the deletion) into its own check; sharing one
		// 4 s budget, the second name would have less than 1 s. 2 s
		// leaves 1 s of slack for a loaded machine on either side.
		var waited time.Duration
		for _, v := range res.Visibility {
			if v.Server == silent {
				waited = v.After
			}
		}
		if waited < 2*time.Second {
			t.Errorf("%s: waited %s for the silent server, want its own budget", res.Domain, waited)
		}
		if res.TestRecord == nil || res.TestRecord.Left != "" || !strings.Contains(fmt.Sprint(res.Steps), "the wait cut short of propagation_timeout 1m0s") {
			t.Errorf("%s: %+v", res.Domain, res)
		}
	}
	if strings.Contains(out, "deadline exceeded") {
		t.Error("a name ran out of time before its wait")
	}
	for _, z := range []string{"example.com", "example.org"} {
		if recs := s.Records(z); len(recs) != 0 {
			t.Errorf("records left in %s: %+v", z, recs)
		}
	}
}

// Ctrl-C during the visibility wait of a real `caddy alidns check`
// process: the wait ends, the test record is still deleted, and the
// process exits non-zero saying so (issue 15, item 1; it exited at once
// with status 130 and left the record). The test binary re-executes
// itself as caddy (TestMain); a name server that never answers holds the
// wait, and the signal is sent once it has been asked.
func TestCheckInterruptedStillDeletesTestRecord(t *testing.T) {
	isolateCredentialEnv(t)
	s := dnsSim(t, "example.com")
	silent, asked := silentDNS(t)
	args := []string{"alidns", "check", "www.example.com", "--endpoint", s.URL, "--resolvers", s.DNSAddr,
		"--authoritative", silent, "--propagation-timeout", "10m"}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), commandChildEnv+"="+strings.Join(args, "\x1f"),
		"ALICLOUD_ACCESS_KEY="+modKeyID, "ALICLOUD_SECRET_KEY="+modKeySecret)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-asked:
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("the wait never began\n%s\n%s", stdout.String(), stderr.String())
	}
	if n := len(s.Records("example.com")); n != 1 {
		t.Fatalf("%d records in the zone during the wait, want the test record", n)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	err := cmd.Wait()
	t.Logf("exit %v %s after SIGINT\nstdout:\n%s\nstderr:\n%s", err, time.Since(sent).Round(time.Millisecond), stdout.String(), stderr.String())
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("exit: %v, want status 1", err)
	}
	wantLines(t, stdout.String(), "✓ create TXT", "- visibility     authoritative "+silent+": not seen when the wait ended",
		"interrupted (interrupt signal received)", "✓ delete TXT     deleted record", "✗ stopped")
	wantLines(t, stderr.String(), "interrupt signal received: stopped; the test record was removed")
	assertNoCommandSecrets(t, stdout.String()+stderr.String())
	if recs := s.Records("example.com"); len(recs) != 0 {
		t.Errorf("records left after Ctrl-C: %+v", recs)
	}
	if n := s.CallCount("DeleteDomainRecord"); n != 1 {
		t.Errorf("%d DeleteDomainRecord calls", n)
	}
}

// An add whose answer is lost and that the provider cannot settle (its
// lookup failed) may have created the record: the check deletes it by
// name and value instead of reporting that nothing was created (issue 15,
// items 1 and 3).
func TestCheckLostAddAnswerIsDeletedByValue(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	s.Inject(alidnstest.Injection{Action: "AddDomainRecord", AfterApply: true, Kind: alidnstest.FaultReset})
	p := keyProvider(s, modKeySecret)
	// The provider's own lookup after the lost answer fails (once): the
	// fault is queued when the add goes out, after the check's earlier
	// lookups.
	var once sync.Once
	p.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Header.Get("X-Acs-Action") == "AddDomainRecord" {
			once.Do(func() {
				s.Inject(alidnstest.Injection{Action: "DescribeSubDomainRecords", Kind: alidnstest.FaultAPIError, Code: "InvalidParameter"})
			})
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	out, err := checkWith(t, p, "www.example.com", false)
	if !errors.Is(err, errChecksFailed) {
		t.Fatalf("err = %v\n%s", err, out)
	}
	t.Logf("\n%s", out)
	wantLines(t, out,
		"✗ create TXT",
		"then: the request may have been applied; the record may exist",
		"the answer to the add was lost: AliDNS may have created the record, so it is deleted by name and value",
		"✓ delete TXT     the add had created the test record: deleted record")
	if strings.Contains(out, "nothing was created") {
		t.Error("says nothing was created")
	}
	if recs := s.Records("example.com"); len(recs) != 0 {
		t.Errorf("records left: %+v", recs)
	}
}

// Under the README's minimal policy (AddDomainRecord and
// DeleteDomainRecord only) a lost add answer cannot be looked up: the
// report says exactly what may be left and how to remove it, never that
// nothing was created (issue 15, item 3).
func TestCheckLostAddAnswerUnderMinimalPolicy(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	s.AllowActions(modKeyID, "AddDomainRecord", "DeleteDomainRecord")
	s.Inject(alidnstest.Injection{Action: "AddDomainRecord", AfterApply: true, Kind: alidnstest.FaultReset})
	var buf bytes.Buffer
	p := keyProvider(s, modKeySecret)
	p.Retry = fastRetry
	res, err := runCheckReport(ctx(t), checkOptions{commandOptions: commandOptions{Provider: p}, Domain: "www.example.com"}, &buf)
	out := buf.String()
	if !errors.Is(err, errChecksFailed) {
		t.Fatalf("err = %v\n%s", err, out)
	}
	t.Logf("\n%s", out)
	recs := s.Records("example.com")
	if len(recs) != 1 {
		t.Fatalf("zone holds %+v, want the test record the lost add created", recs)
	}
	wantLines(t, out,
		"✗ delete TXT     cannot find out whether the add created the test record: alidns:DescribeSubDomainRecords is not allowed",
		fmt.Sprintf("the test record may be left in zone example.com: TXT _acme-challenge.www.example.com (value %q); delete it in the AliDNS console", recs[0].Value),
		"run caddy alidns check again with DescribeSubDomainRecords allowed, which removes it")
	if strings.Contains(out, "nothing was created") {
		t.Error("says nothing was created")
	}
	if res.TestRecord == nil || res.TestRecord.Left != "maybe" || res.TestRecord.Value != recs[0].Value {
		t.Errorf("test record outcome %+v", res.TestRecord)
	}
}

// The check's own test records carry a recognisable value: one left by an
// earlier run is removed on the next, not reported as a leftover of
// earlier challenges; other TXT records at the name are left alone
// (issue 15, item 4).
func TestCheckRemovesItsOwnLeftovers(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	old := newTestValue()
	s.PutRecord("example.com", alidnstest.Record{RR: "_acme-challenge.www", Type: "TXT", Value: old})
	s.PutRecord("example.com", alidnstest.Record{RR: "_acme-challenge.www", Type: "TXT", Value: "a-real-challenge"})
	out, err := checkWith(t, keyProvider(s, modKeySecret), "www.example.com", true)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	wantLines(t, out, "! leftovers      1 test record(s) of an earlier caddy alidns check", "run it without --read-only to remove them")
	if n := len(s.Records("example.com")); n != 2 {
		t.Errorf("--read-only removed records: %d left", n)
	}
	out, err = checkWith(t, keyProvider(s, modKeySecret), "www.example.com", false)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("\n%s", out)
	wantLines(t, out,
		"✓ existing       1 TXT record(s) already at _acme-challenge.www.example.com",
		"✓ leftovers      removed 1 test record(s) of an earlier caddy alidns check",
		"✓ delete TXT     deleted record")
	recs := s.Records("example.com")
	if len(recs) != 1 || recs[0].Value != "a-real-challenge" {
		t.Errorf("zone holds %+v, want only the other TXT record", recs)
	}
	if isTestValue("a-real-challenge") || !isTestValue(old) || !isTestValue(`"`+old+`"`) {
		t.Error("isTestValue")
	}
}

// No test record is created once the zone step has failed: the record
// would go to a zone Caddy does not write to (issue 15, item 4).
func TestCheckCreatesNothingAfterTheZoneStepFailed(t *testing.T) {
	isolateCredentialEnv(t)
	s := dnsSim(t, "example.com")
	child := dnsSim(t, "shop.example.com")
	out, _, err := dnsCheck(t, s, "www.shop.example.com", checkOptions{Resolvers: []string{child.DNSAddr}})
	if !errors.Is(err, errChecksFailed) {
		t.Fatalf("err = %v\n%s", err, out)
	}
	wantLines(t, out,
		"✗ DNS zone",
		"- create TXT     not created: Caddy writes the challenge to shop.example.com, which this account does not hold",
		"- delete TXT     skipped: nothing was created")
	if n := s.CallCount("AddDomainRecord"); n != 0 {
		t.Errorf("%d AddDomainRecord calls", n)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
