package alidns

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/miekg/dns"
	"github.com/spf13/cobra"

	"github.com/caddy-alidns/alidns/alidnstest"
)

// dnsSim is a simulator with its authoritative DNS server, which also
// serves as the resolver Caddy is configured with (resolvers in the tls
// block), as in the e2e tests.
func dnsSim(t *testing.T, zones ...string) *alidnstest.Server {
	t.Helper()
	s := alidnstest.NewServer()
	t.Cleanup(s.Close)
	for _, z := range zones {
		s.AddZone(z, alidnstest.EditionFree)
	}
	s.AddAccessKey(modKeyID, modKeySecret)
	return s
}

func dnsCheck(t *testing.T, s *alidnstest.Server, domain string, o checkOptions) (string, *checkResult, error) {
	t.Helper()
	p := keyProvider(s, modKeySecret)
	p.Retry = fastRetry
	o.Provider, o.Domain = p, domain
	if o.Resolvers == nil {
		o.Resolvers = []string{s.DNSAddr}
	}
	if o.PropagationTimeout == 0 {
		o.PropagationTimeout = 10 * time.Second
	}
	var out bytes.Buffer
	res, err := runCheckReport(ctx(t), o, &out)
	assertNoCommandSecrets(t, out.String())
	return out.String(), res, err
}

// The README's quick start under its minimal RAM policy (AddDomainRecord
// and DeleteDomainRecord only): the denied lookups are warnings naming the
// action, the zone comes from DNS, the test record is the proof, and the
// DNS side (delegation to AliDNS, visibility with timings) is reported.
func TestCheckMinimalPolicyWithDNS(t *testing.T) {
	isolateCredentialEnv(t)
	s := dnsSim(t, "example.com")
	s.AllowActions(modKeyID, "AddDomainRecord", "DeleteDomainRecord")
	out, res, err := dnsCheck(t, s, "home.example.com", checkOptions{Authoritative: []string{s.DNSAddr}})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("\n%s", out)
	wantLines(t, out,
		"! zones          alidns:DescribeDomains is not allowed (optional",
		"! lookup         alidns:DescribeSubDomainRecords is not allowed (optional for certificates",
		"✓ DNS zone       _acme-challenge.home.example.com is in zone example.com according to DNS (SOA, through "+s.DNSAddr,
		"- hosted zone    not looked up (no permission); using example.com from DNS",
		"✓ delegation     example.com is delegated to dns1.hichina.com, dns2.hichina.com",
		"✓ create TXT     created record",
		"✓ visibility     authoritative "+s.DNSAddr+" answers the test record after",
		"✓ delete TXT     deleted record",
		"All checks passed (2 warning(s))",
	)
	if len(res.Visibility) != 1 || !res.Visibility[0].Seen || res.Zone != "example.com" {
		t.Errorf("result %+v", res)
	}
	if n := len(s.Records("example.com")); n != 0 {
		t.Errorf("%d records left", n)
	}
	// --json carries the same steps.
	b, _ := json.Marshal(res)
	if !strings.Contains(string(b), `"status":"warn","step":"lookup"`) || !strings.Contains(string(b), `"passed":true`) {
		t.Errorf("json: %s", b)
	}
}

// Without DNS, the minimal policy still finds the zone: the test record is
// created in the first candidate zone AliDNS accepts.
func TestCheckMinimalPolicyWithoutDNS(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	s.AllowActions(modKeyID, "AddDomainRecord", "DeleteDomainRecord")
	out, err := checkWith(t, keyProvider(s, modKeySecret), "a.b.example.com", false)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	wantLines(t, out, "created record", "in zone example.com", "✓ delete TXT", "All checks passed (2 warning(s))")
}

// A zone not delegated to AliDNS fails, naming the name servers found.
func TestCheckNotDelegatedToAliDNS(t *testing.T) {
	isolateCredentialEnv(t)
	s := dnsSim(t, "example.com")
	// The resolver answers for the zone from another provider: an
	// authoritative server that is not AliDNS's.
	out, _, err := dnsCheck(t, s, "www.example.com", checkOptions{Resolvers: []string{fakeNSResolver(t, "example.com.", "ada.ns.cloudflare.com.", "bob.ns.cloudflare.com.")}, PropagationTimeout: 2 * time.Second})
	if !errors.Is(err, errChecksFailed) {
		t.Fatalf("err = %v\n%s", err, out)
	}
	wantLines(t, out,
		"✗ delegation     example.com is delegated to ada.ns.cloudflare.com, bob.ns.cloudflare.com, not to AliDNS",
		"set the name servers of example.com to the name servers AliDNS assigned to it (dns1.hichina.com, dns2.hichina.com)",
	)
}

