package alidns

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/caddyserver/certmagic"
	"golang.org/x/net/idna"
)

// providerUse is one dns.providers.alidns of a Caddy config with the DNS
// challenge settings around it and the names it gets certificates for.
type providerUse struct {
	Where     string          // where in the config, for the report
	Provider  json.RawMessage // the provider's JSON (placeholders unexpanded)
	Subjects  []string
	Resolvers []string
	// PropagationDelay and PropagationTimeout as Caddy applies them.
	PropagationDelay, PropagationTimeout time.Duration
}

// The parts of a Caddy JSON config the check reads, under the JSON names
// of caddytls v2.11.9 (TLS, AutomationPolicy, ACMEIssuer's challenges,
// DNSChallengeConfig, AutomateLoader) and caddyhttp v2.11.9 (App, Server,
// Route, AutoHTTPSConfig). Decoding into those types themselves would
// compile Caddy's whole TLS and HTTP stack into every program that uses
// this libdns provider (757 and 936 packages instead of 361), for no
// behaviour: TestConfigJSONMatchesCaddysTypes decodes a config into both.
type (
	caddyConfigJSON struct {
		Apps struct {
			TLS  tlsAppJSON  `json:"tls"`
			HTTP httpAppJSON `json:"http"`
		} `json:"apps"`
	}
	tlsAppJSON struct {
		Automation *struct {
			Policies []automationPolicyJSON `json:"policies"`
		} `json:"automation"`
		Certificates map[string]json.RawMessage `json:"certificates"`
		DNS          json.RawMessage            `json:"dns"`
	}
	automationPolicyJSON struct {
		Subjects []string          `json:"subjects"`
		Issuers  []json.RawMessage `json:"issuers"`
	}
	issuerJSON struct {
		Module     string `json:"module"`
		Challenges *struct {
			DNS *dnsChallengeJSON `json:"dns"`
		} `json:"challenges"`
	}
	dnsChallengeJSON struct {
		Provider           json.RawMessage `json:"provider"`
		Resolvers          []string        `json:"resolvers"`
		PropagationDelay   caddy.Duration  `json:"propagation_delay"`
		PropagationTimeout caddy.Duration  `json:"propagation_timeout"`
	}
	httpAppJSON struct {
		HTTPPort int                        `json:"http_port"`
		Servers  map[string]*httpServerJSON `json:"servers"`
	}
	httpServerJSON struct {
		Listen []string `json:"listen"`
		Routes []struct {
			Match []map[string]json.RawMessage `json:"match"`
		} `json:"routes"`
		AutoHTTPS *autoHTTPSJSON `json:"automatic_https"`
	}
	autoHTTPSJSON struct {
		Disabled     bool     `json:"disable"`
		DisableCerts bool     `json:"disable_certificates"`
		Skip         []string `json:"skip"`
		SkipCerts    []string `json:"skip_certificates"`
	}
)

// providerName is the "name" of a dns.providers module JSON.
func providerName(raw json.RawMessage) string {
	var m struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(raw, &m)
	return m.Name
}

