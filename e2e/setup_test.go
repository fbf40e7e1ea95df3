package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddy-alidns/alidns/e2e/harness"
)

// zone is the zone every scenario's names live in.
const zone = "example.test"

// env is one scenario's running components.
type env struct {
	t       *testing.T
	ctx     context.Context
	dir     string
	sim     *harness.Sim
	pebble  *harness.Pebble
	backend *harness.Backend
	// keyID and secret are the scenario's own AccessKey, registered in
	// the simulator; secret is a unique string searched for in Caddy's
	// output.
	keyID, secret string
	caddies       []*harness.Proc
}

type setupOptions struct {
	// simArgs are extra alidns-sim flags.
	simArgs []string
	// profiles are extra Pebble certificate profiles.
	profiles map[string]time.Duration
	// zones are further zones hosted in the simulator (besides zone).
	zones []string
}

// setup starts the simulator, Pebble and a backend for one scenario whose
// whole run is bounded by timeout.
func setup(t *testing.T, timeout time.Duration, o setupOptions) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	e := &env{t: t, ctx: ctx, dir: t.TempDir()}
	e.keyID = "LTAI5tE2E" + randomHex(8) // the form of a RAM user's AccessKey ID
	e.secret = "e2eSecret" + randomHex(12)
	args := append([]string{"-no-default-key", "-key", e.keyID + ":" + e.secret}, o.simArgs...)
	var err error
	e.sim, err = harness.StartSim(ctx, t, tools, harness.SimOptions{Dir: e.dir, Zones: append([]string{zone}, o.zones...), Args: args})
	if err != nil {
		t.Fatalf("starting the AliDNS simulator: %v", err)
	}
	e.pebble, err = harness.StartPebble(ctx, t, tools, harness.PebbleOptions{
		DNSServer: e.sim.DNSAddr,
		Dir:       filepath.Join(e.dir, "pebble"),
		Profiles:  o.profiles,
	})
	if err != nil {
		t.Fatalf("starting Pebble: %v", err)
	}
	e.backend, err = harness.StartBackend(t, 0, "hello from the backend of "+t.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, p := range append([]*harness.Proc{e.sim.Proc, e.pebble.Proc}, e.caddies...) {
			t.Logf("---- output of %s (pid %d), last lines:\n%s", p.Name, p.PID(), lastLines(p.Output(), 60))
		}
	})
	return e
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ports returns n free ports.
func (e *env) ports(n int) []int {
	e.t.Helper()
	p, err := harness.FreePorts(n)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// envFile writes an env file for caddy --envfile.
func (e *env) envFile(name string, kv ...string) string {
	e.t.Helper()
	path := filepath.Join(e.dir, name)
	if err := harness.WriteEnvFile(path, kv...); err != nil {
		e.t.Fatal(err)
	}
	return path
}

// keyEnvFile writes alidns.env with the scenario's AccessKey and the
// simulator's endpoint.
func (e *env) keyEnvFile() string {
	return e.envFile("alidns.env",
		"ALICLOUD_ACCESS_KEY", e.keyID,
		"ALICLOUD_SECRET_KEY", e.secret,
		"ALIDNS_ENDPOINT", e.sim.APIURL)
}

// caddyPorts are one caddy instance's listeners.
type caddyPorts struct{ http, https, admin int }

func (e *env) caddyPorts() caddyPorts {
	p := e.ports(3)
	return caddyPorts{p[0], p[1], p[2]}
}

// globals renders the global options block for Pebble on loopback. The
// email matters: without one, Caddy v2.11.9 registering ACME accounts for
// many names at once sometimes sends the contact "mailto:default", which
// the CA refuses, and that name is retried only a minute later.
func (e *env) globals(p caddyPorts, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "{\n\tadmin 127.0.0.1:%d\n\thttp_port %d\n\thttps_port %d\n\tacme_ca %s\n\tacme_ca_root %s\n\temail e2e@example.test\n",
		p.admin, p.http, p.https, e.pebble.DirectoryURL, e.pebble.MinicaFile)
	for _, x := range extra {
		fmt.Fprintf(&b, "\t%s\n", x)
	}
	b.WriteString("}\n")
	return b.String()
}

// dnsTLS is the site's tls block with the provider.
func (e *env) dnsTLS(extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\ttls {\n\t\tdns alidns\n\t\tresolvers %s\n\t\tpropagation_timeout 60s\n", e.sim.DNSAddr)
	for _, x := range extra {
		fmt.Fprintf(&b, "\t\t%s\n", x)
	}
	b.WriteString("\t}\n")
	return b.String()
}

// writeCaddyfile writes a Caddyfile into its own directory and returns its
// path.
func (e *env) writeCaddyfile(name, content string) string {
	e.t.Helper()
	dir := filepath.Join(e.dir, name+"-config")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		e.t.Fatal(err)
	}
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return path
}

