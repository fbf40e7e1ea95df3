package e2e

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddy-alidns/alidns/e2e/harness"
)

// TestCheckConfigMinimalPolicy runs the README's check on the config
// `make demo` runs (the quick start with the demo's CA and resolver),
// with the AccessKey restricted to the strict minimum of the README's RAM
// policy section (AddDomainRecord and DeleteDomainRecord): caddy alidns
// check --config Caddyfile --envfile alidns.env exits 0 with warnings only
// and reports the delegation, the test record's visibility and the
// timings. Its output is the sample shown in docs/check.md.
func TestCheckConfigMinimalPolicy(t *testing.T) {
	e := setup(t, 3*time.Minute, setupOptions{simArgs: []string{"-allow-actions", "AddDomainRecord,DeleteDomainRecord"}})
	p := e.caddyPorts()
	env := map[string]string{
		"DEMO_HTTP_PORT":    strconv.Itoa(p.http),
		"DEMO_HTTPS_PORT":   strconv.Itoa(p.https),
		"DEMO_BACKEND_PORT": strconv.Itoa(e.backend.Port),
		"DEMO_ACME_CA":      e.pebble.DirectoryURL,
		"DEMO_ACME_CA_ROOT": e.pebble.MinicaFile,
		"DEMO_RESOLVER":     e.sim.DNSAddr,
	}
	envFile := e.keyEnvFile()
	out, took, err := harness.CaddyCommand(e.ctx, tools, e.dir, env, "alidns", "check", "--config", demoCaddyfile(), "--envfile", envFile)
	t.Logf("caddy alidns check took %s:\n%s", took.Round(time.Millisecond), out)
	if err != nil {
		t.Fatalf("exit: %v", err)
	}
	for _, want := range []string{
		"Checking AliDNS for host.example.test",
		"! zones          alidns:DescribeDomains is not allowed",
		"! lookup         alidns:DescribeSubDomainRecords is not allowed",
		"✓ DNS zone       _acme-challenge.host.example.test is in zone example.test",
		"✓ delegation     example.test is delegated to dns1.hichina.com, dns2.hichina.com",
		"✓ create TXT",
		"✓ visibility     resolver " + e.sim.DNSAddr + " answers the test record after",
		"✓ delete TXT",
		"All checks passed (2 warning(s))",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out, "✗") {
		t.Error("a step failed")
	}

	// --json: the same, machine-readable, with the timings.
	out, took, err = harness.CaddyCommand(e.ctx, tools, e.dir, env, "alidns", "check", "--config", demoCaddyfile(), "--envfile", envFile, "--json")
	if err != nil {
		t.Fatalf("--json exit: %v\n%s", err, out)
	}
	var results []struct {
		Domain, Zone string
		Passed       bool
		Warnings     int
		Visibility   []struct {
			Server, Kind string
			After        time.Duration `json:"after_ns"`
			Seen         bool
		}
		NameServers []string      `json:"name_servers"`
		Elapsed     time.Duration `json:"elapsed_ns"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "["):]), &results); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(results) != 1 || !results[0].Passed || results[0].Zone != "example.test" || len(results[0].Visibility) == 0 || !results[0].Visibility[0].Seen {
		t.Fatalf("results %+v", results)
	}
	t.Logf("check --json: %s in total (command %s), record visible at %s after %s; NS %v",
		results[0].Elapsed.Round(time.Millisecond), took.Round(time.Millisecond), results[0].Visibility[0].Server, results[0].Visibility[0].After, results[0].NameServers)
	e.waitNoChallengeRecords()
	e.checkNoSecret(e.secret)
}