// configUses loads the config Caddy would load (caddy run --config FILE
// --adapter NAME, through Caddy's own loader) and returns every dns.providers.alidns Caddy solves ACME DNS
// challenges with, each with the names it gets certificates for. A name's
// policy is the one Caddy picks (policyFor); the provider is the issuer's
// DNS challenge provider, or the tls app's global dns when the challenge
// names none (caddytls v2.11.9 (*ACMEIssuer).Provision). The resolvers
// are the challenge's own: Caddy does not fall back to apps.tls.resolvers
// there (the Caddyfile adapter copies the global resolvers option into each
// DNS challenge).
//
// With only set, the uses are those Caddy would get only's certificate
// with, and only is their one name.
func configUses(configFile, adapter, only string) ([]providerUse, error) {
	cfgJSON, _, _, err := caddycmd.LoadConfig(configFile, adapter)
	if err != nil {
		return nil, err
	}
	if len(cfgJSON) == 0 {
		return nil, fmt.Errorf("no config found (give --config, or run in the directory of a Caddyfile)")
	}
	var cfg caddyConfigJSON
	if err := json.Unmarshal(cfgJSON, &cfg); err != nil {
		return nil, fmt.Errorf("reading the config: %w", err)
	}
	tlsApp := &cfg.Apps.TLS
	var policies []automationPolicyJSON
	if tlsApp.Automation != nil {
		policies = tlsApp.Automation.Policies
	}
	subjects, err := policySubjects(policies)
	if err != nil {
		return nil, err
	}
	names, err := managedNames(&cfg.Apps.HTTP, tlsApp, subjects)
	if err != nil {
		return nil, err
	}
	if only != "" {
		names = []string{only}
	}
	var uses []providerUse
	for i, pol := range policies {
		var mine []string
		for _, n := range names {
			if policyFor(subjects, asciiName(n)) == i {
				mine = append(mine, n)
			}
		}
		for j, raw := range pol.Issuers {
			var iss issuerJSON
			if json.Unmarshal(raw, &iss) != nil || iss.Challenges == nil || iss.Challenges.DNS == nil {
				continue
			}
			d := iss.Challenges.DNS
			prov, where := d.Provider, fmt.Sprintf("apps.tls.automation.policies[%d].issuers[%d] (%s)", i, j, iss.Module)
			if len(prov) == 0 {
				prov, where = tlsApp.DNS, where+" with the global dns option"
			}
			if providerName(prov) != "alidns" || (only != "" && len(mine) == 0) {
				continue
			}
			uses = append(uses, providerUse{Where: where, Provider: prov, Subjects: mine, Resolvers: d.Resolvers,
				PropagationDelay: time.Duration(d.PropagationDelay), PropagationTimeout: time.Duration(d.PropagationTimeout)})
		}
	}
	if len(uses) == 0 {
		hint := `look for "dns alidns" in a tls block, or the global acme_dns option`
		if providerName(tlsApp.DNS) == "alidns" {
			hint = "the global dns option alone does not make Caddy use the DNS challenge (it is the provider of DNS challenges that name none, and of ECH): add acme_dns (with no arguments it uses the global dns provider)"
		}
		if only != "" {
			return nil, fmt.Errorf("with %s, Caddy would not get the certificate for %s through dns.providers.alidns: the automation policy it picks for that name has no DNS challenge with it (%s)", configFile, only, hint)
		}
		return nil, fmt.Errorf("%s uses no dns.providers.alidns for certificates (%s)", configFile, hint)
	}
	return uses, nil
}

// policySubjects returns each automation policy's subjects as Caddy matches
// names against them: placeholders replaced ({env.*}) and IDNs in ASCII, as
// caddytls v2.11.9 (*AutomationPolicy).Provision prepares them.
func policySubjects(policies []automationPolicyJSON) ([][]string, error) {
	repl := caddy.NewReplacer()
	out := make([][]string, len(policies))
	for i, pol := range policies {
		for _, sub := range pol.Subjects {
			a, err := idna.ToASCII(repl.ReplaceAll(sub, ""))
			if err != nil {
				return nil, fmt.Errorf("apps.tls.automation.policies[%d]: subject %q: %w (Caddy refuses it too)", i, sub, err)
			}
			out[i] = append(out[i], a)
		}
	}
	return out, nil
}

// policyFor returns the index of the automation policy Caddy manages name
// with, as caddytls v2.11.9 (*TLS).getAutomationPolicyForName picks it: the
// first policy that has no subjects or a subject certmagic.MatchWildcard
// matches; -1 when none does (Caddy's default policy, whose issuers have
// no DNS challenge). subjects are policySubjects'.
// TestPolicyForMatchesCaddy compares it with Caddy's choice.
func policyFor(subjects [][]string, name string) int {
	for i, subs := range subjects {
		if len(subs) == 0 {
			return i
		}
		for _, s := range subs {
			if certmagic.MatchWildcard(name, s) {
				return i
			}
		}
	}
	return -1
}

