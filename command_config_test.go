package alidns

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/caddy/v2/modules/caddytls"
)

// policyFor is a copy of caddytls's (*TLS).getAutomationPolicyForName,
// which is unexported; this compares the two on a table. Caddy's choice is
// observed from outside: each policy of a provisioned tls app gets an
// external certificate manager (get_certificate http) with its own URL,
// and a TLS handshake for a name makes Caddy ask the manager of the
// policy it picked, or none for its default policy. The managers answer
// an error, so that nothing is ever issued.
func TestPolicyForMatchesCaddy(t *testing.T) {
	t.Setenv("T_ALIDNS_POLICY_HOST", "env.example.com")
	var mu sync.Mutex
	asked := map[string]string{} // server name -> manager path
	managers := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked[r.URL.Query().Get("server_name")] = r.URL.Path
		mu.Unlock()
		http.Error(w, "no certificate here", http.StatusInternalServerError)
	}))
	t.Cleanup(managers.Close)

	// No wildcard names: certmagic refuses a "*" in a handshake's server
	// name, so Caddy's choice for them cannot be seen this way (it makes it
	// for them in Manage, with the same function).
	names := []string{"www.example.com", "WWW.example.com", "env.example.com", "x.example.com", "example.com",
		"a.b.example.com", "xn--fsqu00a.xn--fiqs8s", "a.b.example.net", "a.example.org", "b.example.org",
		"example.org", "other.test"}
	for _, tc := range []struct {
		name     string
		subjects [][]string // one policy each; nil: no subjects (catch-all)
	}{
		{"catch-all last", [][]string{{"www.example.com", "{env.T_ALIDNS_POLICY_HOST}"}, {"*.example.com"}, {"例子.中国"}, {"*.*.example.net"}, nil}},
		{"catch-all first", [][]string{nil, {"www.example.com"}}},
		{"no catch-all", [][]string{{"a.example.org"}, {"*.example.org"}, {"Example.COM"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var policies []map[string]any
			for i, subs := range tc.subjects {
				p := map[string]any{"get_certificate": []map[string]string{{"via": "http", "url": managers.URL + "/policy/" + strconv.Itoa(i)}}}
				if subs != nil {
					p["subjects"] = subs
				}
				policies = append(policies, p)
			}
			tlsJSON, _ := json.Marshal(map[string]any{"automation": map[string]any{"policies": policies}})
			var app tlsAppJSON
			if err := json.Unmarshal(tlsJSON, &app); err != nil {
				t.Fatal(err)
			}
			subjects, err := policySubjects(app.Automation.Policies)
			if err != nil {
				t.Fatal(err)
			}
			handshake := provisionedTLS(t, tlsJSON)
			mu.Lock()
			clear(asked)
			mu.Unlock()
			for _, name := range names {
				handshake(name)
				mu.Lock()
				path, ok := asked[name]
				mu.Unlock()
				caddys := -1
				if ok {
					caddys, _ = strconv.Atoi(strings.TrimPrefix(path, "/policy/"))
				}
				if got := policyFor(subjects, name); got != caddys {
					t.Errorf("%s: policyFor picks policy %d, Caddy picks %d (-1: its default policy)", name, got, caddys)
				}
			}
			if len(asked) == 0 {
				t.Fatal("no manager was asked: the observation does not work")
			}
		})
	}
}

// provisionedTLS provisions a Caddy tls app from its JSON (storage in a
// temporary directory) and returns a function that makes
// a TLS handshake for a server name with a server using it.
func provisionedTLS(t *testing.T, tlsJSON []byte) func(serverName string) {
	t.Helper()
	storage, _ := json.Marshal(map[string]string{"module": "file_system", "root": filepath.Join(t.TempDir(), "storage")})
	cfg := &caddy.Config{
		StorageRaw: storage,
		AppsRaw:    caddy.ModuleMap{"tls": tlsJSON},
	}
	cctx, err := caddy.ProvisionContext(cfg)
	if err != nil {
		t.Fatalf("provisioning the tls app: %v", err)
	}
	appIface, err := cctx.App("tls")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = appIface.(*caddytls.TLS).Cleanup() })
	cps := caddytls.ConnectionPolicies{new(caddytls.ConnectionPolicy)}
	if err := cps.Provision(cctx); err != nil {
		t.Fatal(err)
	}
	serverConfig := cps.TLSConfig(cctx)
	return func(serverName string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c, s := net.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = tls.Client(c, &tls.Config{ServerName: serverName, InsecureSkipVerify: true}).HandshakeContext(ctx) //nolint:gosec // only which certificate manager is asked matters
			c.Close()
		}()
		err := tls.Server(s, serverConfig).HandshakeContext(ctx)
		s.Close()
		<-done
		if err == nil {
			t.Fatalf("%s: the handshake succeeded, but no policy has a certificate", serverName)
		}
	}
}

