package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddy-alidns/alidns/e2e/harness"
)

// TestWrongSecret runs caddy with a wrong AccessKey secret: the challenge
// fails, Caddy logs AliDNS's error code and request id, keeps running, and
// prints no secret, even with debug logging on.
func TestWrongSecret(t *testing.T) {
	e := setup(t, 3*time.Minute, setupOptions{})
	p := e.caddyPorts()
	wrong := "e2eWrongSecret" + randomHex(12)
	envFile := e.envFile("alidns.env",
		"ALICLOUD_ACCESS_KEY", e.keyID,
		"ALICLOUD_SECRET_KEY", wrong,
		"ALIDNS_ENDPOINT", e.sim.APIURL)
	const host = "wrong.example.test"
	cfg := e.globals(p, "debug") + fmt.Sprintf("\n%s:%d {\n\treverse_proxy 127.0.0.1:%d\n%s}\n", host, p.https, e.backend.Port, e.dnsTLS())
	caddy := e.startCaddy(harness.CaddyOptions{Config: e.writeCaddyfile("caddy", cfg), EnvFile: envFile})

	// The simulator refuses the signature...
	var refused harness.SimCall
	for refused.RequestID == "" {
		for _, c := range e.calls() {
			if c.Action == "AddDomainRecord" && c.Code == "SignatureDoesNotMatch" {
				refused = c
				break
			}
		}
		if refused.RequestID != "" {
			break
		}
		if err := alive(caddy)(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-e.ctx.Done():
			t.Fatalf("no AddDomainRecord refused with SignatureDoesNotMatch; calls: %+v", e.calls())
		case <-time.After(200 * time.Millisecond):
		}
	}
	// ...and Caddy's log names the code and the request id.
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	if err := caddy.WaitOutput(ctx, refused.RequestID); err != nil {
		t.Fatalf("caddy did not log the request id of the refused call: %v", err)
	}
	secs := since(caddy)
	var logged string
	for _, l := range strings.Split(caddy.Output(), "\n") {
		if strings.Contains(l, refused.RequestID) && strings.Contains(l, "SignatureDoesNotMatch") && strings.Contains(l, `"level":"error"`) {
			logged = l
			break
		}
	}
	if logged == "" {
		t.Errorf("no error line names both SignatureDoesNotMatch and RequestId %s", refused.RequestID)
	} else {
		t.Logf("caddy logged: %s", logged)
	}

	// Caddy keeps running and serving.
	time.Sleep(2 * time.Second)
	if err := alive(caddy)(); err != nil {
		t.Fatalf("caddy stopped after the refused call: %v", err)
	}
	res, err := harness.Get(e.ctx, nil, fmt.Sprintf("http://127.0.0.1:%d/config/", p.admin))
	if err != nil || res.Status != http.StatusOK {
		t.Errorf("admin endpoint after the failure: %v %+v", err, res)
	}
	if recs, err := e.sim.ChallengeRecords(e.ctx, zone); err != nil || len(recs) != 0 {
		t.Errorf("records created with a wrong secret: %v %v", recs, err)
	}
	e.checkNoSecret(wrong, e.secret)
	record(e.result(6, "6a. wrong AccessKey secret", 0, -1,
		fmt.Sprintf("error with code SignatureDoesNotMatch and the RequestId logged %.1f s after start; caddy kept running; no secret in its output (debug logging on)", secs)))
}

// TestMissingCredentials checks that a config using the provider without
// any credentials (or with half an AccessKey) is refused at once by both
// `caddy validate` and `caddy run`, with a message saying what to set.
func TestMissingCredentials(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "Caddyfile")
	ports, err := harness.FreePorts(3)
	if err != nil {
		t.Fatal(err)
	}
	// The simulator is not needed: nothing may be called. The endpoint
	// points at a closed port to prove it.
	content := fmt.Sprintf("{\n\tadmin 127.0.0.1:%d\n\thttp_port %d\n\thttps_port %d\n}\nhost.example.test:%d {\n\trespond \"unreachable\"\n\ttls {\n\t\tdns alidns\n\t}\n}\n",
		ports[0], ports[1], ports[2], ports[2])
	if err := os.WriteFile(cfg, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		env  []string
		want []string
	}{
		// The message leads with the likely cause for a caddy started with
		// --envfile: the file does not set the variables.
		{"none", []string{"ALIDNS_ENDPOINT", "http://127.0.0.1:9"},
			[]string{"check the variable names in the --envfile file: no Alibaba Cloud credentials found (it sets no ALICLOUD_ACCESS_KEY/ALICLOUD_SECRET_KEY"}},
		{"id without secret", []string{"ALICLOUD_ACCESS_KEY", "E2EKeyOnlyTheID", "ALIDNS_ENDPOINT", "http://127.0.0.1:9"},
			[]string{"ALICLOUD_SECRET_KEY"}},
	}
	var notes []string
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			envFile := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".env")
			if err := harness.WriteEnvFile(envFile, c.env...); err != nil {
				t.Fatal(err)
			}
			home := filepath.Join(dir, "home-"+strings.ReplaceAll(c.name, " ", "-"))
			if err := os.MkdirAll(home, 0o755); err != nil {
				t.Fatal(err)
			}
			out, vd, err := harness.CaddyCommand(ctx, tools, home, nil, "validate", "--config", cfg, "--envfile", envFile)
			if err == nil {
				t.Fatalf("caddy validate accepted the config:\n%s", out)
			}
			checkRefusal(t, "caddy validate", out, vd, c.want)

			run, err := harness.StartCaddy(t, tools, harness.CaddyOptions{Name: "caddy-run", Config: cfg, EnvFile: envFile, Dir: home})
			if err != nil {
				t.Fatal(err)
			}
			rctx, rcancel := context.WithTimeout(ctx, 30*time.Second)
			defer rcancel()
			werr := run.Wait(rctx)
			rd := time.Since(run.Start)
			if werr == nil || rctx.Err() != nil {
				t.Fatalf("caddy run did not exit with an error (%v); output:\n%s", werr, lastLines(run.Output(), 20))
			}
			checkRefusal(t, "caddy run", run.Output(), rd, c.want)
			notes = append(notes, fmt.Sprintf("%s: validate %.1f s, run %.1f s", c.name, vd.Seconds(), rd.Seconds()))
		})
	}
	record(harness.Result{Order: 7, Scenario: "6b. missing credentials: caddy validate / caddy run refuse", Seconds: -1,
		Note: "exit status 1 naming ALICLOUD_ACCESS_KEY/ALICLOUD_SECRET_KEY; " + strings.Join(notes, "; ")})
}

