package alidns

import (
	"fmt"
	"os"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/certmagic"
	"go.uber.org/zap"
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

// Provision expands placeholders ({env.X}, {file.X}) in the config,
// resolves credentials and checks the settings, so that a bad config is
// refused when Caddy loads it rather than at the first certificate. The
// expanded values live only in this provisioned copy: the config Caddy
// stores and prints keeps the placeholders.
func (p *Provider) Provision(ctx caddy.Context) error {
	p.logger = ctx.Logger()
	repl := caddy.NewReplacer()
	for _, f := range []struct {
		name string
		v    *string
	}{
		{"access_key_id", &p.AccessKeyID},
		{"access_key_secret", &p.AccessKeySecret},
		{"security_token", &p.SecurityToken},
		{"profile", &p.Profile},
		{"ram_role", &p.RAMRole},
		{"region_id", &p.RegionID},
		{"endpoint", &p.Endpoint},
		{"line", &p.Line},
	} {
		if *f.v == "" {
			continue
		}
		v, err := repl.ReplaceOrErr(*f.v, true, true)
		if err != nil {
			// The error names the placeholder, never its value.
			return fmt.Errorf("alidns: %s: %w (is the environment variable or file set?)", f.name, err)
		}
		*f.v = v
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := p.setupLocked(os.LookupEnv); err != nil {
		return fmt.Errorf("alidns: %w", err)
	}
	p.logger.Debug("provisioned",
		zap.String("credentials", p.creds.Source()),
		zap.String("endpoint", p.api.Endpoint),
		zap.String("line", p.line()),
		zap.Duration("default_ttl", time.Duration(p.defaultTTL())*time.Second))
	return nil
}

// Interface guards.
var (
	_ caddy.Provisioner     = (*Provider)(nil)
	_ certmagic.DNSProvider = (*Provider)(nil)
	_ caddy.Module          = (*Provider)(nil)
)
