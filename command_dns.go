package alidns

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/miekg/dns"
	"go.uber.org/zap"
)

// The DNS side of caddy alidns check: what public DNS (through the
// resolvers Caddy will use) says about the zone, and whether the test
// record becomes visible, and how fast.

// aliDNSNameServerSuffixes are the domains of AliDNS's name servers
// (dns1.hichina.com for the Free edition of domains registered with
// Alibaba, ns1.alidns.com and vipN.alidns.com otherwise).
var aliDNSNameServerSuffixes = []string{".hichina.com.", ".alidns.com."}

// recursiveNameservers is certmagic.RecursiveNameservers (v0.25.6), the
// very function Caddy's DNS challenge takes its resolvers from: the
// configured ones, each given port 53 when it has none, or else those of
// /etc/resolv.conf, or else certmagic's public resolvers. Tests replace it
// (TestMain) so that no test asks the machine's resolvers or the internet.
var recursiveNameservers = certmagic.RecursiveNameservers

// checkResolvers returns the resolvers Caddy asks with the resolvers
// setting configured, and where they come from, for the report.
func checkResolvers(configured []string) ([]string, string) {
	if len(configured) > 0 {
		return recursiveNameservers(configured), "from the config"
	}
	return recursiveNameservers(nil), "Caddy's default without a resolvers setting: those of /etc/resolv.conf, else certmagic's public resolvers"
}

// withPort adds port 53 to a server address given without one, with the
// same function as the resolvers get (certmagic's); addr must not be empty.
func withPort(addr string) string {
	return certmagic.RecursiveNameservers([]string{addr})[0]
}

// query asks server one question; recursion is desired for resolvers and
// not for authoritative servers.
func query(ctx context.Context, server, name string, qtype uint16, recurse bool) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = recurse
	m.SetEdns0(1232, false)
	c := &dns.Client{Timeout: 3 * time.Second}
	in, err := exchange(ctx, c, m, server)
	if err == nil && in.Truncated {
		c.Net = "tcp"
		in, err = exchange(ctx, c, m, server)
	}
	return in, err
}

// exchange is c.ExchangeContext ended at once when ctx is cancelled (the
// dns package heeds only a context's deadline), so that Ctrl-C stops the
// visibility wait without waiting out a query to a silent server.
func exchange(ctx context.Context, c *dns.Client, m *dns.Msg, server string) (*dns.Msg, error) {
	conn, err := c.DialContext(ctx, server)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	in, _, err := c.ExchangeWithConnContext(ctx, m, conn)
	return in, err
}

// findDNSZone finds the zone Caddy writes the challenge record for fqdn to,
// with certmagic's own FindZoneByFQDN (v0.25.6) through the resolvers Caddy
// asks: the owner of the first SOA answered, walking up from fqdn. Like
// Caddy, it remembers an answer for the SOA's refresh time. The lookup runs
// apart so that a cancelled ctx (Ctrl-C) ends the step at once: certmagic's
// queries heed only a context's deadline.
func findDNSZone(ctx context.Context, resolvers []string, fqdn string) (string, error) {
	type answer struct {
		zone string
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		z, err := certmagic.FindZoneByFQDN(ctx, zap.NewNop(), fqdn, resolvers)
		ch <- answer{z, err}
	}()
	select {
	case a := <-ch:
		if a.err != nil {
			return "", a.err
		}
		return strings.ToLower(strings.TrimSuffix(a.zone, ".")), nil
	case <-ctx.Done():
		return "", context.Cause(ctx)
	}
}

// nameServers returns the NS names of zone through the resolvers.
func nameServers(ctx context.Context, resolvers []string, zone string) ([]string, error) {
	var lastErr error
	for _, r := range resolvers {
		in, err := query(ctx, r, zone, dns.TypeNS, true)
		if err != nil {
			lastErr = err
			continue
		}
		return nsOf(in, zone), nil
	}
	return nil, lastErr
}

