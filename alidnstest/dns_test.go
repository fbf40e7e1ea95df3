package alidnstest

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func query(t *testing.T, s *Server, net, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	c := &dns.Client{Net: net}
	r, _, err := c.Exchange(m, s.DNSAddr)
	if err != nil {
		t.Fatalf("%s %s %s: %v", net, name, dns.TypeToString[qtype], err)
	}
	return r
}

func TestDNS(t *testing.T) {
	s := newSim(t)
	s.AddForeignZone("other.com")
	c := newTC(t, s)
	for _, v := range []string{"token-one", "token-two"} {
		mustOK(t, c.call("AddDomainRecord", "DomainName", "example.com", "RR", "_acme-challenge.www", "Type", "TXT", "Value", v))
	}
	s.PutRecord("example.com", Record{RR: "www", Type: "A", Value: "192.0.2.1", TTL: 1})
	s.PutRecord("example.com", Record{RR: "www", Type: "A", Value: "192.0.2.2", TTL: 1})
	s.PutRecord("example.com", Record{RR: "www", Type: "AAAA", Value: "2001:db8::1"})
	s.PutRecord("example.com", Record{RR: "alias", Type: "CNAME", Value: "www.example.com"})
	s.PutRecord("example.com", Record{RR: "@", Type: "MX", Value: "mx.example.com", Priority: 10})
	s.PutRecord("example.com", Record{RR: "_sip._tcp", Type: "SRV", Value: "10 5 5060 sip.example.com"})
	s.PutRecord("example.com", Record{RR: "@", Type: "CAA", Value: `0 issue "letsencrypt.org"`})
	s.PutRecord("example.com", Record{RR: "svc", Type: "HTTPS", Value: "1 . alpn=h2"})
	s.PutRecord("example.com", Record{RR: "svc2", Type: "HTTPS", Value: "cdn.example.net.", Priority: 0})
	s.PutRecord("example.com", Record{RR: "svc3", Type: "SVCB", Value: ". port=8443", Priority: 2})
	s.PutRecord("example.com", Record{RR: "*.wild", Type: "TXT", Value: "wildcard"})
	s.PutRecord("example.com", Record{RR: "off", Type: "A", Value: "192.0.2.3", Status: "DISABLE"})
	s.PutRecord("example.com", Record{RR: "bad", Type: "SRV", Value: "not an srv"})
	s.PutRecord("example.com", Record{RR: "long", Type: "TXT", Value: strings.Repeat("x", 300)})
	s.PutRecord("example.com", Record{RR: "a.b.c", Type: "A", Value: "192.0.2.4"})

	for _, network := range []string{"udp", "tcp"} {
		t.Run(network, func(t *testing.T) {
			r := query(t, s, network, "_acme-challenge.www.example.com", dns.TypeTXT)
			if r.Rcode != dns.RcodeSuccess || !r.Authoritative || len(r.Answer) != 2 {
				t.Fatalf("TXT: %v", r)
			}
			got := map[string]bool{}
			for _, rr := range r.Answer {
				got[strings.Join(rr.(*dns.TXT).Txt, "")] = true
			}
			if !got["token-one"] || !got["token-two"] {
				t.Fatalf("TXT values: %v", got)
			}
			if r.Answer[0].Header().Ttl != 600 {
				t.Fatalf("TTL = %d", r.Answer[0].Header().Ttl)
			}

			r = query(t, s, network, "example.com", dns.TypeSOA)
			if len(r.Answer) != 1 || r.Answer[0].Header().Rrtype != dns.TypeSOA || !r.Authoritative {
				t.Fatalf("SOA: %v", r)
			}
			r = query(t, s, network, "example.com", dns.TypeNS)
			if len(r.Answer) != 2 {
				t.Fatalf("NS: %v", r)
			}
			r = query(t, s, network, "www.example.com", dns.TypeA)
			if len(r.Answer) != 2 || r.Answer[0].Header().Ttl != 1 {
				t.Fatalf("A: %v", r)
			}
			r = query(t, s, network, "WWW.Example.COM", dns.TypeAAAA)
			if len(r.Answer) != 1 {
				t.Fatalf("AAAA (mixed case): %v", r)
			}
			r = query(t, s, network, "nope.example.com", dns.TypeTXT)
			if r.Rcode != dns.RcodeNameError || len(r.Ns) != 1 || r.Ns[0].Header().Rrtype != dns.TypeSOA {
				t.Fatalf("NXDOMAIN: %v", r)
			}
			r = query(t, s, network, "www.example.com", dns.TypeTXT)
			if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 || len(r.Ns) != 1 {
				t.Fatalf("NODATA: %v", r)
			}
			r = query(t, s, network, "b.c.example.com", dns.TypeA)
			if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 {
				t.Fatalf("empty non-terminal: %v", r)
			}
			r = query(t, s, network, "off.example.com", dns.TypeA)
			if r.Rcode != dns.RcodeNameError {
				t.Fatalf("disabled record served: %v", r)
			}
			r = query(t, s, network, "example.org", dns.TypeA)
			if r.Rcode != dns.RcodeRefused || r.Authoritative {
				t.Fatalf("out of zone: %v", r)
			}
			r = query(t, s, network, "x.other.com", dns.TypeA)
			if r.Rcode != dns.RcodeRefused {
				t.Fatalf("foreign zone: %v", r)
			}
			r = query(t, s, network, "alias.example.com", dns.TypeA)
			if len(r.Answer) != 3 || r.Answer[0].Header().Rrtype != dns.TypeCNAME {
				t.Fatalf("CNAME chase: %v", r)
			}
			r = query(t, s, network, "example.com", dns.TypeMX)
			if len(r.Answer) != 1 || r.Answer[0].(*dns.MX).Preference != 10 {
				t.Fatalf("MX: %v", r)
			}
			r = query(t, s, network, "_sip._tcp.example.com", dns.TypeSRV)
			if len(r.Answer) != 1 || r.Answer[0].(*dns.SRV).Port != 5060 {
				t.Fatalf("SRV: %v", r)
			}
			r = query(t, s, network, "example.com", dns.TypeCAA)
			if len(r.Answer) != 1 || r.Answer[0].(*dns.CAA).Value != "letsencrypt.org" {
				t.Fatalf("CAA: %v", r)
			}
			r = query(t, s, network, "svc.example.com", dns.TypeHTTPS)
			if len(r.Answer) != 1 {
				t.Fatalf("HTTPS: %v", r)
			}
			r = query(t, s, network, "svc2.example.com", dns.TypeHTTPS)
			if len(r.Answer) != 1 || r.Answer[0].(*dns.HTTPS).Priority != 0 || r.Answer[0].(*dns.HTTPS).Target != "cdn.example.net." {
				t.Fatalf("HTTPS alias (separate priority): %v", r)
			}
			r = query(t, s, network, "svc3.example.com", dns.TypeSVCB)
			if len(r.Answer) != 1 || r.Answer[0].(*dns.SVCB).Priority != 2 {
				t.Fatalf("SVCB (separate priority): %v", r)
			}
			r = query(t, s, network, "bad.example.com", dns.TypeSRV)
			if len(r.Answer) != 0 {
				t.Fatalf("unparsable record served: %v", r)
			}
			r = query(t, s, network, "anything.wild.example.com", dns.TypeTXT)
			if len(r.Answer) != 1 || r.Answer[0].Header().Name != "anything.wild.example.com." {
				t.Fatalf("wildcard: %v", r)
			}
			r = query(t, s, network, "long.example.com", dns.TypeTXT)
			if len(r.Answer) != 1 || len(r.Answer[0].(*dns.TXT).Txt) != 2 || len(r.Answer[0].(*dns.TXT).Txt[0]) != 255 {
				t.Fatalf("long TXT: %v", r)
			}
		})
	}

	// Writes are visible immediately; deletions too.
	add := mustOK(t, c.call("AddDomainRecord", "DomainName", "example.com", "RR", "live", "Type", "A", "Value", "192.0.2.9"))
	if r := query(t, s, "udp", "live.example.com", dns.TypeA); len(r.Answer) != 1 {
		t.Fatalf("live add: %v", r)
	}
	mustOK(t, c.call("DeleteDomainRecord", "RecordId", add.str("RecordId")))
	if r := query(t, s, "udp", "live.example.com", dns.TypeA); r.Rcode != dns.RcodeNameError {
		t.Fatalf("live delete: %v", r)
	}
}