// managedNames are the names Caddy may get certificates for: those its
// automatic HTTPS manages (httpHosts), those of the tls app's automate
// certificate loader, and the automation policies' subjects (names a
// policy is written for, on-demand ones included), without duplicates.
func managedNames(httpApp *httpAppJSON, tlsApp *tlsAppJSON, subjects [][]string) ([]string, error) {
	hosts, err := httpHosts(httpApp)
	if err != nil {
		return nil, err
	}
	var automate []string
	if raw, ok := tlsApp.Certificates["automate"]; ok {
		if err := json.Unmarshal(raw, &automate); err != nil {
			return nil, fmt.Errorf("apps.tls.certificates.automate: %w", err)
		}
	}
	repl := caddy.NewReplacer()
	for _, n := range automate {
		hosts = append(hosts, repl.ReplaceAll(n, ""))
	}
	slices.Sort(hosts)
	var names []string
	seen := map[string]bool{}
	for _, n := range append(slices.Concat(subjects...), hosts...) {
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	return names, nil
}

// httpHosts are the names the HTTP app's automatic HTTPS gets certificates
// for, collected as caddyhttp v2.11.9 (*App).automaticHTTPSPhase1 collects
// them: the host matchers of each server's top-level routes, placeholders
// replaced, except in servers whose automatic HTTPS is disabled (or its
// certificates) or that listen only on the HTTP port, and except names in
// skip or skip_certificates or that do not qualify for a certificate.
// Unlike Caddy, a name is kept when a loaded certificate already covers it.
func httpHosts(app *httpAppJSON) ([]string, error) {
	httpPort := app.HTTPPort
	if httpPort == 0 {
		httpPort = 80 // caddyhttp.DefaultHTTPPort
	}
	repl := caddy.NewReplacer()
	var out []string
	for _, name := range slices.Sorted(maps.Keys(app.Servers)) {
		srv := app.Servers[name]
		auto := srv.AutoHTTPS
		if auto == nil {
			auto = new(autoHTTPSJSON)
		}
		if auto.Disabled || auto.DisableCerts || !listensBeyond(srv.Listen, httpPort) {
			continue
		}
		for r, route := range srv.Routes {
			for _, set := range route.Match {
				raw, ok := set["host"]
				if !ok {
					continue
				}
				var hosts []string
				if err := json.Unmarshal(raw, &hosts); err != nil {
					return nil, fmt.Errorf("apps.http.servers.%s.routes[%d]: host matcher: %w", name, r, err)
				}
				for _, h := range hosts {
					h, err := repl.ReplaceOrErr(h, true, false)
					if err != nil {
						return nil, fmt.Errorf("apps.http.servers.%s.routes[%d]: host matcher: %w (Caddy refuses it too)", name, r, err)
					}
					if certmagic.SubjectQualifiesForCert(h) && !slices.Contains(auto.Skip, h) && !slices.Contains(auto.SkipCerts, h) {
						out = append(out, h)
					}
				}
			}
		}
	}
	return out, nil
}

// listensBeyond reports whether a listener address uses a port other than
// port, as caddyhttp v2.11.9 (*Server).listenersUseAnyPortOtherThan does.
func listensBeyond(listen []string, port int) bool {
	for _, ln := range listen {
		a, err := caddy.ParseNetworkAddress(ln)
		if err != nil {
			continue
		}
		if uint(port) > a.EndPort || uint(port) < a.StartPort {
			return true
		}
	}
	return false
}

// certNames keeps the names Caddy gets publicly-trusted certificates for
// through DNS: those certmagic.SubjectQualifiesForPublicCert accepts, but
// not IP addresses or single labels, which have no DNS zone to write to.
// A wildcard and its base name share one challenge name: checked once.
func certNames(subjects []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range subjects {
		s = strings.ToLower(strings.TrimSpace(s))
		if !certmagic.SubjectQualifiesForPublicCert(s) || certmagic.SubjectIsIP(s) || !strings.Contains(s, ".") {
			continue
		}
		base := strings.TrimPrefix(s, "*.")
		if seen[base] {
			continue
		}
		seen[base] = true
		out = append(out, s)
	}
	return out
}

// runConfigCheck checks every dns.providers.alidns of a config for every
// name it serves, with the config's provider settings, resolvers and
// propagation settings. only, if set, restricts the names to that one, checked
// with the policy Caddy would use for it.
// Each name's check has its own time limit (o.Timeout).
func runConfigCheck(ctx context.Context, o checkOptions, configFile, adapter, only string, w io.Writer) ([]*checkResult, error) {
	uses, err := configUses(configFile, adapter, only)
	if err != nil {
		return nil, err
	}
	var results []*checkResult
	failed := false
	for _, u := range uses {
		names := certNames(u.Subjects)
		if only != "" {
			names = u.Subjects // checked as given, even a name Caddy would not certify
		}
		if len(names) == 0 {
			fmt.Fprintf(w, "%s: no domain names to check (give one as an argument)\n", u.Where)
			continue
		}
		for _, name := range names {
			if ctx.Err() != nil {
				// Interrupted: the names left are not checked.
				break
			}
			p := new(Provider)
			if err := json.Unmarshal(u.Provider, p); err != nil {
				return results, fmt.Errorf("%s: reading the provider settings: %w", u.Where, err)
			}
			p.HTTPClient, p.Retry = o.Provider.HTTPClient, o.Provider.Retry
			co := o
			co.Provider = p
			co.Domain, co.Source, co.ConfigFile = name, configFile+": "+u.Where, configFile
			co.Resolvers, co.PropagationDelay = u.Resolvers, u.PropagationDelay
			if len(o.Resolvers) > 0 { // the command line wins
				co.Resolvers = o.Resolvers
			}
			if o.PropagationTimeout == 0 {
				co.PropagationTimeout = u.PropagationTimeout
			}
			fmt.Fprintf(w, "%s, %s:\n", configFile, u.Where)
			res, err := runCheckReport(ctx, co, w)
			if res == nil && err != nil {
				return results, err
			}
			results = append(results, res)
			if err != nil {
				failed = true
			}
			fmt.Fprintln(w)
		}
	}
	if failed {
		return results, errChecksFailed
	}
	return results, nil
}
