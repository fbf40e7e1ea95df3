package alidns

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// The DNS side of caddy alidns check: what public DNS (through the
// resolvers Caddy will use) says about the zone, and whether the test
// record becomes visible, and how fast.

// aliDNSNameServerSuffixes are the domains of AliDNS's name servers
// (dns1.hichina.com for the Free edition of domains registered with
// Alibaba, ns1.alidns.com and vipN.alidns.com otherwise).
var aliDNSNameServerSuffixes = []string{".hichina.com.", ".alidns.com."}

// systemResolvers are the resolvers of /etc/resolv.conf, which certmagic
// uses when the config sets none. Tests replace it: they never ask the
// machine's resolvers.
var systemResolvers = resolvConf

func resolvConf() []string {
	cfg, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil || len(cfg.Servers) == 0 {
		return nil
	}
	out := make([]string, 0, len(cfg.Servers))
	for _, s := range cfg.Servers {
		out = append(out, net.JoinHostPort(s, cfg.Port))
	}
	return out
}

// withPort adds :53 to a resolver given without a port, as Caddy does.
func withPort(addr string) string {
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return addr
	}
	return net.JoinHostPort(strings.Trim(addr, "[]"), "53")
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

// soaZone finds the zone fqdn is in as certmagic does: the owner of the
// SOA record in the answer or authority section, through the first
// resolver that answers.
func soaZone(ctx context.Context, resolvers []string, fqdn string) (string, error) {
	var lastErr error
	for _, r := range resolvers {
		for _, name := range suffixes(fqdn) {
			in, err := query(ctx, r, name, dns.TypeSOA, true)
			if err != nil {
				lastErr = err
				break
			}
			for _, rr := range append(in.Answer, in.Ns...) {
				if soa, ok := rr.(*dns.SOA); ok {
					return strings.ToLower(strings.TrimSuffix(soa.Hdr.Name, ".")), nil
				}
			}
		}
	}
	if lastErr == nil {
		lastErr = fmt.Errorf("no SOA record found for %s or its parents", fqdn)
	}
	return "", lastErr
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
