// Command alidns-sim runs the alidnstest Alibaba Cloud DNS API simulator as
// a standalone process, for end-to-end tests of programs in other processes
// (e.g. a real Caddy instance with Pebble).
//
// Usage:
//
//	alidns-sim -api 127.0.0.1:8081 -dns 127.0.0.1:5353 -zone example.test[:edition] ...
//	           [-foreign-zone other.test] [-tls -cert-out ca.pem]
//	           [-qps N -error-rate F -latency D -latency-jitter D -drop-rate F -write-window D -seed N]
//	           [-lost-answer-rate F -lost-answer-delay D -gateway-error-rate F]
//	           [-throttle-burst D -throttle-burst-every D]
//	           [-sts-ttl D] [-key id:secret] [-allow-actions A,B] [-state-out state.json]
//
// -allow-actions restricts every access key registered at start (the
// default key and each -key) to the listed API actions, like a RAM policy;
// other actions fail with Forbidden.RAM.
//
// Editions: free (mianfei, default), personal, enterprise_basic (standard),
// enterprise_advanced (ultimate); VersionCode values are accepted too.
//
// Once listening it prints machine-parseable KEY=VALUE lines to stdout:
// API_URL, DNS_ADDR, ACCESS_KEY_ID, ACCESS_KEY_SECRET, CREDENTIALS_URI,
// IMDS_URL, CA_CERT_FILE (with -cert-out), one ZONE line per zone, and
// finally READY=1. It then runs until SIGINT or SIGTERM; with -state-out
// the final state (zones and records, JSON) is written on exit.
//
// The unauthenticated /_sim/ endpoints on the API listener expose the
// state, the call log and fault settings to test harnesses; see the
// alidnstest package documentation.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/caddy-alidns/alidns/alidnstest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "alidns-sim:", err)
		os.Exit(1)
	}
}

// listFlag is a repeatable string flag.
type listFlag []string

// String implements flag.Value.
func (l *listFlag) String() string { return strings.Join(*l, ",") }

// Set implements flag.Value.
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

type options struct {
	api, dns            string
	noDNS, useTLS       bool
	certOut, stateOut   string
	zones, foreign      listFlag
	keys                listFlag
	allowActions        string
	faults              alidnstest.Faults
	stsTTL              time.Duration
	imdsRole            string
	noDefaultCredential bool
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("alidns-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.api, "api", "127.0.0.1:0", "API listen address")
	fs.StringVar(&o.dns, "dns", "127.0.0.1:0", "authoritative DNS listen address (UDP and TCP)")
	fs.BoolVar(&o.noDNS, "no-dns", false, "do not start the DNS server")
	fs.BoolVar(&o.useTLS, "tls", false, "serve the API over HTTPS with a self-signed certificate")
	fs.StringVar(&o.certOut, "cert-out", "", "write the TLS certificate (PEM) to this file (with -tls)")
	fs.StringVar(&o.stateOut, "state-out", "", "write the final state (JSON) to this file on exit")
	fs.Var(&o.zones, "zone", "hosted zone name[:edition] (repeatable)")
	fs.Var(&o.foreign, "foreign-zone", "zone hosted in another account (repeatable)")
	fs.Var(&o.keys, "key", "extra access key id:secret (repeatable)")
	fs.BoolVar(&o.noDefaultCredential, "no-default-key", false, "do not register the default access key")
	fs.StringVar(&o.allowActions, "allow-actions", "", "comma-separated API actions the access keys may call, like a RAM policy (default: all)")
	fs.Float64Var(&o.faults.QPS, "qps", 0, "API calls per second before Throttling.User (0 = unlimited)")
	fs.Float64Var(&o.faults.ErrorRate, "error-rate", 0, "fraction of calls failing with 500/503")
	fs.DurationVar(&o.faults.Latency, "latency", 0, "added latency per API call")
	fs.DurationVar(&o.faults.LatencyJitter, "latency-jitter", 0, "random extra latency in [0, jitter)")
	fs.Float64Var(&o.faults.DropRate, "drop-rate", 0, "fraction of connections closed without a response")
	fs.DurationVar(&o.faults.WriteWindow, "write-window", 0, "per-zone window for LastOperationNotFinished")
	fs.Int64Var(&o.faults.Seed, "seed", 0, "random seed for faults (0 = time-based)")
	fs.Float64Var(&o.faults.LostAnswerRate, "lost-answer-rate", 0, "fraction of successful writes applied but answered with a random fault (error, gateway page, empty body, reset, slow)")
	fs.DurationVar(&o.faults.LostAnswerDelay, "lost-answer-delay", 0, "how long a randomly lost answer of kind slow is held (0 = never slow)")
	fs.Float64Var(&o.faults.GatewayErrorRate, "gateway-error-rate", 0, "fraction of calls answered, unapplied, with an nginx 502 HTML page or an empty 500")
	fs.DurationVar(&o.faults.ThrottleBurst, "throttle-burst", 0, "length of each Throttling.User burst (with -throttle-burst-every)")
	fs.DurationVar(&o.faults.ThrottleBurstEvery, "throttle-burst-every", 0, "period of Throttling.User bursts")
	fs.DurationVar(&o.stsTTL, "sts-ttl", time.Hour, "lifetime of STS credentials from /credentials-uri and IMDS")
	fs.StringVar(&o.imdsRole, "imds-role", alidnstest.DefaultIMDSRole, "ECS RAM role name served by the IMDS endpoints")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if o.certOut != "" && !o.useTLS {
		return nil, errors.New("-cert-out requires -tls")
	}
	return o, nil
}

// run starts the simulator, prints its coordinates and serves until ctx is
// done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	opts := []alidnstest.Option{
		alidnstest.WithAPIAddr(o.api),
		alidnstest.WithDNSAddr(o.dns),
		alidnstest.WithSTSTTL(o.stsTTL),
		alidnstest.WithIMDSRole(o.imdsRole),
		alidnstest.WithDefaultCredentials(!o.noDefaultCredential),
	}
	if o.noDNS {
		opts = append(opts, alidnstest.WithoutDNS())
	}
	// Seeded before it starts, so that nothing ever sees it half set up.
	s := alidnstest.NewUnstartedServer(opts...)
	defer s.Close()
	zoneNames, err := seed(s, o)
	if err != nil {
		return err
	}
	start := s.Start
	if o.useTLS {
		start = s.StartTLS
	}
	if err := start(); err != nil {
		return fmt.Errorf("start simulator: %w", err)
	}
	lines, err := coordinates(s, o, zoneNames)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(stdout, strings.Join(lines, "\n")); err != nil {
		return fmt.Errorf("write coordinates: %w", err)
	}

	<-ctx.Done()
	if o.stateOut != "" {
		b, err := json.MarshalIndent(s.Snapshot(), "", "  ")
		if err != nil {
			return fmt.Errorf("encode state: %w", err)
		}
		if err := os.WriteFile(o.stateOut, b, 0o644); err != nil {
			return fmt.Errorf("write state: %w", err)
		}
	}
	return nil
}

