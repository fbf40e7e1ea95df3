package alidns

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
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

type dnsChallengeJSON struct {
	Provider           json.RawMessage `json:"provider"`
	Resolvers          []string        `json:"resolvers"`
	PropagationDelay   caddy.Duration  `json:"propagation_delay"`
	PropagationTimeout caddy.Duration  `json:"propagation_timeout"`
}

type tlsAppJSON struct {
	Automation struct {
		Policies []struct {
			Subjects []string          `json:"subjects"`
			Issuers  []json.RawMessage `json:"issuers"`
		} `json:"policies"`
	} `json:"automation"`
	DNS       json.RawMessage `json:"dns"`
	Resolvers []string        `json:"resolvers"`
}

type issuerJSON struct {
	Module     string `json:"module"`
	Challenges *struct {
		DNS *dnsChallengeJSON `json:"dns"`
	} `json:"challenges"`
}

// providerName is the "name" of a dns.providers module JSON.
func providerName(raw json.RawMessage) string {
	var m struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(raw, &m)
	return m.Name
}

// configUses loads the config Caddy would load (caddy run --config FILE
// --adapter NAME, through Caddy's own loader) and returns every
// dns.providers.alidns in it: in a site's tls block, with the global
// acme_dns option (both end up in an automation policy's ACME issuer), or
// as the global dns option (the tls app's dns, used by issuers whose DNS
// challenge names no provider).
func configUses(configFile, adapter string) ([]providerUse, error) {
	cfgJSON, _, _, err := caddycmd.LoadConfig(configFile, adapter)
	if err != nil {
		return nil, err
	}
	if len(cfgJSON) == 0 {
		return nil, fmt.Errorf("no config found (give --config, or run in the directory of a Caddyfile)")
	}
	var cfg struct {
		Apps struct {
			TLS  tlsAppJSON      `json:"tls"`
			HTTP json.RawMessage `json:"http"`
		} `json:"apps"`
	}
	if err := json.Unmarshal(cfgJSON, &cfg); err != nil {
		return nil, fmt.Errorf("reading the config: %w", err)
	}
	tlsApp := cfg.Apps.TLS
	hosts := httpHosts(cfg.Apps.HTTP)
	// A catch-all policy (no subjects) covers the sites' names that no
	// other policy names.
	covered := map[string]bool{}
	for _, pol := range tlsApp.Automation.Policies {
		for _, s := range pol.Subjects {
			covered[strings.ToLower(s)] = true
		}
	}
	var rest []string
	for _, h := range hosts {
		if !covered[strings.ToLower(h)] {
			rest = append(rest, h)
		}
	}
	var uses []providerUse
	for i, pol := range tlsApp.Automation.Policies {
		subjects := pol.Subjects
		if len(subjects) == 0 {
			subjects = rest
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
			if providerName(prov) != "alidns" {
				continue
			}
			res := d.Resolvers
			if len(res) == 0 {
				res = tlsApp.Resolvers
			}
			uses = append(uses, providerUse{Where: where, Provider: prov, Subjects: subjects, Resolvers: res,
				PropagationDelay: time.Duration(d.PropagationDelay), PropagationTimeout: time.Duration(d.PropagationTimeout)})
		}
	}
	if len(uses) == 0 && providerName(tlsApp.DNS) == "alidns" {
		uses = append(uses, providerUse{Where: "apps.tls.dns (global dns option)", Provider: tlsApp.DNS, Subjects: rest, Resolvers: tlsApp.Resolvers})
	}
	if len(uses) == 0 {
		return nil, fmt.Errorf("%s uses no dns.providers.alidns (look for \"dns alidns\" in a tls block, or the global acme_dns / dns options)", configFile)
	}
	return uses, nil
}

// httpHosts are the host names the HTTP app's routes match, which Caddy
// gets certificates for when a policy has no subjects.
func httpHosts(raw json.RawMessage) []string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	seen := map[string]bool{}
	var walk func(any, string)
	walk = func(v any, key string) {
		switch t := v.(type) {
		case map[string]any:
			for k, c := range t {
				walk(c, k)
			}
		case []any:
			for _, c := range t {
				if s, ok := c.(string); ok && key == "host" {
					seen[s] = true
					continue
				}
				walk(c, key)
			}
		}
	}
	walk(v, "")
	out := make([]string, 0, len(seen))
	for h := range seen {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

// certNames keeps the names Caddy gets publicly-trusted certificates for
// through DNS: not IP addresses, localhost or names with placeholders.
func certNames(subjects []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range subjects {
		s = strings.ToLower(strings.TrimSpace(s))
		switch {
		case s == "", strings.ContainsAny(s, "{}"), net.ParseIP(s) != nil, !strings.Contains(s, "."),
			s == "localhost", strings.HasSuffix(s, ".localhost"), strings.HasSuffix(s, ".local"):
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
// propagation settings. only, if set, restricts the names to that one.
// Each name's check has its own time limit (o.Timeout).
func runConfigCheck(ctx context.Context, o checkOptions, configFile, adapter, only string, w io.Writer) ([]*checkResult, error) {
	uses, err := configUses(configFile, adapter)
	if err != nil {
		return nil, err
	}
	var results []*checkResult
	failed := false
	for _, u := range uses {
		names := certNames(u.Subjects)
		if only != "" {
			names = []string{only}
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
