package alidns

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/certmagic"
	"github.com/libdns/libdns"
	"go.uber.org/zap"

	"github.com/caddy-alidns/alidns/internal/api"
)

func init() {
	caddy.RegisterModule(new(Provider))
}

// CaddyModule returns the Caddy module information.
func (*Provider) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "dns.providers.alidns",
		New: func() caddy.Module { return new(Provider) },
	}
}

// Provision expands placeholders ({env.X}, {file.X}) in the string
// settings, checks every setting, resolves the credentials and builds the
// API client, so that a bad config is refused when Caddy loads it rather
// than at the first certificate. A placeholder that is unknown or expands
// to nothing is an error, not a silently empty setting.
//
// The expanded values are kept in unexported state: the exported fields
// still hold the placeholders, so neither the config Caddy stores and
// prints nor a json.Marshal of the provisioned Provider holds a secret
// that came from a placeholder.
//
// Provision does its work once per Provider: later calls return nil and
// change nothing.
func (p *Provider) Provision(ctx caddy.Context) error {
	if reg := ctx.GetMetricsRegistry(); reg != nil && p.metrics.Load() == nil {
		m, err := newAPIMetrics(reg)
		if err != nil {
			return err
		}
		p.metrics.CompareAndSwap(nil, m)
	}
	return p.provision(ctx.Logger(), caddy.NewReplacer())
}

// provision is Provision without a Caddy context (the diagnostics command
// uses it too). logger may be nil.
func (p *Provider) provision(logger *zap.Logger, repl *caddy.Replacer) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.provisioned {
		return nil
	}
	if logger != nil {
		p.logger = logger
	}
	s, err := p.expand(repl)
	if err != nil {
		return err
	}
	if err := checkSettings(s, time.Duration(p.TTL), time.Duration(p.HTTPTimeout)); err != nil {
		return err
	}
	p.expanded = &s
	if _, err := p.setupLocked(os.LookupEnv); err != nil {
		p.expanded = nil
		return err
	}
	p.provisioned = true
	endpoint, from := endpointOf(s.Endpoint, os.LookupEnv)
	l := p.log()
	l.Debug("provisioned",
		zap.String("credentials", p.creds.Source()),
		zap.String("endpoint", p.api.Endpoint),
		zap.String("endpoint_from", from),
		zap.String("line", p.line()),
		zap.Duration("default_ttl", time.Duration(p.defaultTTL())*time.Second))
	if s.RegionID != "" && from != "endpoint" {
		l.Info("region_id does not select the API endpoint: the central endpoint serves every region; set endpoint to use a regional one",
			zap.String("region_id", s.RegionID),
			zap.String("endpoint", endpoint),
			zap.String("regional_endpoint", api.RegionalEndpoint(s.RegionID)))
	}
	return nil
}

// Cleanup closes the idle connections of the API client when Caddy
// unloads the module (on a config reload or at shutdown). Requests still
// in flight are not affected, and a later call opens new connections.
func (p *Provider) Cleanup() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.api != nil && p.HTTPClient == nil {
		p.api.HTTPClient.CloseIdleConnections()
	}
	return nil
}

// placeholderFields are the string settings in which placeholders are
// expanded, by their JSON/Caddyfile names.
func (p *Provider) placeholderFields() []struct {
	name string
	v    string
	dst  func(*settings) *string
} {
	return []struct {
		name string
		v    string
		dst  func(*settings) *string
	}{
		{"access_key_id", p.AccessKeyID, func(s *settings) *string { return &s.AccessKeyID }},
		{"access_key_secret", p.AccessKeySecret, func(s *settings) *string { return &s.AccessKeySecret }},
		{"security_token", p.SecurityToken, func(s *settings) *string { return &s.SecurityToken }},
		{"profile", p.Profile, func(s *settings) *string { return &s.Profile }},
		{"ram_role", p.RAMRole, func(s *settings) *string { return &s.RAMRole }},
		{"region_id", p.RegionID, func(s *settings) *string { return &s.RegionID }},
		{"endpoint", p.Endpoint, func(s *settings) *string { return &s.Endpoint }},
		{"line", p.Line, func(s *settings) *string { return &s.Line }},
	}
}

// expand returns the string settings with placeholders replaced and
// surrounding white space trimmed. Its errors name the field and the
// placeholder, never a value.
func (p *Provider) expand(repl *caddy.Replacer) (settings, error) {
	var s settings
	for _, f := range p.placeholderFields() {
		if f.v == "" {
			continue
		}
		v, err := repl.ReplaceOrErr(f.v, true, true)
		if err != nil {
			return settings{}, fmt.Errorf("%s: %w; %s", f.name, err, placeholderHint(f.v))
		}
		*f.dst(&s) = strings.TrimSpace(v)
	}
	return s, nil
}

