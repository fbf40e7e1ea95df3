package alidns

import (
	"os"
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
	if err := p.checkSettings(s); err != nil {
		return err
	}
	if err := checkEnvEndpoint(s, os.LookupEnv); err != nil {
		return err
	}
	p.expanded = s
	if _, err := p.setupLocked(os.LookupEnv); err != nil {
		p.expanded = nil
		return err
	}
	p.provisioned = true
	endpoint, from := endpointOf(s["endpoint"], os.LookupEnv)
	l := p.log()
	l.Debug("provisioned",
		zap.String("credentials", p.creds.Source()),
		zap.String("endpoint", p.api.Endpoint),
		zap.String("endpoint_from", from),
		zap.String("line", p.line()),
		zap.Duration("default_ttl", time.Duration(p.defaultTTL())*time.Second))
	if s["region_id"] != "" && from != "endpoint" {
		l.Info("region_id does not select the API endpoint: the central endpoint serves every region; set endpoint to use a regional one",
			zap.String("region_id", s["region_id"]),
			zap.String("endpoint", endpoint),
			zap.String("regional_endpoint", api.RegionalEndpoint(s["region_id"])))
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

// Validate checks the settings without any network access: credential
// fields that must come in pairs, conflicting credential sources, the
// endpoint URL, the TTL range and the other values. Caddy calls it after
// Provision, which runs the same checks on the expanded settings; called
// before Provision, it checks the settings as written, where a
// placeholder passes as a value.
func (p *Provider) Validate() error {
	return p.checkSettings(p.current())
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