// startCaddy starts `caddy run`; its HOME is <dir>/<name>.
func (e *env) startCaddy(o harness.CaddyOptions) *harness.Proc {
	e.t.Helper()
	o.Name = or(o.Name, "caddy")
	if o.Dir == "" {
		o.Dir = filepath.Join(e.dir, o.Name)
	}
	p, err := harness.StartCaddy(e.t, tools, o)
	if err != nil {
		e.t.Fatal(err)
	}
	e.caddies = append(e.caddies, p)
	return p
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// alive fails when the process has exited.
func alive(p *harness.Proc) func() error {
	return func() error {
		if exited, err := p.Exited(); exited {
			return fmt.Errorf("%s exited: %v", p.Name, err) //nolint:errorlint // nil after a clean exit
		}
		return nil
	}
}

// waitHTTPS waits until url answers with the backend's greeting over HTTPS
// verified against Pebble's root, and returns the response.
func (e *env) waitHTTPS(p *harness.Proc, url string) *harness.Response {
	e.t.Helper()
	res, err := harness.WaitHTTPS(e.ctx, e.pebble.Roots, url, "hello from the backend", 60*time.Second, alive(p))
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

// checkIssuedByPebble checks the served certificate.
func (e *env) checkIssuedByPebble(res *harness.Response, name string) {
	e.t.Helper()
	if res.Leaf == nil {
		e.t.Fatalf("%s: no certificate", name)
	}
	if !strings.Contains(res.Leaf.Issuer.CommonName, "Pebble") {
		e.t.Errorf("%s: certificate issued by %q, want Pebble", name, res.Leaf.Issuer.CommonName)
	}
	if err := res.Leaf.VerifyHostname(name); err != nil {
		e.t.Errorf("certificate does not cover %s: %v (SANs %v)", name, err, res.Leaf.DNSNames)
	}
}

// calls returns the simulator's call log.
func (e *env) calls() []harness.SimCall {
	e.t.Helper()
	c, err := e.sim.Calls(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// waitNoChallengeRecords checks that the challenge TXT records are gone.
func (e *env) waitNoChallengeRecords() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	if err := e.sim.WaitNoChallengeRecords(ctx, zone); err != nil {
		e.t.Error(err)
	}
}

// checkNoSecret checks that none of the given secrets appears in any
// caddy's output or in any file under the scenario's directory other than
// the env files that hold them.
func (e *env) checkNoSecret(secrets ...string) {
	e.t.Helper()
	for _, p := range e.caddies {
		out := p.Output()
		for _, s := range secrets {
			if strings.Contains(out, s) {
				e.t.Errorf("the secret %q appears in the output of %s", s, p.Name)
			}
		}
	}
	err := filepath.WalkDir(e.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".env") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				e.t.Errorf("the secret %q appears in %s", s, path)
			}
		}
		return nil
	})
	if err != nil {
		e.t.Error(err)
	}
}

// since is the time since p started, in seconds.
func since(p *harness.Proc) float64 { return time.Since(p.Start).Seconds() }

// result builds a Result from the simulator's call log.
func (e *env) result(order int, scenario string, certs int, secs float64, note string) harness.Result {
	calls := e.calls()
	all, ok := harness.CountCalls(calls)
	failed := map[string]int{}
	for a, n := range all {
		if f := n - ok[a]; f > 0 {
			failed[a] = f
		}
	}
	return harness.Result{Order: order, Scenario: scenario, Certs: certs, Seconds: secs, Calls: all, Failed: failed, Note: note}
}

// requireCalls checks that at least min successful calls of each action
// happened.
func requireCalls(t *testing.T, calls []harness.SimCall, min map[string]int) {
	t.Helper()
	_, ok := harness.CountCalls(calls)
	for a, n := range min {
		if ok[a] < n {
			t.Errorf("%d successful %s calls, want at least %d (call codes: %v)", ok[a], a, n, harness.CountCodes(calls))
		}
	}
}

// countOutput counts the lines of out containing s.
func countOutput(out, s string) int {
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

// demoCaddyfile is examples/demo/Caddyfile.
func demoCaddyfile() string { return filepath.Join(tools.Root, "examples", "demo", "Caddyfile") }