func checkRefusal(t *testing.T, what, out string, took time.Duration, want []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("%s output does not mention %s:\n%s", what, w, lastLines(out, 10))
		}
	}
	if !strings.Contains(out, "alidns") {
		t.Errorf("%s output does not name the alidns provider:\n%s", what, lastLines(out, 10))
	}
	if took > 10*time.Second {
		t.Errorf("%s took %s to refuse the config, want at once", what, took)
	}
	t.Logf("%s refused the config in %.1f s: %s", what, took.Seconds(), firstLineWith(out, want[0]))
}

func firstLineWith(out, s string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, s) {
			if len(l) > 600 {
				return l[:600] + "..."
			}
			return l
		}
	}
	return ""
}

// TestSTSRefresh gives Caddy temporary (STS) credentials from a
// credentials URI (ALIBABA_CLOUD_CREDENTIALS_URI, served by the
// simulator). After a first certificate, the simulator expires every STS
// credential it issued; the next certificate (obtained on demand, without
// a restart or reload) must be signed with a fresh credential fetched from
// the same source.
func TestSTSRefresh(t *testing.T) {
	e := setup(t, 3*time.Minute, setupOptions{simArgs: []string{"-sts-ttl", "1h"}})
	p := e.caddyPorts()
	envFile := e.envFile("alidns.env",
		"ALIBABA_CLOUD_CREDENTIALS_URI", e.sim.CredentialsURI,
		"ALIDNS_ENDPOINT", e.sim.APIURL)
	cfg := e.globals(p, fmt.Sprintf("on_demand_tls {\n\t\task http://127.0.0.1:%d/ask\n\t}", e.backend.Port)) +
		fmt.Sprintf("\nsts1.%s:%d, sts2.%s:%d {\n\treverse_proxy 127.0.0.1:%d\n%s}\n",
			zone, p.https, zone, p.https, e.backend.Port, e.dnsTLS("on_demand"))
	caddy := e.startCaddy(harness.CaddyOptions{Config: e.writeCaddyfile("caddy", cfg), EnvFile: envFile})
	first := e.waitHTTPS(caddy, fmt.Sprintf("https://sts1.%s:%d/", zone, p.https))
	secs := since(caddy)
	e.checkIssuedByPebble(first, "sts1."+zone)

	firstKey := ""
	for _, c := range e.calls() {
		if c.Action == "AddDomainRecord" && c.OK() {
			firstKey = c.AccessKeyID
		}
	}
	if !strings.HasPrefix(firstKey, "STS.") {
		t.Fatalf("the first certificate's record was created with key %q, want an STS credential", firstKey)
	}
	n, err := e.sim.ExpireSTS(e.ctx)
	if err != nil || n == 0 {
		t.Fatalf("expiring the STS credentials: %d, %v", n, err)
	}
	before := len(e.calls())
	expiredAt := time.Now()

	second := e.waitHTTPS(caddy, fmt.Sprintf("https://sts2.%s:%d/", zone, p.https))
	e.checkIssuedByPebble(second, "sts2."+zone)
	e.waitNoChallengeRecords()
	calls := e.calls()[before:]
	var sawExpired bool
	freshKey := ""
	for _, c := range calls {
		switch {
		case c.AccessKeyID == firstKey && c.Code == "InvalidSecurityToken.Expired":
			sawExpired = true
		case c.Action == "AddDomainRecord" && c.OK():
			freshKey = c.AccessKeyID
		}
	}
	if !sawExpired {
		t.Errorf("the expired credential %s was never refused; calls: %+v", firstKey, calls)
	}
	if freshKey == "" || freshKey == firstKey || !strings.HasPrefix(freshKey, "STS.") {
		t.Errorf("the second certificate's record was created with key %q, want a fresh STS credential (the first was %s)", freshKey, firstKey)
	}
	if err := alive(caddy)(); err != nil {
		t.Fatal(err)
	}
	if n := countOutput(caddy.Output(), "serving initial configuration"); n != 1 {
		t.Errorf("caddy loaded its configuration %d times, want once (no restart or reload)", n)
	}
	// The simulator's STS secrets and tokens carry these prefixes.
	e.checkNoSecret("sim-sts-secret-", "sim-sts-token-")
	refreshed := time.Since(expiredAt).Seconds()
	r := e.result(8, "7. STS credentials from ALIBABA_CLOUD_CREDENTIALS_URI, expired mid-run", 2, secs,
		fmt.Sprintf("on-demand certificates; after the simulator expired the STS credential, the next one was issued %.1f s later with a fresh one (InvalidSecurityToken.Expired, then refetch)", refreshed))
	record(r)
}
