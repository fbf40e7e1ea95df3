package alidnstest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Default credentials registered on every Server unless
// WithDefaultCredentials(false) is given. They are obviously fake.
const (
	DefaultAccessKeyID     = "sim-access-key-id"
	DefaultAccessKeySecret = "sim-access-key-secret"
)

// APIVersion is the only Alidns API version the simulator accepts.
const APIVersion = "2015-01-09"

// Server is a running Alidns simulator. Create it with NewServer or
// NewTLSServer and stop it with Close.
type Server struct {
	// URL is the base URL of the API, e.g. "http://127.0.0.1:41234" (no
	// trailing slash). The API itself is served at URL + "/".
	URL string
	// DNSAddr is the "127.0.0.1:port" address of the authoritative DNS
	// server (UDP and TCP), or "" when started WithoutDNS.
	DNSAddr string

	cfg      config
	listener net.Listener
	httpSrv  *http.Server
	tlsCert  *x509.Certificate
	client   *http.Client
	dnsUDP   *dns.Server
	dnsTCP   *dns.Server
	closeOne sync.Once

	mu sync.Mutex // guards everything below
	st state
	fl faultState
	cl callLog
	rd Readings
}

// NewServer starts a simulator with a plain-HTTP API and, unless
// WithoutDNS is given, an authoritative DNS server. It panics if a listener
// cannot be opened, like httptest.NewServer.
func NewServer(opts ...Option) *Server {
	s := NewUnstartedServer(opts...)
	if err := s.Start(); err != nil {
		panic(fmt.Sprintf("alidnstest: %v", err))
	}
	return s
}

// NewTLSServer is like NewServer but serves the API over HTTPS with a
// freshly generated self-signed certificate valid for 127.0.0.1, ::1,
// localhost and alidns.aliyuncs.com. Server.Client trusts it.
func NewTLSServer(opts ...Option) *Server {
	s := NewUnstartedServer(opts...)
	if err := s.StartTLS(); err != nil {
		panic(fmt.Sprintf("alidnstest: %v", err))
	}
	return s
}

// NewUnstartedServer returns a simulator with its state set up (default
// credentials, options applied) but not yet serving, like
// httptest.NewUnstartedServer: zones, records and faults can be set
// before it answers anything. Start or StartTLS starts it.
func NewUnstartedServer(opts ...Option) *Server {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{cfg: cfg}
	s.st.init()
	s.st.stsTTL = cfg.stsTTL
	s.fl.init()
	if cfg.defaultCreds {
		s.AddAccessKey(DefaultAccessKeyID, DefaultAccessKeySecret)
	}
	return s
}

// Start serves the API over plain HTTP (and DNS, unless WithoutDNS). It
// returns an error where httptest panics, for programs such as
// cmd/alidns-sim.
func (s *Server) Start() error { return s.start(false) }

// StartTLS is Start with the API served over HTTPS (see NewTLSServer).
func (s *Server) StartTLS() error { return s.start(true) }

func (s *Server) start(useTLS bool) error {
	if s.URL != "" {
		return errors.New("server already started")
	}
	ln, err := net.Listen("tcp", s.cfg.apiAddr)
	if err != nil {
		return fmt.Errorf("listen API on %s: %w", s.cfg.apiAddr, err)
	}
	s.listener = ln
	s.httpSrv = &http.Server{
		Handler:           http.HandlerFunc(s.route),
		ReadHeaderTimeout: 30 * time.Second,
		// HTTP/2 is disabled so that dropped connections can be simulated
		// with http.Hijacker.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	scheme := "http"
	if useTLS {
		cert, leaf, err := selfSignedCert()
		if err != nil {
			ln.Close()
			return fmt.Errorf("generate TLS certificate: %w", err)
		}
		s.tlsCert = leaf
		s.listener = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		pool := x509.NewCertPool()
		pool.AddCert(leaf)
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		scheme = "https"
	}
	transport.ForceAttemptHTTP2 = false
	s.client = &http.Client{Transport: transport, Timeout: 60 * time.Second}
	s.URL = scheme + "://" + ln.Addr().String()
	go func() { _ = s.httpSrv.Serve(s.listener) }()

	if !s.cfg.noDNS {
		if err := s.startDNS(s.cfg.dnsAddr); err != nil {
			s.httpSrv.Close()
			return fmt.Errorf("start DNS server: %w", err)
		}
	}
	return nil
}

// Close shuts down the API and DNS servers and closes idle client
// connections. It is safe to call more than once, and on a server that
// was never started.
func (s *Server) Close() {
	s.closeOne.Do(func() {
		if s.httpSrv == nil {
			return // never started
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := s.httpSrv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.httpSrv.Close()
		}
		if s.dnsUDP != nil {
			_ = s.dnsUDP.Shutdown()
		}
		if s.dnsTCP != nil {
			_ = s.dnsTCP.Shutdown()
		}
		if t, ok := s.client.Transport.(*http.Transport); ok {
			t.CloseIdleConnections()
		}
	})
}

// Client returns an HTTP client configured for the server: for a TLS
// server it trusts the server's self-signed certificate.
func (s *Server) Client() *http.Client { return s.client }

// Certificate returns the self-signed certificate of a TLS server, or nil
// for a plain-HTTP server.
func (s *Server) Certificate() *x509.Certificate { return s.tlsCert }

// now returns the simulator clock.
func (s *Server) now() time.Time { return s.cfg.clock() }

// route dispatches HTTP requests by path.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case p == "/" && r.URL.Query().Get("Action") == "AssumeRoleWithOIDC" && s.cfg.oidc != nil:
		s.serveAssumeRoleWithOIDC(w, r)
	case p == "/":
		s.serveAPI(w, r)
	case p == "/credentials-uri":
		s.serveCredentialsURI(w, r)
	case len(p) >= len("/latest/") && p[:len("/latest/")] == "/latest/":
		s.serveIMDS(w, r)
	case len(p) >= len("/_sim/") && p[:len("/_sim/")] == "/_sim/":
		s.serveDebug(w, r)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{
			"RequestId": newRequestID(),
			"HostId":    r.Host,
			"Code":      "InvalidPath.NotFound",
			"Message":   "Specified path " + p + " is not found. The Alidns API is served at /.",
		}, "")
	}
}