// A name in a child zone delegated elsewhere (DNS says its own zone) is
// named: Caddy would write to that zone, which this account lacks.
func TestCheckChildZoneNamed(t *testing.T) {
	isolateCredentialEnv(t)
	s := dnsSim(t, "example.com")
	child := dnsSim(t, "shop.example.com")
	out, _, err := dnsCheck(t, s, "www.shop.example.com", checkOptions{Resolvers: []string{child.DNSAddr}, ReadOnly: true})
	if !errors.Is(err, errChecksFailed) {
		t.Fatalf("err = %v\n%s", err, out)
	}
	wantLines(t, out,
		"✗ DNS zone       DNS says _acme-challenge.www.shop.example.com is in zone shop.example.com, but this AliDNS account holds it in zone example.com",
		"shop.example.com is a child zone delegated to other name servers",
	)
}

// fakeNSResolver is a resolver on loopback for a zone hosted elsewhere:
// it answers the zone's SOA and NS (the given servers) and nothing else.
func fakeNSResolver(t *testing.T, zone string, ns ...string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		q := req.Question[0]
		soa := &dns.SOA{Hdr: dns.RR_Header{Name: zone, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 60}, Ns: ns[0], Mbox: "hostmaster." + zone, Serial: 1, Refresh: 60, Retry: 60, Expire: 60, Minttl: 60}
		switch {
		case q.Name == zone && q.Qtype == dns.TypeNS:
			for _, n := range ns {
				m.Answer = append(m.Answer, &dns.NS{Hdr: dns.RR_Header{Name: zone, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: 60}, Ns: n})
			}
		case q.Name == zone && q.Qtype == dns.TypeSOA:
			m.Answer = append(m.Answer, soa)
		case dns.IsSubDomain(zone, q.Name):
			m.Rcode = dns.RcodeNameError
			m.Ns = append(m.Ns, soa)
		default:
			m.Rcode = dns.RcodeRefused
		}
		_ = w.WriteMsg(m)
	})}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

// --config reads the Caddyfile Caddy will run, finds every
// dns.providers.alidns (a site's tls block, the global acme_dns and dns
// options) and checks each name with those settings, the resolvers and
// propagation_timeout around it; --json gives the results.
func TestCheckConfig(t *testing.T) {
	isolateCredentialEnv(t)
	s := dnsSim(t, "example.com", "example.org")
	s.AllowActions(modKeyID, "AddDomainRecord", "DeleteDomainRecord")
	dir := t.TempDir()
	envFile := filepath.Join(dir, "alidns.env")
	writeFile(t, envFile, "ALICLOUD_ACCESS_KEY="+modKeyID+"\nALICLOUD_SECRET_KEY="+modKeySecret+"\nALIDNS_ENDPOINT="+s.URL+"\n")
	for k := range map[string]bool{"ALICLOUD_ACCESS_KEY": true, "ALICLOUD_SECRET_KEY": true, "ALIDNS_ENDPOINT": true} {
		unsetenv(t, k)
	}
	caddyfile := filepath.Join(dir, "Caddyfile")
	writeFile(t, caddyfile, fmt.Sprintf(`{
	acme_dns alidns
}
home.example.com {
	tls {
		dns alidns
		resolvers %s
		propagation_timeout 15s
	}
	respond "hi"
}
*.example.org, example.org {
	respond "hi"
}
`, s.DNSAddr))
	out, err := run(t, "alidns", "check", "--config", caddyfile, "--envfile", envFile, "--authoritative", s.DNSAddr, "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	assertNoCommandSecrets(t, out)
	var results []checkResult
	if err := json.Unmarshal([]byte(out), &results); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	domains := map[string]checkResult{}
	for _, r := range results {
		domains[r.Domain] = r
	}
	home, org := domains["home.example.com"], domains["*.example.org"]
	if len(results) != 2 || !home.Passed || !org.Passed {
		t.Fatalf("results: %s", out)
	}
	if len(home.Resolvers) != 1 || home.Resolvers[0] != s.DNSAddr || home.Zone != "example.com" || len(home.Visibility) != 1 || !home.Visibility[0].Seen {
		t.Errorf("home.example.com: %+v", home)
	}
	if !strings.Contains(home.Source, "Caddyfile: apps.tls.automation.policies") || org.Zone != "example.org" {
		t.Errorf("sources %q %q, org zone %q", home.Source, org.Source, org.Zone)
	}
	// The text report of the same, then a config without the provider.
	out, err = run(t, "alidns", "check", "--config", caddyfile, "--adapter", "caddyfile", "--envfile", envFile, "--authoritative", s.DNSAddr, "home.example.com")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	wantLines(t, out, "Checking AliDNS for home.example.com", "✓ visibility", "All checks passed (2 warning(s))")
	writeFile(t, caddyfile, "example.com {\n\trespond \"hi\"\n}\n")
	if out, err = run(t, "alidns", "check", "--config", caddyfile); err == nil || !strings.Contains(err.Error(), "uses no dns.providers.alidns") {
		t.Errorf("no provider: %v\n%s", err, out)
	}
}

// run runs `caddy alidns ...args` as registered with Caddy and returns its
// standard output (standard error is logged).
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	reg, ok := caddycmd.Commands()["alidns"]
	if !ok {
		t.Fatal("caddy alidns is not registered")
	}
	root := &cobra.Command{Use: "caddy", SilenceUsage: true}
	sub := &cobra.Command{Use: "alidns " + reg.Usage, Short: reg.Short, Long: reg.Long}
	reg.CobraFunc(sub)
	root.AddCommand(sub)
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx(t))
	if errOut.Len() > 0 {
		t.Logf("stderr: %s", errOut.String())
	}
	assertNoCommandSecrets(t, out.String()+errOut.String())
	return out.String(), err
}