// The config is read with local types under the JSON names of Caddy's own
// (see tlsAppJSON): a config with every field they read, decoded into both,
// gives the same values, so a misspelt or renamed field shows here.
func TestConfigJSONMatchesCaddysTypes(t *testing.T) {
	config := []byte(`{"apps": {
  "tls": {
    "automation": {"policies": [
      {"subjects": ["*.example.com", "{env.HOST}"], "issuers": [
        {"module": "acme", "challenges": {"dns": {"provider": {"name": "alidns"}, "resolvers": ["223.5.5.5"], "propagation_delay": "5s", "propagation_timeout": "2m"}}},
        {"module": "zerossl"}]},
      {"issuers": [{"module": "acme", "challenges": {"http": {"disabled": true}}}]}]},
    "certificates": {"automate": ["a.example.com"]},
    "dns": {"name": "alidns", "endpoint": "https://x.invalid"}
  },
  "http": {"http_port": 8080, "servers": {"srv0": {"listen": [":443", ":8443"],
    "routes": [{"match": [{"host": ["www.example.com"], "path": ["/x"]}, {"host": ["b.example.com"]}]}, {"handle": []}],
    "automatic_https": {"disable": true, "disable_certificates": true, "skip": ["s.example.com"], "skip_certificates": ["c.example.com"]}}}}
}}`)
	var ours caddyConfigJSON
	var theirs struct {
		Apps struct {
			TLS  caddytls.TLS  `json:"tls"`
			HTTP caddyhttp.App `json:"http"`
		} `json:"apps"`
	}
	if err := json.Unmarshal(config, &ours); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(config, &theirs); err != nil {
		t.Fatal(err)
	}
	// Caddy's values, in the local types' shape.
	var want caddyConfigJSON
	ct := theirs.Apps.TLS
	want.Apps.TLS.DNS, want.Apps.TLS.Certificates = ct.DNSRaw, map[string]json.RawMessage(ct.CertificatesRaw)
	want.Apps.TLS.Automation = &struct {
		Policies []automationPolicyJSON `json:"policies"`
	}{}
	for _, p := range ct.Automation.Policies {
		want.Apps.TLS.Automation.Policies = append(want.Apps.TLS.Automation.Policies, automationPolicyJSON{Subjects: p.SubjectsRaw, Issuers: p.IssuersRaw})
	}
	ch := theirs.Apps.HTTP
	want.Apps.HTTP.HTTPPort = ch.HTTPPort
	want.Apps.HTTP.Servers = map[string]*httpServerJSON{}
	for name, srv := range ch.Servers {
		s := &httpServerJSON{Listen: srv.Listen, AutoHTTPS: &autoHTTPSJSON{Disabled: srv.AutoHTTPS.Disabled, DisableCerts: srv.AutoHTTPS.DisableCerts,
			Skip: srv.AutoHTTPS.Skip, SkipCerts: srv.AutoHTTPS.SkipCerts}}
		for _, r := range srv.Routes {
			var match []map[string]json.RawMessage
			for _, set := range r.MatcherSetsRaw {
				match = append(match, set)
			}
			s.Routes = append(s.Routes, struct {
				Match []map[string]json.RawMessage `json:"match"`
			}{match})
		}
		want.Apps.HTTP.Servers[name] = s
	}
	if !reflect.DeepEqual(ours, want) {
		o, _ := json.Marshal(ours)
		w, _ := json.Marshal(want)
		t.Errorf("local types read\n%s\nCaddy's read\n%s", o, w)
	}
	for _, raw := range ours.Apps.TLS.Automation.Policies[0].Issuers[:1] {
		var iss issuerJSON
		var acme caddytls.ACMEIssuer
		if json.Unmarshal(raw, &iss) != nil || json.Unmarshal(raw, &acme) != nil || iss.Challenges == nil || iss.Challenges.DNS == nil {
			t.Fatalf("issuer %s not read", raw)
		}
		d, cd := iss.Challenges.DNS, acme.Challenges.DNS
		if !bytes.Equal(d.Provider, cd.ProviderRaw) || !slices.Equal(d.Resolvers, cd.Resolvers) || d.PropagationDelay != cd.PropagationDelay || d.PropagationTimeout != cd.PropagationTimeout {
			t.Errorf("DNS challenge: local %+v, Caddy's %+v", *d, *cd)
		}
	}
}