// nsOf returns the sorted, distinct NS names of zone in an answer (from
// its answer or authority section: a referral carries them there).
func nsOf(in *dns.Msg, zone string) []string {
	var out []string
	for _, rr := range append(in.Answer, in.Ns...) {
		if ns, ok := rr.(*dns.NS); ok && strings.EqualFold(ns.Hdr.Name, dns.Fqdn(zone)) {
			out = append(out, strings.ToLower(ns.Ns))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// parentDelegation asks the parent zone's own name servers (not a
// resolver's cache) for the NS records of zone: the delegation the
// registrar or parent zone publishes. parentServers ("ip:port") overrides
// the parent's servers found through the resolvers. It returns the NS
// names and the parent server that answered, or an error when no parent
// server could be asked.
func parentDelegation(ctx context.Context, resolvers, parentServers []string, zone string) ([]string, string, error) {
	parent := zone[strings.IndexByte(zone, '.')+1:]
	if len(parentServers) == 0 {
		names, err := nameServers(ctx, resolvers, parent)
		if err != nil {
			return nil, "", fmt.Errorf("the name servers of the parent zone %s: %w", parent, err)
		}
		if len(names) == 0 {
			return nil, "", fmt.Errorf("no NS records found for the parent zone %s", parent)
		}
		parentServers = addresses(ctx, resolvers, names)
		if len(parentServers) == 0 {
			return nil, "", fmt.Errorf("the name servers of the parent zone %s (%s) do not resolve", parent, strings.Join(names, ", "))
		}
	}
	var lastErr error
	for _, server := range parentServers {
		in, err := query(ctx, withPort(server), zone, dns.TypeNS, false)
		if err != nil {
			lastErr = err
			continue
		}
		out := nsOf(in, zone)
		if len(out) == 0 {
			lastErr = fmt.Errorf("%s has no delegation for %s (rcode %s)", server, zone, dns.RcodeToString[in.Rcode])
			continue
		}
		return out, server, nil
	}
	return nil, "", lastErr
}

// isAliDNSNameServer reports whether ns (FQDN) is one of the expected
// servers, or, when none are known, an AliDNS name server by its domain.
func isAliDNSNameServer(ns string, expected []string) bool {
	ns = strings.ToLower(dns.Fqdn(ns))
	if len(expected) > 0 {
		return slices.ContainsFunc(expected, func(e string) bool { return strings.EqualFold(dns.Fqdn(e), ns) })
	}
	return slices.ContainsFunc(aliDNSNameServerSuffixes, func(s string) bool { return strings.HasSuffix(ns, s) })
}

// addresses resolves name servers to "ip:53" through the resolvers.
func addresses(ctx context.Context, resolvers []string, names []string) []string {
	var out []string
	for _, n := range names {
		for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
			for _, r := range resolvers {
				in, err := query(ctx, r, n, qt, true)
				if err != nil {
					continue
				}
				for _, rr := range in.Answer {
					switch a := rr.(type) {
					case *dns.A:
						out = append(out, net.JoinHostPort(a.A.String(), "53"))
					case *dns.AAAA:
						out = append(out, net.JoinHostPort(a.AAAA.String(), "53"))
					}
				}
				break
			}
		}
	}
	return out
}

// hasTXT reports whether server answers a TXT record at fqdn with value.
func hasTXT(ctx context.Context, server, fqdn, value string, recurse bool) (bool, error) {
	in, err := query(ctx, server, fqdn, dns.TypeTXT, recurse)
	if err != nil {
		return false, err
	}
	for _, rr := range in.Answer {
		if t, ok := rr.(*dns.TXT); ok && strings.Join(t.Txt, "") == value {
			return true, nil
		}
	}
	return false, nil
}

// visibility is when a server first answered the test record.
type visibility struct {
	Server string        `json:"server"`
	Kind   string        `json:"kind"` // "authoritative" or "resolver"
	After  time.Duration `json:"after_ns"`
	Seen   bool          `json:"seen"`
	Err    string        `json:"error,omitempty"`
}

// waitVisible polls every server (concurrently, each second) until each
// answers the record or timeout passes.
func waitVisible(ctx context.Context, servers map[string]string, fqdn, value string, timeout time.Duration) []visibility {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	res := make([]visibility, 0, len(servers))
	ch := make(chan visibility, len(servers))
	for server, kind := range servers {
		go func() {
			v := visibility{Server: server, Kind: kind}
			for {
				seen, err := hasTXT(ctx, server, fqdn, value, kind == "resolver")
				if err != nil {
					v.Err = err.Error()
				}
				if seen {
					v.Seen, v.After, v.Err = true, time.Since(start), ""
					break
				}
				select {
				case <-ctx.Done():
					v.After = time.Since(start)
					ch <- v
					return
				case <-time.After(time.Second):
				}
			}
			ch <- v
		}()
	}
	for range servers {
		res = append(res, <-ch)
	}
	slices.SortFunc(res, func(a, b visibility) int { return strings.Compare(a.Kind+a.Server, b.Kind+b.Server) })
	return res
}
