package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// lineWriter sends each written line to a channel.
type lineWriter struct{ ch chan string }

func (w lineWriter) Write(p []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.ch <- l
	}
	return len(p), nil
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	stateFile := filepath.Join(dir, "state.json")
	certFile := filepath.Join(dir, "ca.pem")
	ctx, cancel := context.WithCancel(context.Background())
	out := lineWriter{make(chan string, 64)}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-zone", "example.test:ultimate", "-zone", "bücher.test", "-tls", "-cert-out", certFile,
			"-state-out", stateFile, "-qps", "100", "-write-window", "10ms"}, out, io.Discard)
	}()
	vals := map[string]string{}
	var zones []string
	for {
		select {
		case l := <-out.ch:
			k, v, ok := strings.Cut(l, "=")
			if !ok {
				t.Fatalf("bad line %q", l)
			}
			if k == "ZONE" {
				zones = append(zones, v)
			}
			vals[k] = v
		case err := <-done:
			t.Fatalf("run exited early: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("timeout waiting for READY")
		}
		if vals["READY"] == "1" {
			break
		}
	}
	for _, k := range []string{"API_URL", "DNS_ADDR", "ACCESS_KEY_ID", "ACCESS_KEY_SECRET", "CREDENTIALS_URI", "CA_CERT_FILE"} {
		if vals[k] == "" {
			t.Fatalf("missing %s in %v", k, vals)
		}
	}
	if len(zones) != 2 || !strings.HasPrefix(vals["API_URL"], "https://127.0.0.1:") {
		t.Fatalf("vals = %v zones = %v", vals, zones)
	}
	if _, err := os.Stat(certFile); err != nil {
		t.Fatal(err)
	}
	m := new(dns.Msg)
	m.SetQuestion("example.test.", dns.TypeSOA)
	r, err := dns.Exchange(m, vals["DNS_ADDR"])
	if err != nil || len(r.Answer) != 1 {
		t.Fatalf("SOA: %v %v", r, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(stateFile)
	if err != nil {
		t.Fatal(err)
	}
	var state struct {
		Zones []struct{ Name, Edition string }
	}
	if err := json.Unmarshal(b, &state); err != nil || len(state.Zones) != 2 {
		t.Fatalf("state %s: %v", b, err)
	}
}

func TestRunFlagErrors(t *testing.T) {
	for _, args := range [][]string{{"-zone", "x.test:platinum"}, {"-cert-out", "x"}, {"extra"}, {"-key", "nocolon"}} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// TestBinary builds the command and runs it as a separate process.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), "alidns-sim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-zone", "example.test", "-no-dns")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stdout)
	vals := map[string]string{}
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		vals[k] = v
		if k == "READY" {
			break
		}
	}
	res, err := http.Get(vals["API_URL"] + "/_sim/zones")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("zones: %d", res.StatusCode)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v", err)
	}
}

func TestFaultFlags(t *testing.T) {
	o, err := parseFlags([]string{"-zone", "example.test", "-lost-answer-rate", "0.1", "-lost-answer-delay", "3s",
		"-gateway-error-rate", "0.05", "-throttle-burst", "1s", "-throttle-burst-every", "30s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	f := o.faults
	if f.LostAnswerRate != 0.1 || f.LostAnswerDelay != 3*time.Second || f.GatewayErrorRate != 0.05 ||
		f.ThrottleBurst != time.Second || f.ThrottleBurstEvery != 30*time.Second {
		t.Fatalf("faults = %+v", f)
	}
}
