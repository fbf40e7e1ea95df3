// Package e2e holds the end-to-end tests: a real caddy built by xcaddy with
// this plugin obtains certificates from Pebble through DNS-01, with the
// AliDNS simulator as the DNS provider's API and as the authoritative DNS
// server Pebble validates against. Run them with `make e2e` (or as part of
// `make test`); E2E_WRITE_BENCHMARKS=1 also writes the measured figures to
// BENCHMARKS.md.
package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddy-alidns/alidns/e2e/harness"
)

// tools are the binaries built (or found cached) by TestMain.
var tools *harness.Tools

var (
	resultsMu sync.Mutex
	results   = map[string]harness.Result{}
)

// record keeps a scenario's figures for BENCHMARKS.md.
func record(r harness.Result) {
	resultsMu.Lock()
	defer resultsMu.Unlock()
	results[r.Scenario] = r
}

// benchScenarios is how many scenarios record a result; BENCHMARKS.md is
// only written after a run of all of them.
const benchScenarios = 9

func TestMain(m *testing.M) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	var err error
	tools, err = harness.BuildTools(ctx, harness.BuildOptions{Log: os.Stderr})
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: e2e: cannot build the components the end-to-end tests need: %v\n", err)
		os.Exit(1)
	}
	built := time.Since(start)
	code := m.Run()
	total := time.Since(start)
	fmt.Fprintf(os.Stderr, "e2e: %s in total (building/checking components %s, caddy %s)\n",
		total.Round(time.Second), built.Round(time.Second), cachedOrBuilt())
	if os.Getenv("E2E_WRITE_BENCHMARKS") == "1" {
		if err := writeBenchmarks(code, total, built); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL: e2e: BENCHMARKS.md:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

func cachedOrBuilt() string {
	if tools.CaddyCached {
		return "cached"
	}
	return "built in " + tools.CaddyBuild.Round(time.Second).String()
}

func writeBenchmarks(code int, total, built time.Duration) error {
	resultsMu.Lock()
	defer resultsMu.Unlock()
	if code != 0 {
		return fmt.Errorf("not written: the run failed")
	}
	if len(results) != benchScenarios {
		names := make([]string, 0, len(results))
		for n := range results {
			names = append(names, n)
		}
		sort.Strings(names)
		return fmt.Errorf("not written: %d of %d scenarios ran (%s); run all of them", len(results), benchScenarios, strings.Join(names, ", "))
	}
	rs := make([]harness.Result, 0, len(results))
	for _, r := range results {
		rs = append(rs, r)
	}
	env := fmt.Sprintf("%s with %s on %s/%s, %d CPUs; whole e2e run %s (of which %s building/checking components; caddy %s)",
		time.Now().UTC().Format(time.DateOnly), runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(),
		total.Round(time.Second), built.Round(time.Second), cachedOrBuilt())
	return harness.WriteBenchmarks(filepath.Join(tools.Root, "BENCHMARKS.md"), rs, env)
}
