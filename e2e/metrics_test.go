package e2e

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/caddy-alidns/alidns/e2e/harness"
)

// TestMetricsAtAdminEndpoint obtains one certificate and then finds the
// provider's API metrics at Caddy's admin /metrics: the challenge's
// AddDomainRecord and DeleteDomainRecord by action and code, and the
// request-duration histogram.
func TestMetricsAtAdminEndpoint(t *testing.T) {
	e := setup(t, 3*time.Minute, setupOptions{})
	p := e.caddyPorts()
	name := "metrics." + zone
	cfg := e.globals(p) + fmt.Sprintf("\n%s:%d {\n\treverse_proxy 127.0.0.1:%d\n%s}\n", name, p.https, e.backend.Port, e.dnsTLS())
	caddy := e.startCaddy(harness.CaddyOptions{Config: e.writeCaddyfile("caddy", cfg), EnvFile: e.keyEnvFile()})
	res := e.waitHTTPS(caddy, fmt.Sprintf("https://%s:%d/", name, p.https))
	e.checkIssuedByPebble(res, name)
	e.waitNoChallengeRecords()

	want := []string{
		`caddy_alidns_api_requests_total{action="AddDomainRecord",code="OK"} 1`,
		`caddy_alidns_api_requests_total{action="DeleteDomainRecord",code="OK"} 1`,
		`caddy_alidns_api_request_duration_seconds_count{action="AddDomainRecord"} 1`,
		`caddy_alidns_api_request_duration_seconds_bucket{action="DeleteDomainRecord",le="+Inf"} 1`,
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", p.admin)
	var body string
	deadline := time.Now().Add(20 * time.Second)
	for {
		body = get(t, url)
		missing := ""
		for _, w := range want {
			if !strings.Contains(body, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s lacks %s; its caddy_alidns lines:\n%s", url, missing, grepLines(body, "caddy_alidns"))
		}
		time.Sleep(250 * time.Millisecond)
	}
	if !regexp.MustCompile(`(?m)^# TYPE caddy_alidns_api_request_duration_seconds histogram$`).MatchString(body) {
		t.Errorf("no duration histogram:\n%s", grepLines(body, "caddy_alidns"))
	}
	t.Logf("sample scrape:\n%s", grepLines(body, "caddy_alidns_api_requests_total"))
	e.checkNoSecret(e.secret)
}

func get(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
