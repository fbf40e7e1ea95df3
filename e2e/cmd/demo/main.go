// Command demo is `make demo`: it builds caddy with the AliDNS plugin (with
// xcaddy, cached in e2e/.cache), then starts on 127.0.0.1 the AliDNS
// simulator, Pebble (a test ACME CA), a backend on port 2001 and
// caddy with examples/demo/Caddyfile (HTTPS on port 2000, http_port 1999)
// and an env file holding the simulator's AccessKey. Once the certificate is
// issued through DNS-01 it prints a curl command for the site, and runs
// until Ctrl-C, then stops everything it started.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/caddy-alidns/alidns/e2e/harness"
)

const host = "host.example.test"

func main() {
	httpPort := flag.Int("http-port", 1999, "Caddy's http_port")
	httpsPort := flag.Int("https-port", 2000, "Caddy's https_port, and the port of the site address")
	backendPort := flag.Int("backend-port", 2001, "port of the backend Caddy proxies to")
	keep := flag.Bool("keep", false, "keep the demo's working directory (logs, certificates) after it stops")
	verbose := flag.Bool("v", false, "show every log line of caddy, Pebble and the simulator")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stack := &harness.Stack{}
	err := run(ctx, stack, *httpPort, *httpsPort, *backendPort, *keep, *verbose)
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "\ndemo failed:", err)
	}
	fmt.Println("\nstopping everything the demo started ...")
	stack.Close()
	fmt.Println("stopped.")
	if err != nil && !errors.Is(err, context.Canceled) {
		os.Exit(1)
	}
}

func step(format string, args ...any) {
	fmt.Printf("\n==> "+format+"\n", args...)
}

// readyInfo is what the demo reports once the site answers.
type readyInfo struct {
	start     time.Time
	caddy     *harness.Proc
	sim       *harness.Sim
	pebble    *harness.Pebble
	res       *harness.Response
	root      string
	caddyfile string
	envFile   string
	dir       string
	url       string
	httpsPort int
}

// printReady says the site is up and how to reach it.
func printReady(ctx context.Context, r readyInfo) {
	took := time.Since(r.caddy.Start)
	calls, _ := r.sim.Calls(ctx)
	all, _ := harness.CountCalls(calls)

	curl := fmt.Sprintf("curl --cacert %s --resolve %s:%d:127.0.0.1 %s", r.pebble.RootFile, host, r.httpsPort, r.url)
	step("The site is up, %.1f s after caddy started (%s since the demo started)", took.Seconds(), time.Since(r.start).Round(time.Second))
	fmt.Printf("    certificate for %v issued by %q, valid until %s\n", r.res.Leaf.DNSNames, r.res.Leaf.Issuer.CommonName, r.res.Leaf.NotAfter.Format(time.DateOnly))
	fmt.Printf("    AliDNS API calls: %s\n", harness.FormatCalls(all, nil))
	fmt.Printf("    HTTPS answer: %s\n", strings.TrimSpace(r.res.Body))
	if _, err := exec.LookPath("curl"); err == nil {
		out, err := exec.CommandContext(ctx, "sh", "-c", strings.Replace(curl, "curl ", "curl -sS ", 1)).CombinedOutput()
		fmt.Printf("    checked with curl (%s): %s\n", map[bool]string{true: "ok", false: "FAILED"}[err == nil], strings.TrimSpace(string(out)))
	}
	fmt.Printf(`
Try it from another terminal:

    %s

Files: Caddyfile %s, env file %s, logs in %s
Press Ctrl-C to stop.
`, curl, rel(r.root, r.caddyfile), r.envFile, r.dir)
}

// caddyInputs writes the env file caddy runs with (the simulator's
// AccessKey and endpoint) and picks a port for its admin endpoint.
func caddyInputs(dir string, sim *harness.Sim) (envFile string, adminPort int, err error) {
	envFile = filepath.Join(dir, "alidns.env")
	if err := harness.WriteEnvFile(envFile,
		"ALICLOUD_ACCESS_KEY", sim.AccessKeyID,
		"ALICLOUD_SECRET_KEY", sim.AccessKeySecret,
		"ALIDNS_ENDPOINT", sim.APIURL); err != nil {
		return "", 0, err
	}
	adminPort, err = harness.FreePort()
	return envFile, adminPort, err
}

// checkPorts fails, saying which flag moves it, if a port is taken.
func checkPorts(httpPort, httpsPort, backendPort int) error {
	for _, p := range []struct {
		port int
		flag string
	}{{httpPort, "-http-port"}, {httpsPort, "-https-port"}, {backendPort, "-backend-port"}} {
		if !harness.PortFree(p.port) {
			return fmt.Errorf("port %d on 127.0.0.1 is in use; free it or choose another with %s (e.g. make demo DEMO_FLAGS=\"%s N\")", p.port, p.flag, p.flag)
		}
	}
	return nil
}

// workDir makes the demo's folder, removed at the end unless keep.
func workDir(stack *harness.Stack, keep bool) (string, error) {
	dir, err := os.MkdirTemp("", "caddy-alidns-demo-")
	if err != nil {
		return "", err
	}
	if keep {
		stack.Cleanup(func() { fmt.Printf("kept the demo's files in %s\n", dir) })
	} else {
		stack.Cleanup(func() { _ = os.RemoveAll(dir) })
	}
	return dir, nil
}

