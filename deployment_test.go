package alidns

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/libdns/libdns"

	"github.com/caddy-alidns/alidns/alidnstest"
)

// TestDynamicDNSPolicy does what caddy-dynamicdns does with a provider
// (GetRecords of the zone, then SetRecords of the changed address
// records) with the AccessKey limited to the RAM policy of
// docs/dynamic-dns.md: its five actions suffice, and an address change
// updates the record in place.
func TestDynamicDNSPolicy(t *testing.T) {
	var policy struct {
		Statement []struct{ Action []string }
	}
	if err := json.Unmarshal([]byte(fencedBlock(t, readDoc(t, "docs/dynamic-dns.md"), "json")), &policy); err != nil || len(policy.Statement) != 1 {
		t.Fatalf("docs/dynamic-dns.md: the RAM policy does not parse as one statement (%v)", err)
	}
	var allowed []string
	for _, a := range policy.Statement[0].Action {
		allowed = append(allowed, strings.TrimPrefix(a, "alidns:"))
	}
	if len(allowed) != 5 {
		t.Fatalf("docs/dynamic-dns.md's policy allows %v, want the five actions it names", allowed)
	}
	s := newSim(t, "example.com")
	s.AllowActions(alidnstest.DefaultAccessKeyID, allowed...)
	p := newProvider(s)
	for _, ip := range []string{"203.0.113.7", "203.0.113.8", "203.0.113.8"} {
		if _, err := p.GetRecords(ctx(t), "example.com."); err != nil {
			t.Fatalf("GetRecords: %v", err)
		}
		if _, err := p.SetRecords(ctx(t), "example.com.", []libdns.Record{libdns.Address{Name: "home", TTL: 10 * time.Minute, IP: netip.MustParseAddr(ip)}}); err != nil {
			t.Fatalf("SetRecords %s: %v", ip, err)
		}
		recs := s.Records("example.com")
		if len(recs) != 1 || recs[0].Value != ip || recs[0].RR != "home" {
			t.Fatalf("after %s the zone holds %+v", ip, recs)
		}
	}
	for _, c := range s.Calls() {
		if c.Code != "" {
			t.Errorf("%s answered %s", c.Action, c.Code)
		}
	}
	if s.CallCount("UpdateDomainRecord") != 1 {
		t.Errorf("%d updates, want 1: %v", s.CallCount("UpdateDomainRecord"), actions(s))
	}
}

// TestRRSAPrecedenceTrap: on Kubernetes with RRSA, a stray AccessKey in the
// environment (an old Secret in envFrom) wins over the pod's RAM role, as
// docs/kubernetes-rrsa.md warns; the source says which one won.
func TestRRSAPrecedenceTrap(t *testing.T) {
	isolateCredentialEnv(t)
	t.Setenv("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1234:role/caddy-dns")
	t.Setenv("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "acs:ram::1234:oidc-provider/ack-rrsa-c1")
	t.Setenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/var/run/secrets/ack.alibabacloud.com/rrsa-tokens/token")
	t.Setenv("ALICLOUD_ACCESS_KEY", testKeyID)
	t.Setenv("ALICLOUD_SECRET_KEY", testSecret)
	src := mustResolve(t, credentialOptions{})
	if got, want := src.Source(), "env ALICLOUD_ACCESS_KEY/ALICLOUD_SECRET_KEY"; got != want {
		t.Fatalf("source %q, want %q (the stray key wins over RRSA)", got, want)
	}
}