// placeholderHint says what to do about a placeholder that could not be
// expanded.
func placeholderHint(v string) string {
	switch {
	case strings.Contains(v, "{env."):
		return "set the environment variable in Caddy's environment (e.g. with caddy run --envfile FILE, or Environment= in a systemd unit)"
	case strings.Contains(v, "{file."):
		return "check that the file exists, is readable by Caddy and is not empty (Caddy logs why it could not be read)"
	}
	return "use {env.NAME} for an environment variable or {file.PATH} for a file's contents"
}

// Validate checks the settings without any network access: credential
// fields that must come in pairs, conflicting credential sources, the
// endpoint URL, the TTL range and the other values. Caddy calls it after
// Provision, which runs the same checks on the expanded settings; called
// before Provision, it checks the settings as written, where a
// placeholder passes as a value.
func (p *Provider) Validate() error {
	return checkSettings(p.current(), time.Duration(p.TTL), time.Duration(p.HTTPTimeout))
}

// checkSettings returns the first problem of the settings, naming the
// field and what to do.
func checkSettings(s settings, ttl, httpTimeout time.Duration) error {
	if err := checkCredentialOptions(credentialOptions{
		AccessKeyID: s.AccessKeyID, AccessKeySecret: s.AccessKeySecret, SecurityToken: s.SecurityToken,
		Profile: s.Profile, RAMRole: s.RAMRole,
	}); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{
		{"access_key_id", s.AccessKeyID}, {"access_key_secret", s.AccessKeySecret}, {"security_token", s.SecurityToken},
		{"ram_role", s.RAMRole}, {"profile", s.Profile}, {"region_id", s.RegionID}, {"line", s.Line},
	} {
		if strings.ContainsAny(f.v, " \t\r\n") {
			return fmt.Errorf("%s contains white space: check the value (a copy-paste error or a multi-line file?)", f.name)
		}
	}
	if e := strings.TrimSpace(s.Endpoint); e != "" {
		if _, err := api.ParseEndpoint(e); err != nil {
			return err
		}
	}
	return checkTimes(ttl, httpTimeout)
}

// checkTimes checks the default TTL and the HTTP timeout.
func checkTimes(ttl, httpTimeout time.Duration) error {
	if err := checkTTL(ttl); err != nil {
		return err
	}
	if httpTimeout < 0 {
		return fmt.Errorf("http_timeout %s is negative: remove it to use the default of %s, or set a positive duration such as 10s", httpTimeout, api.DefaultRequestTimeout)
	}
	return nil
}

// checkTTL checks the default TTL: zero (the default of 600 s) or whole
// seconds between 1 s and 86400 s.
func checkTTL(ttl time.Duration) error {
	if problem := ttlProblem(ttl); problem != "" {
		return fmt.Errorf("ttl %s %s", ttl, problem)
	}
	return nil
}

// ttlProblem describes what is wrong with a default TTL, or returns "".
func ttlProblem(ttl time.Duration) string {
	switch {
	case ttl == 0:
		return ""
	case ttl < 0:
		return fmt.Sprintf("is negative: remove ttl to use the default of %d s, or set a value between 1 s and %d s", defaultTTL, maxTTL)
	case ttl < time.Second:
		return "is below 1 s: in JSON, ttl is a duration, so write \"600s\" (a bare number counts nanoseconds); in the Caddyfile, ttl 600 means seconds"
	case ttl > maxTTL*time.Second:
		return fmt.Sprintf("is above AliDNS's maximum of %d s (24h): lower it", maxTTL)
	case ttl%time.Second != 0:
		return "is not a whole number of seconds, which AliDNS requires: round it"
	}
	return ""
}

// Interface guards: the module interfaces, certmagic's DNS provider
// interface (tls { dns } and acme_dns) and the four record interfaces the
// global dns option (and ECH) requires.
var (
	_ caddy.Module          = (*Provider)(nil)
	_ caddy.Provisioner     = (*Provider)(nil)
	_ caddy.Validator       = (*Provider)(nil)
	_ caddy.CleanerUpper    = (*Provider)(nil)
	_ caddyfile.Unmarshaler = (*Provider)(nil)
	_ certmagic.DNSProvider = (*Provider)(nil)
	_ libdns.RecordGetter   = (*Provider)(nil)
	_ libdns.RecordAppender = (*Provider)(nil)
	_ libdns.RecordSetter   = (*Provider)(nil)
	_ libdns.RecordDeleter  = (*Provider)(nil)
	_ libdns.ZoneLister     = (*Provider)(nil)
)
