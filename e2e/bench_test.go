package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddy-alidns/alidns/e2e/harness"
)

// firstHTTPSRuns is how many deployments one BenchmarkFirstHTTPS op times.
const firstHTTPSRuns = 5

// BenchmarkFirstHTTPS times the non-443 deployment of TestDeployment
// (examples/demo/Caddyfile: HTTPS on a free port instead of 443, a reverse
// proxy, `tls { dns alidns }`, credentials from --envfile) from starting
// `caddy run` to the first HTTPS response with the backend's answer,
// verified against Pebble's root. Each of the 5 runs of an op starts a new
// simulator (50 ms added to every API call), Pebble (no validation sleeps)
// and an empty caddy storage; the response is polled every 20 ms. It
// reports the median, min and max in seconds; run it with -benchtime=1x.
//
// Most of the time is Caddy's, certmagic's and Pebble's own: certmagic
// makes its first DNS propagation check 2 s after creating the TXT record,
// and Pebble answers the order's finalization with a Retry-After of 1 s
// given at random either in seconds or as an HTTP date (whole seconds),
// so a run takes about 2.8 s or about 3.5 s. The plugin's part is its two
// API calls (about 0.05 s each here).
func BenchmarkFirstHTTPS(b *testing.B) {
	for b.Loop() {
		secs := make([]float64, 0, firstHTTPSRuns)
		for i := range firstHTTPSRuns {
			s, err := firstHTTPS(b)
			if err != nil {
				b.Fatalf("run %d: %v", i+1, err)
			}
			b.Logf("run %d: first HTTPS response after %.2f s", i+1, s)
			secs = append(secs, s)
		}
		slices.Sort(secs)
		b.ReportMetric(secs[len(secs)/2], "median-s")
		b.ReportMetric(secs[0], "min-s")
		b.ReportMetric(secs[len(secs)-1], "max-s")
	}
}

// firstHTTPS runs one deployment and returns the seconds from starting
// caddy to its first good HTTPS answer. Everything it started is stopped
// before it returns.
func firstHTTPS(b *testing.B) (float64, error) {
	st := &harness.Stack{}
	defer st.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := b.TempDir()
	keyID, secret := "BenchKey"+randomHex(8), "benchSecret"+randomHex(12)
	sim, err := harness.StartSim(ctx, st, tools, harness.SimOptions{
		Dir:   dir,
		Zones: []string{zone},
		Args:  []string{"-no-default-key", "-key", keyID + ":" + secret, "-latency", "50ms"},
	})
	if err != nil {
		return 0, fmt.Errorf("starting the AliDNS simulator: %w", err)
	}
	pebble, err := harness.StartPebble(ctx, st, tools, harness.PebbleOptions{DNSServer: sim.DNSAddr, Dir: filepath.Join(dir, "pebble")})
	if err != nil {
		return 0, fmt.Errorf("starting Pebble: %w", err)
	}
	const greeting = "hello from the benchmark backend"
	backend, err := harness.StartBackend(st, 0, greeting)
	if err != nil {
		return 0, err
	}
	ports, err := harness.FreePorts(3)
	if err != nil {
		return 0, err
	}
	envFile := filepath.Join(dir, "alidns.env")
	if err := harness.WriteEnvFile(envFile, "ALICLOUD_ACCESS_KEY", keyID, "ALICLOUD_SECRET_KEY", secret, "ALIDNS_ENDPOINT", sim.APIURL); err != nil {
		return 0, err
	}
	caddy, err := harness.StartCaddy(st, tools, harness.CaddyOptions{
		Config:  demoCaddyfile(),
		EnvFile: envFile,
		Dir:     filepath.Join(dir, "caddy"),
		Env: map[string]string{
			"CADDY_ADMIN":       "127.0.0.1:" + strconv.Itoa(ports[2]),
			"DEMO_HTTP_PORT":    strconv.Itoa(ports[0]),
			"DEMO_HTTPS_PORT":   strconv.Itoa(ports[1]),
			"DEMO_BACKEND_PORT": strconv.Itoa(backend.Port),
			"DEMO_ACME_CA":      pebble.DirectoryURL,
			"DEMO_ACME_CA_ROOT": pebble.MinicaFile,
			"DEMO_RESOLVER":     sim.DNSAddr,
		},
	})
	if err != nil {
		return 0, err
	}
	url := fmt.Sprintf("https://host.example.test:%d/", ports[1])
	var last error
	for {
		actx, acancel := context.WithTimeout(ctx, 5*time.Second)
		res, err := harness.Get(actx, pebble.Roots, url)
		acancel()
		switch {
		case err != nil:
			last = err
		case res.Status != 200 || !strings.Contains(res.Body, greeting):
			last = fmt.Errorf("status %d, body %q", res.Status, res.Body)
		default:
			return time.Since(caddy.Start).Seconds(), nil
		}
		if exited, werr := caddy.Exited(); exited {
			return 0, fmt.Errorf("caddy exited (%v); last attempt: %v\n%s", werr, last, lastLines(caddy.Output(), 30)) //nolint:errorlint // either may be nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("no HTTPS answer from %s: %w; last attempt: %v\n%s", url, ctx.Err(), last, lastLines(caddy.Output(), 30)) //nolint:errorlint // last may be nil
		case <-time.After(20 * time.Millisecond):
		}
	}
}