// seed adds the zones, keys, RAM allow-lists and faults the flags ask
// for, and returns the zone names.
func seed(s *alidnstest.Server, o *options) ([]string, error) {
	var zoneNames []string
	for _, z := range o.zones {
		name, ed, err := parseZone(z)
		if err != nil {
			return nil, err
		}
		if err := addZone(func() { s.AddZone(name, ed) }); err != nil {
			return nil, fmt.Errorf("zone %q: %w", z, err)
		}
		zoneNames = append(zoneNames, name)
	}
	for _, z := range o.foreign {
		if err := addZone(func() { s.AddForeignZone(z) }); err != nil {
			return nil, fmt.Errorf("foreign zone %q: %w", z, err)
		}
	}
	var keyIDs []string
	if !o.noDefaultCredential {
		keyIDs = append(keyIDs, alidnstest.DefaultAccessKeyID)
	}
	for _, k := range o.keys {
		id, secret, ok := strings.Cut(k, ":")
		if !ok || id == "" || secret == "" {
			return nil, fmt.Errorf("-key %q: want id:secret", k)
		}
		s.AddAccessKey(id, secret)
		keyIDs = append(keyIDs, id)
	}
	if o.allowActions != "" {
		var actions []string
		for _, a := range strings.Split(o.allowActions, ",") {
			if a = strings.TrimSpace(a); a != "" {
				actions = append(actions, a)
			}
		}
		if len(actions) == 0 {
			return nil, fmt.Errorf("-allow-actions %q: no action named", o.allowActions)
		}
		for _, id := range keyIDs {
			s.AllowActions(id, actions...)
		}
	}
	s.SetFaults(o.faults)
	return zoneNames, nil
}

// coordinates are the KEY=VALUE lines printed once the simulator serves.
func coordinates(s *alidnstest.Server, o *options, zoneNames []string) ([]string, error) {
	lines := []string{"API_URL=" + s.URL}
	if s.DNSAddr != "" {
		lines = append(lines, "DNS_ADDR="+s.DNSAddr)
	}
	if !o.noDefaultCredential {
		lines = append(lines, "ACCESS_KEY_ID="+alidnstest.DefaultAccessKeyID, "ACCESS_KEY_SECRET="+alidnstest.DefaultAccessKeySecret)
	}
	lines = append(lines, "CREDENTIALS_URI="+s.URL+"/credentials-uri", "IMDS_URL="+s.URL)
	if o.certOut != "" {
		if err := os.WriteFile(o.certOut, s.CertificatePEM(), 0o644); err != nil {
			return nil, fmt.Errorf("write certificate: %w", err)
		}
		lines = append(lines, "CA_CERT_FILE="+o.certOut)
	}
	for _, z := range zoneNames {
		lines = append(lines, "ZONE="+z)
	}
	return append(lines, "READY=1"), nil
}

// parseZone splits "name[:edition]".
func parseZone(v string) (string, alidnstest.Edition, error) {
	name, ed, _ := strings.Cut(v, ":")
	edition, err := alidnstest.ParseEdition(ed)
	if err != nil {
		return "", "", fmt.Errorf("zone %q: %w", v, err)
	}
	return name, edition, nil
}

// addZone converts the panic of an invalid zone name into an error.
func addZone(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	f()
	return nil
}