func run(ctx context.Context, stack *harness.Stack, httpPort, httpsPort, backendPort int, keep, verbose bool) error {
	start := time.Now()
	step("Building caddy with the AliDNS plugin, Pebble and the AliDNS simulator")
	tools, err := harness.BuildTools(ctx, harness.BuildOptions{Log: os.Stdout, ProgressEvery: 10 * time.Second})
	if err != nil {
		return err
	}
	if err := checkPorts(httpPort, httpsPort, backendPort); err != nil {
		return err
	}
	dir, err := workDir(stack, keep)
	if err != nil {
		return err
	}
	var echo io.Writer
	if verbose {
		echo = &prefixWriter{prefix: "   | ", w: os.Stdout}
	}

	step("Starting the AliDNS simulator (API + authoritative DNS for example.test)")
	sim, err := harness.StartSim(ctx, stack, tools, harness.SimOptions{Dir: dir, Zones: []string{"example.test"}, Echo: echo})
	if err != nil {
		return err
	}
	fmt.Printf("    API %s, DNS %s (UDP+TCP), pid %d\n", sim.APIURL, sim.DNSAddr, sim.PID())

	step("Starting Pebble, the test ACME CA, validating DNS-01 through the simulator's DNS")
	pebble, err := harness.StartPebble(ctx, stack, tools, harness.PebbleOptions{DNSServer: sim.DNSAddr, Dir: filepath.Join(dir, "pebble"), Echo: echo})
	if err != nil {
		return err
	}
	fmt.Printf("    ACME directory %s, pid %d; issuing root saved to %s\n", pebble.DirectoryURL, pebble.PID(), pebble.RootFile)

	step("Starting the backend on 127.0.0.1:%d", backendPort)
	if _, err := harness.StartBackend(stack, backendPort, "Hello from the backend behind Caddy"); err != nil {
		return err
	}

	envFile, adminPort, err := caddyInputs(dir, sim)
	if err != nil {
		return err
	}
	caddyfile := filepath.Join(tools.Root, "examples", "demo", "Caddyfile")
	step("Starting caddy: caddy run --config %s --envfile %s", rel(tools.Root, caddyfile), envFile)
	fmt.Printf("    the env file holds the simulator's AccessKey (ALICLOUD_ACCESS_KEY, ALICLOUD_SECRET_KEY) and ALIDNS_ENDPOINT=%s\n", sim.APIURL)
	caddyEcho := echo
	if !verbose {
		caddyEcho = &caddyEvents{w: os.Stdout}
	}
	caddy, err := harness.StartCaddy(stack, tools, harness.CaddyOptions{
		Config:  caddyfile,
		EnvFile: envFile,
		Dir:     filepath.Join(dir, "caddy"),
		Echo:    caddyEcho,
		Env: map[string]string{
			"CADDY_ADMIN":       "127.0.0.1:" + strconv.Itoa(adminPort),
			"DEMO_HTTP_PORT":    strconv.Itoa(httpPort),
			"DEMO_HTTPS_PORT":   strconv.Itoa(httpsPort),
			"DEMO_BACKEND_PORT": strconv.Itoa(backendPort),
			"DEMO_ACME_CA":      pebble.DirectoryURL,
			"DEMO_ACME_CA_ROOT": pebble.MinicaFile,
			"DEMO_RESOLVER":     sim.DNSAddr,
		},
	})
	if err != nil {
		return err
	}

	url := fmt.Sprintf("https://%s:%d/", host, httpsPort)
	wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	res, err := harness.WaitHTTPS(wctx, pebble.Roots, url, "Hello from the backend", 30*time.Second, func() error {
		if exited, err := caddy.Exited(); exited {
			return fmt.Errorf("caddy exited (%v); its log: %s", err, //nolint:errorlint // nil after a clean exit
				filepath.Join(dir, "caddy", "caddy.log"))
		}
		return nil
	})
	if err != nil {
		return err
	}
	printReady(ctx, readyInfo{start: start, caddy: caddy, sim: sim, pebble: pebble, res: res, root: tools.Root,
		caddyfile: caddyfile, envFile: envFile, dir: dir, url: url, httpsPort: httpsPort})

	select {
	case <-ctx.Done():
		return nil
	case <-caddy.Done():
		return fmt.Errorf("caddy exited; its log: %s", filepath.Join(dir, "caddy", "caddy.log"))
	}
}

func rel(root, path string) string {
	if r, err := filepath.Rel(root, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}

// prefixWriter prefixes every line.
type prefixWriter struct {
	mu     sync.Mutex
	prefix string
	w      io.Writer
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf[:i])
		p.buf = p.buf[i+1:]
	}
	return len(b), nil
}

// caddyEvents prints the log lines of Caddy that tell the story of the
// certificate (and every warning and error), one short line each.
type caddyEvents struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

var storyMessages = map[string]bool{
	"serving initial configuration":                        true,
	"obtaining certificate":                                true,
	"trying to solve challenge":                            true,
	"record created":                                       true,
	"record deleted":                                       true,
	"authorization finalized":                              true,
	"validations succeeded; finalizing order":              true,
	"successfully downloaded available certificate chains": true,
	"certificate obtained successfully":                    true,
}

func (c *caddyEvents) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf = append(c.buf, b...)
	for {
		i := bytes.IndexByte(c.buf, '\n')
		if i < 0 {
			break
		}
		line := c.buf[:i]
		c.buf = c.buf[i+1:]
		var entry map[string]any
		if json.Unmarshal(line, &entry) != nil {
			continue
		}
		level, _ := entry["level"].(string)
		msg, _ := entry["msg"].(string)
		if !storyMessages[msg] && level != "warn" && level != "error" || strings.Contains(msg, "skipped because it requires TLS") {
			continue
		}
		var fields []string
		for _, k := range []string{"identifier", "challenge_type", "zone", "name", "type", "record_id", "error"} {
			if v, ok := entry[k]; ok {
				fields = append(fields, fmt.Sprintf("%s=%v", k, v))
			}
		}
		fmt.Fprintf(c.w, "    caddy | %-5s %s %s\n", level, msg, strings.Join(fields, " "))
	}
	return len(b), nil
}
