package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddy-alidns/alidns/e2e/harness"
)

// TestDeployment is the deployment this project exists for: ports 80 and
// 443 closed, HTTPS on port 2000 (here: a free port), a reverse proxy to a
// local backend, `tls { dns alidns }` with no credentials in the Caddyfile,
// started as `caddy run --config Caddyfile --envfile alidns.env`. It runs
// examples/demo/Caddyfile, the file `make demo` runs.
func TestDeployment(t *testing.T) {
	runDeployment(t, 1, "1. HTTPS on a non-443 port, credentials from --envfile", nil,
		"runs examples/demo/Caddyfile")
}

// TestLeastPrivilegePolicy runs the same deployment with the AccessKey
// restricted, like a RAM policy, to the two actions the README's
// least-privilege section names as the strict minimum.
func TestLeastPrivilegePolicy(t *testing.T) {
	runDeployment(t, 9, "RAM policy: only AddDomainRecord + DeleteDomainRecord allowed",
		[]string{"AddDomainRecord", "DeleteDomainRecord"},
		"simulator started with -allow-actions AddDomainRecord,DeleteDomainRecord")
}

func runDeployment(t *testing.T, order int, scenario string, allow []string, note string) {
	var simArgs []string
	if allow != nil {
		simArgs = []string{"-allow-actions", strings.Join(allow, ",")}
	}
	e := setup(t, 3*time.Minute, setupOptions{simArgs: simArgs})
	p := e.caddyPorts()
	const host = "host.example.test"
	caddy := e.startCaddy(harness.CaddyOptions{
		Config:  demoCaddyfile(),
		EnvFile: e.keyEnvFile(),
		Env: map[string]string{
			"CADDY_ADMIN":       "127.0.0.1:" + strconv.Itoa(p.admin),
			"DEMO_HTTP_PORT":    strconv.Itoa(p.http),
			"DEMO_HTTPS_PORT":   strconv.Itoa(p.https),
			"DEMO_BACKEND_PORT": strconv.Itoa(e.backend.Port),
			"DEMO_ACME_CA":      e.pebble.DirectoryURL,
			"DEMO_ACME_CA_ROOT": e.pebble.MinicaFile,
			"DEMO_RESOLVER":     e.sim.DNSAddr,
		},
	})
	url := fmt.Sprintf("https://%s:%d/", host, p.https)
	res := e.waitHTTPS(caddy, url)
	secs := since(caddy)
	t.Logf("%s answered after %.1f s: %q", url, secs, strings.TrimSpace(res.Body))
	e.checkIssuedByPebble(res, host)
	if !strings.Contains(caddy.Output(), "certificate obtained successfully") {
		t.Error(`caddy did not log "certificate obtained successfully"`)
	}

	// Caddy's automatic redirect would drop the port (it takes https_port
	// for the inside of a port forward from 443); the example's explicit
	// http:// site keeps visitors on the HTTPS port.
	red, err := harness.Get(e.ctx, nil, fmt.Sprintf("http://%s:%d/path?q=1", host, p.http))
	if err != nil {
		t.Fatalf("http_port: %v", err)
	}
	if want := fmt.Sprintf("https://%s:%d/path?q=1", host, p.https); (red.Status != http.StatusMovedPermanently && red.Status != http.StatusPermanentRedirect) || red.Header.Get("Location") != want {
		t.Errorf("http_port answered %d Location %q, want a permanent redirect to %s", red.Status, red.Header.Get("Location"), want)
	}

	e.waitNoChallengeRecords()
	calls := e.calls()
	requireCalls(t, calls, map[string]int{"AddDomainRecord": 1, "DeleteDomainRecord": 1})
	if allow != nil {
		allowed := map[string]bool{}
		for _, a := range allow {
			allowed[a] = true
		}
		for _, c := range calls {
			if !allowed[c.Action] || c.Code == "Forbidden.RAM" {
				t.Errorf("call %s answered %d %s: the plugin needs more than %v", c.Action, c.Status, c.Code, allow)
			}
		}
	}
	e.checkNoSecret(e.secret)
	record(e.result(order, scenario, 1, secs, note))
}

// TestAutomaticRedirectPort pins down the Caddy behaviour the examples
// work around: with https_port equal to the site's port, Caddy's automatic
// redirect from http_port leaves the port out (it takes https_port for the
// inside of a port forward from 443); without an https_port line it keeps
// it. (The certificate does not matter here, so the site uses Caddy's
// internal CA.)
func TestAutomaticRedirectPort(t *testing.T) {
	const host = "host.example.test"
	for _, withHTTPSPort := range []bool{true, false} {
		t.Run(fmt.Sprintf("https_port=%v", withHTTPSPort), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			dir := t.TempDir()
			ports, err := harness.FreePorts(3)
			if err != nil {
				t.Fatal(err)
			}
			admin, httpPort, httpsPort := ports[0], ports[1], ports[2]
			global := fmt.Sprintf("admin 127.0.0.1:%d\n\thttp_port %d\n\tskip_install_trust", admin, httpPort)
			want := fmt.Sprintf("https://%s:%d/path?q=1", host, httpsPort)
			if withHTTPSPort {
				global += fmt.Sprintf("\n\thttps_port %d", httpsPort)
				want = fmt.Sprintf("https://%s/path?q=1", host)
			}
			cfg := filepath.Join(dir, "Caddyfile")
			content := fmt.Sprintf("{\n\t%s\n}\n%s:%d {\n\trespond \"ok\"\n\ttls internal\n}\n", global, host, httpsPort)
			if err := os.WriteFile(cfg, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			caddy, err := harness.StartCaddy(t, tools, harness.CaddyOptions{Config: cfg, Dir: filepath.Join(dir, "caddy")})
			if err != nil {
				t.Fatal(err)
			}
			if err := caddy.WaitOutput(ctx, "serving initial configuration"); err != nil {
				t.Fatal(err)
			}
			var last string
			for ctx.Err() == nil {
				red, err := harness.Get(ctx, nil, fmt.Sprintf("http://%s:%d/path?q=1", host, httpPort))
				if err == nil && red.Status == http.StatusPermanentRedirect && red.Header.Get("Location") == want {
					return
				}
				last = fmt.Sprintf("%v %+v", err, red)
				time.Sleep(200 * time.Millisecond)
			}
			t.Fatalf("no 308 to %s from http_port: %s\n%s", want, last, lastLines(caddy.Output(), 20))
		})
	}
}