// An IDN zone: the check addresses AliDNS with the Unicode zone and DNS
// with punycode.
func TestCheckIDNZone(t *testing.T) {
	isolateCredentialEnv(t)
	s := dnsSim(t, "例子.中国")
	out, _, err := dnsCheck(t, s, "www.例子.中国", checkOptions{Authoritative: []string{s.DNSAddr}})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	wantLines(t, out,
		"✓ DNS zone       _acme-challenge.www.xn--fsqu00a.xn--fiqs8s is in zone xn--fsqu00a.xn--fiqs8s",
		"✓ hosted zone    例子.中国 (xn--fsqu00a.xn--fiqs8s) holds",
		"✓ visibility     authoritative", "✓ delete TXT", "All checks passed (0 warning(s))")
	for _, c := range s.Calls() {
		if dn := c.Params.Get("DomainName"); dn != "" && dn != "例子.中国" {
			t.Errorf("%s sent DomainName %q", c.Action, dn)
		}
	}
}

// The delegation is read at the parent zone's servers: a zone hosted in
// AliDNS (whose own servers answer AliDNS NS records) but delegated by the
// registrar to other name servers fails, naming them.
func TestCheckDelegationAtParent(t *testing.T) {
	isolateCredentialEnv(t)
	s := dnsSim(t, "example.com")
	parent := fakeNSResolver(t, "example.com.", "ada.ns.cloudflare.com.", "bob.ns.cloudflare.com.")
	out, res, err := dnsCheck(t, s, "www.example.com", checkOptions{ParentServers: []string{parent}, Authoritative: []string{s.DNSAddr}})
	if !errors.Is(err, errChecksFailed) {
		t.Fatalf("err = %v\n%s", err, out)
	}
	wantLines(t, out,
		"✗ delegation     example.com is delegated to ada.ns.cloudflare.com, bob.ns.cloudflare.com, not to AliDNS (at the parent zone's server "+parent+")",
		"set the name servers of example.com to the name servers AliDNS assigned to it (dns1.hichina.com, dns2.hichina.com)",
		"✓ delete TXT")
	if len(res.NameServer) != 2 || res.NameServer[0] != "ada.ns.cloudflare.com" {
		t.Errorf("name servers %v", res.NameServer)
	}
	// Delegated to AliDNS at the parent: passes.
	parent = fakeNSResolver(t, "example.com.", "dns1.hichina.com.", "dns2.hichina.com.")
	out, _, err = dnsCheck(t, s, "www.example.com", checkOptions{ParentServers: []string{parent}, Authoritative: []string{s.DNSAddr}})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	wantLines(t, out, "✓ delegation     example.com is delegated to dns1.hichina.com, dns2.hichina.com (at the parent zone's server "+parent+")")
}

// Through the command: a zone delegated elsewhere makes caddy alidns check
// fail (non-zero exit) with the name servers found, in --json too.
func TestCheckCommandFailsWhenNotDelegated(t *testing.T) {
	isolateCredentialEnv(t)
	s := dnsSim(t, "example.com")
	t.Setenv("ALICLOUD_ACCESS_KEY", modKeyID)
	t.Setenv("ALICLOUD_SECRET_KEY", modKeySecret)
	parent := fakeNSResolver(t, "example.com.", "ada.ns.cloudflare.com.", "bob.ns.cloudflare.com.")
	out, err := run(t, "alidns", "check", "www.example.com", "--endpoint", s.URL, "--resolvers", s.DNSAddr,
		"--parent-servers", parent, "--authoritative", s.DNSAddr, "--propagation-timeout", "5s", "--json")
	if !errors.Is(err, errChecksFailed) {
		t.Fatalf("err = %v\n%s", err, out)
	}
	var results []checkResult
	if jerr := json.Unmarshal([]byte(out), &results); jerr != nil || len(results) != 1 || results[0].Passed {
		t.Fatalf("%v: %s", jerr, out)
	}
	if !strings.Contains(out, "delegated to ada.ns.cloudflare.com, bob.ns.cloudflare.com, not to AliDNS") {
		t.Errorf("output: %s", out)
	}
}
