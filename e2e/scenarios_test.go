package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddy-alidns/alidns/e2e/harness"
)

// TestApexAndWildcard obtains certificates for example.test and
// *.example.test in one site: both challenges live at _acme-challenge at
// the same time, with different values.
func TestApexAndWildcard(t *testing.T) {
	e := setup(t, 3*time.Minute, setupOptions{})
	p := e.caddyPorts()
	cfg := e.globals(p) + fmt.Sprintf("\n%s:%d, *.%s:%d {\n\treverse_proxy 127.0.0.1:%d\n%s}\n",
		zone, p.https, zone, p.https, e.backend.Port, e.dnsTLS())

	// Watch the zone while the certificates are obtained: the most
	// challenge records present at the apex name at once.
	var mu sync.Mutex
	maxAtApex, values := 0, map[string]bool{}
	wctx, stopWatch := context.WithCancel(e.ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for wctx.Err() == nil {
			if recs, err := e.sim.ChallengeRecords(wctx, zone); err == nil {
				n := 0
				mu.Lock()
				for _, r := range recs {
					if r.RR == "_acme-challenge" {
						n++
						values[r.Value] = true
					}
				}
				maxAtApex = max(maxAtApex, n)
				mu.Unlock()
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()

	caddy := e.startCaddy(harness.CaddyOptions{Config: e.writeCaddyfile("caddy", cfg), EnvFile: e.keyEnvFile()})
	apex := e.waitHTTPS(caddy, fmt.Sprintf("https://%s:%d/", zone, p.https))
	secs := since(caddy)
	sub := e.waitHTTPS(caddy, fmt.Sprintf("https://www.%s:%d/", zone, p.https))
	stopWatch()
	wg.Wait()
	e.checkIssuedByPebble(apex, zone)
	e.checkIssuedByPebble(sub, "www."+zone)
	if !contains(sub.Leaf.DNSNames, "*."+zone) {
		t.Errorf("www.%s was served a certificate for %v, want the wildcard", zone, sub.Leaf.DNSNames)
	}
	if maxAtApex != 2 || len(values) != 2 {
		t.Errorf("at most %d TXT records at _acme-challenge.%s at once (%d distinct values), want 2 at once", maxAtApex, zone, len(values))
	}
	e.waitNoChallengeRecords()
	calls := e.calls()
	requireCalls(t, calls, map[string]int{"AddDomainRecord": 2, "DeleteDomainRecord": 2})
	e.checkNoSecret(e.secret)
	record(e.result(2, "2. apex + wildcard in one site", 2, secs,
		fmt.Sprintf("%d TXT records at _acme-challenge at once", maxAtApex)))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestManyHostnamesUnderThrottling obtains 20 certificates at once while
// the simulator allows 5 calls per second and fails 10% of calls with
// HTTP 500/503.
func TestManyHostnamesUnderThrottling(t *testing.T) {
	seed := rand.Int64N(1<<62) + 1
	t.Logf("simulator fault seed %d", seed)
	e := setup(t, 5*time.Minute, setupOptions{simArgs: []string{"-qps", "5", "-error-rate", "0.1", "-seed", strconv.FormatInt(seed, 10)}})
	p := e.caddyPorts()
	var names []string
	for i := 1; i <= 20; i++ {
		names = append(names, fmt.Sprintf("h%02d.%s", i, zone))
	}
	var addrs []string
	for _, n := range names {
		addrs = append(addrs, fmt.Sprintf("%s:%d", n, p.https))
	}
	cfg := e.globals(p) + fmt.Sprintf("\n%s {\n\treverse_proxy 127.0.0.1:%d\n%s}\n", strings.Join(addrs, ", "), e.backend.Port, e.dnsTLS())
	caddy := e.startCaddy(harness.CaddyOptions{Config: e.writeCaddyfile("caddy", cfg), EnvFile: e.keyEnvFile()})

	// Wait for all names concurrently; note the first success.
	type done struct {
		name string
		secs float64
		err  error
	}
	ch := make(chan done, len(names))
	for _, n := range names {
		go func() {
			res, err := harness.WaitHTTPS(e.ctx, e.pebble.Roots, fmt.Sprintf("https://%s:%d/", n, p.https), "hello from the backend", 60*time.Second, alive(caddy))
			if err == nil && (res.Leaf == nil || res.Leaf.VerifyHostname(n) != nil) {
				err = fmt.Errorf("%s: wrong certificate", n)
			}
			ch <- done{n, since(caddy), err}
		}()
	}
	first, last := -1.0, 0.0
	for range names {
		d := <-ch
		if d.err != nil {
			t.Error(d.err)
			continue
		}
		if first < 0 || d.secs < first {
			first = d.secs
		}
		last = max(last, d.secs)
	}
	if t.Failed() {
		t.FailNow()
	}
	e.waitNoChallengeRecords()
	calls := e.calls()
	requireCalls(t, calls, map[string]int{"AddDomainRecord": 20, "DeleteDomainRecord": 20})
	codes := harness.CountCodes(calls)
	injected := 0
	for code, n := range codes {
		if code == "Throttling.User" || code == "InternalError" || code == "ServiceUnavailable" {
			injected += n
		}
	}
	if injected == 0 {
		t.Errorf("no injected fault was hit (codes %v): the scenario did not test what it claims", codes)
	}
	t.Logf("all 20 certificates after %.1f s; failed calls by code: %v", last, codes)
	// The plugin's retries must absorb the faults: no order may fail
	// (Caddy would retry it only a minute later).
	if n := countOutput(caddy.Output(), "could not get certificate from issuer"); n > 0 {
		t.Errorf("%d failed attempts to obtain a certificate (see the error lines below)", n)
	}
	for _, l := range strings.Split(caddy.Output(), "\n") {
		if strings.Contains(l, `"level":"error"`) || strings.Contains(l, `"level":"warn"`) && !strings.Contains(l, "requires TLS") {
			t.Logf("caddy: %s", l)
		}
	}
	e.checkNoSecret(e.secret)
	record(e.result(3, "3. 20 hostnames, simulator at 5 QPS with 10% HTTP 500/503", 20, first,
		fmt.Sprintf("all 20 served after %.1f s; failures by code: %s", last, formatCodes(codes))))
}

func formatCodes(codes map[string]int) string {
	if len(codes) == 0 {
		return "none"
	}
	return harness.FormatCalls(codes, nil)
}

// TestRenewal serves a certificate from a Pebble profile that lives 60 s;
// Caddy renews it by itself, through DNS-01 again, and serves the new one.
func TestRenewal(t *testing.T) {
	const lifetime = 60 * time.Second
	e := setup(t, 4*time.Minute, setupOptions{profiles: map[string]time.Duration{"shortlived": lifetime}})
	p := e.caddyPorts()
	const host = "renew.example.test"
	cfg := e.globals(p, "renew_interval 2s") + fmt.Sprintf(`
%s:%d {
	reverse_proxy 127.0.0.1:%d
	tls {
		issuer acme {
			dir %s
			trusted_roots %s
			profile shortlived
			dns alidns
			resolvers %s
			propagation_timeout 60s
		}
	}
}
`, host, p.https, e.backend.Port, e.pebble.DirectoryURL, e.pebble.MinicaFile, e.sim.DNSAddr)
	caddy := e.startCaddy(harness.CaddyOptions{Config: e.writeCaddyfile("caddy", cfg), EnvFile: e.keyEnvFile()})
	url := fmt.Sprintf("https://%s:%d/", host, p.https)
	first := e.waitHTTPS(caddy, url)
	secs := since(caddy)
	e.checkIssuedByPebble(first, host)
	if got := first.Leaf.NotAfter.Sub(first.Leaf.NotBefore).Round(time.Second); got > lifetime {
		t.Fatalf("certificate lifetime %s, want the profile's %s", got, lifetime)
	}
	serial := first.Leaf.SerialNumber.String()

	// Poll until a different certificate is served and a renewal went
	// through a DNS challenge: Pebble v2.10.3 can reuse a valid
	// authorization even at PEBBLE_AUTHZREUSE=0 (wfe.go reuses unless
	// rand.Intn(100) > authzReusePercent, and Intn can return 0), and a
	// renewal on a reused authorization never calls the plugin (seen:
	// 2 of 14 runs renewed with one AddDomainRecord in all).
	var renewed *harness.Response
	deadline := time.Now().Add(2*lifetime + 30*time.Second)
	for renewed == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the certificate (serial %s, expiring %s) was not renewed in time", serial, first.Leaf.NotAfter.Format(time.TimeOnly))
		}
		res, err := harness.Get(e.ctx, e.pebble.Roots, url)
		if err == nil && res.Leaf != nil && res.Leaf.SerialNumber.String() != serial && strings.Contains(res.Body, "hello from the backend") {
			if _, ok := harness.CountCalls(e.calls()); ok["AddDomainRecord"] >= 2 {
				renewed = res
				break
			}
		}
		if err := alive(caddy)(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	renewedAfter := time.Since(first.Leaf.NotBefore).Seconds()
	e.checkIssuedByPebble(renewed, host)
	if !renewed.Leaf.NotBefore.After(first.Leaf.NotBefore) {
		t.Errorf("renewed certificate NotBefore %s is not after the first one's %s", renewed.Leaf.NotBefore, first.Leaf.NotBefore)
	}
	if !strings.Contains(caddy.Output(), "certificate renewed successfully") {
		t.Error(`caddy did not log "certificate renewed successfully"`)
	}
	// Renewals keep coming every few tens of seconds; between them the
	// zone must be clean.
	e.waitNoChallengeRecords()
	calls := e.calls()
	requireCalls(t, calls, map[string]int{"AddDomainRecord": 2, "DeleteDomainRecord": 2})
	e.checkNoSecret(e.secret)
	_, ok := harness.CountCalls(calls)
	record(e.result(4, "4. renewal of a 60 s certificate (Pebble profile)", ok["AddDomainRecord"], secs,
		fmt.Sprintf("renewed certificate served %.0f s after the first was issued (Caddy picks the time at random in Pebble's renewal window, which spans the whole lifetime); renew_interval 2s", renewedAfter)))
}

// TestSharedStorage runs two caddy instances on one storage folder, each
// serving the same name on its own port: Caddy's storage locking lets one
// of them obtain the certificate, and both serve it.
func TestSharedStorage(t *testing.T) {
	e := setup(t, 3*time.Minute, setupOptions{})
	const host = "shared.example.test"
	storage := e.dir + "/shared-storage"
	envFile := e.keyEnvFile()
	var caddies []*harness.Proc
	var urls []string
	for i := range 2 {
		p := e.caddyPorts()
		cfg := e.globals(p, "storage file_system "+storage) +
			fmt.Sprintf("\n%s:%d {\n\treverse_proxy 127.0.0.1:%d\n%s}\n", host, p.https, e.backend.Port, e.dnsTLS())
		name := fmt.Sprintf("caddy%d", i+1)
		caddies = append(caddies, e.startCaddy(harness.CaddyOptions{Name: name, Config: e.writeCaddyfile(name, cfg), EnvFile: envFile}))
		urls = append(urls, fmt.Sprintf("https://%s:%d/", host, p.https))
	}
	var serials []string
	var secs float64
	for i, c := range caddies {
		res := e.waitHTTPS(c, urls[i])
		if i == 0 {
			secs = since(c)
		}
		e.checkIssuedByPebble(res, host)
		serials = append(serials, res.Leaf.SerialNumber.String())
	}
	if serials[0] != serials[1] {
		t.Errorf("the instances serve different certificates (serials %v): storage was not shared", serials)
	}
	obtained := 0
	for _, c := range caddies {
		obtained += countOutput(c.Output(), "certificate obtained successfully")
	}
	if obtained != 1 {
		t.Errorf("%d certificates obtained by the two instances, want 1", obtained)
	}
	e.waitNoChallengeRecords()
	calls := e.calls()
	_, ok := harness.CountCalls(calls)
	if ok["AddDomainRecord"] != 1 || ok["DeleteDomainRecord"] != 1 {
		t.Errorf("AddDomainRecord %d, DeleteDomainRecord %d successful calls, want 1 each (one issuance)", ok["AddDomainRecord"], ok["DeleteDomainRecord"])
	}
	e.checkNoSecret(e.secret)
	record(e.result(5, "5. two caddy instances sharing one storage folder", 1, secs,
		"one issuance; both instances serve the same certificate"))
}