// The config's names go to the automation policy Caddy picks for them:
// a site covered by a wildcard policy is checked with that policy's
// provider settings and resolvers, not the catch-all's, and the tls app's
// resolvers are not used for a DNS challenge that sets none (Caddy does
// not use them either).
func TestConfigUsesFollowCaddysPolicyChoice(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "caddy.json")
	writeFile(t, config, `{"apps": {
  "http": {"servers": {"srv0": {"listen": [":443"], "routes": [
    {"match": [{"host": ["www.example.com", "shop.example.org"]}]},
    {"match": [{"host": ["skipped.example.org", "localhost"]}]}
  ], "automatic_https": {"skip_certificates": ["skipped.example.org"]}},
  "plain": {"listen": [":80"], "routes": [{"match": [{"host": ["plain.example.net"]}]}]}}},
  "tls": {
    "resolvers": ["192.0.2.53"],
    "automation": {"policies": [
      {"subjects": ["*.example.com"], "issuers": [{"module": "acme", "challenges": {"dns": {"provider": {"name": "alidns", "endpoint": "https://wild.invalid"}, "resolvers": ["192.0.2.1"]}}}]},
      {"issuers": [{"module": "acme", "challenges": {"dns": {"provider": {"name": "alidns", "endpoint": "https://rest.invalid"}, "propagation_timeout": "30s"}}}]}
    ]}
  }
}}`)
	uses, err := configUses(config, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(uses) != 2 {
		t.Fatalf("%d uses, want 2", len(uses))
	}
	wild, rest := uses[0], uses[1]
	if !slices.Equal(wild.Subjects, []string{"*.example.com", "www.example.com"}) || !slices.Equal(wild.Resolvers, []string{"192.0.2.1"}) ||
		!strings.Contains(string(wild.Provider), "wild.invalid") {
		t.Errorf("wildcard policy: %s", useString(wild))
	}
	// localhost is Caddy's too, but gets no public certificate: certNames drops it.
	if !slices.Equal(certNames(rest.Subjects), []string{"shop.example.org"}) || rest.Resolvers != nil || rest.PropagationTimeout != 30*time.Second {
		t.Errorf("catch-all policy: %s", useString(rest))
	}
	// One name given: checked only with the policy Caddy uses for it.
	uses, err = configUses(config, "", "api.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(uses) != 1 {
		t.Fatalf("api.example.com: %d uses, want 1", len(uses))
	}
	if !slices.Equal(uses[0].Subjects, []string{"api.example.com"}) || !strings.Contains(string(uses[0].Provider), "wild.invalid") {
		t.Errorf("api.example.com: %s", useString(uses[0]))
	}
}

// A name given with --config is checked with the policy Caddy picks for
// it: here the Caddyfile adapter gives www.example.com its own policy
// (without a DNS challenge) ahead of the wildcard's, so Caddy would not get
// its certificate through AliDNS, and the check says so.
func TestConfigNameGivenUsesCaddysPolicy(t *testing.T) {
	caddyfile := filepath.Join(t.TempDir(), "Caddyfile")
	writeFile(t, caddyfile, "*.example.com {\n\ttls {\n\t\tdns alidns\n\t}\n}\nwww.example.com {\n\trespond \"hi\"\n}\n")
	uses, err := configUses(caddyfile, "", "api.example.com")
	if err != nil || len(uses) != 1 || !slices.Equal(uses[0].Subjects, []string{"api.example.com"}) {
		t.Fatalf("api.example.com: %d uses, %v", len(uses), err)
	}
	_, err = configUses(caddyfile, "", "www.example.com")
	want := "with " + caddyfile + ", Caddy would not get the certificate for www.example.com through dns.providers.alidns: the automation policy it picks for that name has no DNS challenge with it"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v\nwant %s…", err, want)
	}
}

// The global dns option alone does not make Caddy solve DNS challenges:
// the check says so instead of checking names Caddy gets another way.
func TestConfigGlobalDNSAloneIsNotUsedForCertificates(t *testing.T) {
	caddyfile := filepath.Join(t.TempDir(), "Caddyfile")
	writeFile(t, caddyfile, "{\n\tdns alidns\n}\nwww.example.com {\n\trespond \"hi\"\n}\n")
	_, err := configUses(caddyfile, "", "")
	want := caddyfile + " uses no dns.providers.alidns for certificates (the global dns option alone does not make Caddy use the DNS challenge"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v\nwant %s…", err, want)
	}
	// With acme_dns and no arguments, the global provider is used.
	writeFile(t, caddyfile, "{\n\tdns alidns\n\tacme_dns\n}\nwww.example.com {\n\trespond \"hi\"\n}\n")
	uses, err := configUses(caddyfile, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(uses) != 1 {
		t.Fatalf("%d uses, want 1", len(uses))
	}
	if !strings.HasSuffix(uses[0].Where, "with the global dns option") || !slices.Equal(uses[0].Subjects, []string{"www.example.com"}) {
		t.Errorf("%s", useString(uses[0]))
	}
}

func useString(u providerUse) string {
	return fmt.Sprintf("%s: provider %s, names %q, resolvers %q, propagation_timeout %s", u.Where, u.Provider, u.Subjects, u.Resolvers, u.PropagationTimeout)
}
