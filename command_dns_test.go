package alidns

import (
	"net"
	"slices"
	"testing"

	"github.com/caddyserver/certmagic"
	"github.com/miekg/dns"
)

// The check asks the resolvers Caddy asks: certmagic's own list for every
// resolvers setting, the port added as certmagic adds it (an address
// Caddy mangles is mangled alike, so the check fails where Caddy would),
// and without a setting /etc/resolv.conf's or else certmagic's public
// resolvers, never none. TestMain keeps the other tests off the
// machine's resolvers; this one only lists them, asking nothing.
func TestCheckResolversAreCaddys(t *testing.T) {
	saved := recursiveNameservers
	recursiveNameservers = certmagic.RecursiveNameservers
	t.Cleanup(func() { recursiveNameservers = saved })
	for _, configured := range [][]string{
		nil, {"223.5.5.5"}, {"223.5.5.5:5353"}, {"2400:3200::1"}, {"[2400:3200::1]:53"}, {"[2400:3200::1]"},
		{"dns.example.net"}, {"223.5.5.5", "223.6.6.6:53"},
	} {
		got, from := checkResolvers(configured)
		if want := certmagic.RecursiveNameservers(configured); !slices.Equal(got, want) || len(got) == 0 {
			t.Errorf("resolvers %q: the check asks %q, Caddy %q", configured, got, want)
		}
		if (configured == nil) != (from != "from the config") {
			t.Errorf("resolvers %q: said to come %q", configured, from)
		}
	}
}

// cnameResolver answers for example.com, where the challenge name of
// cnamed.example.com is a CNAME to a zone elsewhere (a delegated
// challenge): the SOA query for it answers the CNAME and, as a recursive
// resolver follows it, the target zone's SOA.
func cnameResolver(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	soa := func(zone string) *dns.SOA {
		return &dns.SOA{Hdr: dns.RR_Header{Name: zone, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 60},
			Ns: "dns1.hichina.com.", Mbox: "hostmaster." + zone, Serial: 1, Refresh: 60, Retry: 60, Expire: 60, Minttl: 60}
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		q := req.Question[0]
		switch {
		case q.Name == "_acme-challenge.cnamed.example.com.":
			m.Answer = append(m.Answer, &dns.CNAME{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 60},
				Target: "_acme-challenge.example.net."})
			m.Ns = append(m.Ns, soa("example.net."))
		case q.Name == "example.com." && q.Qtype == dns.TypeSOA:
			m.Answer = append(m.Answer, soa("example.com."))
		case q.Name == "example.com." && q.Qtype == dns.TypeNS:
			for _, n := range []string{"dns1.hichina.com.", "dns2.hichina.com."} {
				m.Answer = append(m.Answer, &dns.NS{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: 60}, Ns: n})
			}
		case dns.IsSubDomain("example.com.", q.Name):
			m.Rcode = dns.RcodeNameError
			m.Ns = append(m.Ns, soa("example.com."))
		default:
			m.Rcode = dns.RcodeRefused
		}
		_ = w.WriteMsg(m)
	})}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

// The zone of a challenge name is found as Caddy finds it, by certmagic
// itself: a name answered with a CNAME is skipped (a zone apex has none),
// so a challenge CNAMEd to another zone is still written to example.com,
// and the check says so instead of naming the CNAME target's zone and
// failing. (certmagic caches the zone per name for the SOA's refresh
// time, in the check as in Caddy: this name is used by no other test.)
func TestCheckZoneOfCNAMEdChallengeIsCaddys(t *testing.T) {
	isolateCredentialEnv(t)
	s := dnsSim(t, "example.com")
	out, res, err := dnsCheck(t, s, "cnamed.example.com", checkOptions{Resolvers: []string{cnameResolver(t)}, ReadOnly: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	wantLines(t, out, "✓ DNS zone       _acme-challenge.cnamed.example.com is in zone example.com according to DNS")
	if res.Failed != 0 {
		t.Errorf("%d failed:\n%s", res.Failed, out)
	}
}