func TestDNSIDNAndTruncation(t *testing.T) {
	s := newSim(t)
	s.AddZone("bücher.example", EditionFree)
	s.PutRecord("bücher.example", Record{RR: "测试", Type: "A", Value: "192.0.2.1"})
	for i := 0; i < 40; i++ {
		s.PutRecord("example.com", Record{RR: "big", Type: "TXT", Value: strings.Repeat("y", 100) + string(rune('a'+i%26)) + strings.Repeat("z", i)})
	}
	r := query(t, s, "udp", "xn--0zwm56d.xn--bcher-kva.example", dns.TypeA)
	if len(r.Answer) != 1 {
		t.Fatalf("IDN: %v", r)
	}
	r = query(t, s, "udp", "big.example.com", dns.TypeTXT)
	if !r.Truncated {
		t.Fatalf("UDP answer not truncated (%d answers)", len(r.Answer))
	}
	r = query(t, s, "tcp", "big.example.com", dns.TypeTXT)
	if r.Truncated || len(r.Answer) != 40 {
		t.Fatalf("TCP: truncated=%v answers=%d", r.Truncated, len(r.Answer))
	}
}

func TestWithoutDNS(t *testing.T) {
	s := NewServer(WithoutDNS())
	defer s.Close()
	if s.DNSAddr != "" {
		t.Fatalf("DNSAddr = %q", s.DNSAddr)
	}
}
