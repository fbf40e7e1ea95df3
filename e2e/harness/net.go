package harness

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// FreePorts returns n distinct free ports.
func FreePorts(n int) ([]int, error) {
	seen := map[int]bool{}
	var out []int
	for len(out) < n {
		p, err := FreePort()
		if err != nil {
			return nil, err
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out, nil
}

// PortFree reports whether 127.0.0.1:port can be listened on now.
func PortFree(port int) bool {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// CertPool reads PEM certificates from files into a pool.
func CertPool(files ...string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("%s holds no PEM certificate", f)
		}
	}
	return pool, nil
}

// Response is the answer of an HTTPS request made by Get.
type Response struct {
	Status int
	Body   string
	Header http.Header
	// Leaf is the server certificate, verified against the roots.
	Leaf *x509.Certificate
}

// Get requests rawURL with a fresh connection (so every call sees the
// certificate served right now), connecting to 127.0.0.1 whatever the
// host name, like curl --resolve. HTTPS certificates are verified against
// roots for the URL's host name. Redirects are not followed.
func Get(ctx context.Context, roots *x509.CertPool, rawURL string) (*Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
		},
		TLSClientConfig:   &tls.Config{RootCAs: roots, ServerName: u.Hostname()},
		DisableKeepAlives: true,
		ForceAttemptHTTP2: false,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	out := &Response{Status: res.StatusCode, Body: string(body), Header: res.Header}
	if res.TLS != nil && len(res.TLS.PeerCertificates) > 0 {
		out.Leaf = res.TLS.PeerCertificates[0]
	}
	return out, nil
}

// WaitHTTPS polls rawURL (every 250 ms, each attempt bounded by
// attemptTimeout) until it answers 200 with a body containing want, and
// returns that response. The error on timeout carries the last failure.
// If alive is not nil, waiting stops early when it reports an error (e.g.
// the server process exited).
func WaitHTTPS(ctx context.Context, roots *x509.CertPool, rawURL, want string, attemptTimeout time.Duration, alive func() error) (*Response, error) {
	var last error
	for {
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		res, err := Get(actx, roots, rawURL)
		cancel()
		switch {
		case err != nil:
			last = err
		case res.Status != http.StatusOK || !strings.Contains(res.Body, want):
			last = fmt.Errorf("status %d, body %q", res.Status, tail(res.Body, 3))
		default:
			return res, nil
		}
		if alive != nil {
			if err := alive(); err != nil {
				return nil, fmt.Errorf("%s: %w (last attempt: %v)", rawURL, err, last) //nolint:errorlint // last may be nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no HTTPS success from %s in time (%w); last attempt: %v", rawURL, ctx.Err(), last) //nolint:errorlint // last may be nil
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Backend is an in-process HTTP server standing for the application behind
// Caddy. It answers every path with Greeting plus the request's host, and
// /ask (Caddy's on-demand TLS permission check) with 200 for any domain
// under AskSuffix.
type Backend struct {
	URL       string
	Port      int
	Greeting  string
	AskSuffix string
	srv       *http.Server
}

// StartBackend listens on 127.0.0.1:port (0: a free port).
func StartBackend(cl Cleaner, port int, greeting string) (*Backend, error) {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return nil, fmt.Errorf("backend: %w", err)
	}
	b := &Backend{Port: l.Addr().(*net.TCPAddr).Port, Greeting: greeting, AskSuffix: ".example.test"}
	b.URL = "http://" + l.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc("/ask", func(w http.ResponseWriter, r *http.Request) {
		if d := r.URL.Query().Get("domain"); d != "" && strings.HasSuffix(d, b.AskSuffix) {
			w.WriteHeader(http.StatusOK)
			return
		}
		http.Error(w, "not allowed", http.StatusForbidden)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "%s (host %s)\n", b.Greeting, r.Host)
	})
	b.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := b.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "backend:", err)
		}
	}()
	cl.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = b.srv.Shutdown(ctx)
	})
	return b, nil
}
