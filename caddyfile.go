package alidns

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/caddy-alidns/alidns/internal/api"
)

// UnmarshalCaddyfile sets up the provider from Caddyfile tokens. Every
// form below works wherever Caddy takes a DNS provider (tls { dns … },
// the global dns option, the global acme_dns option):
//
//	alidns
//	alidns <access_key_id> <access_key_secret>
//	alidns [<access_key_id> <access_key_secret>] {
//	    access_key_id     <id>
//	    access_key_secret <secret>
//	    security_token    <sts-token>
//	    profile           <name>
//	    ram_role          <ecs-ram-role>
//	    region_id         <region>
//	    endpoint          <url>
//	    ttl               <seconds|duration>
//	    line              <line>
//	    http_timeout      <duration>
//	}
//
// With no arguments and no credentials in the block, credentials come
// from the environment (ALICLOUD_ACCESS_KEY/ALICLOUD_SECRET_KEY, …).
// Values may be placeholders such as {env.ALIYUN_ACCESS_KEY_ID} or
// {file./run/secrets/alidns_secret}, which are expanded when Caddy loads
// the config and stay unexpanded in the JSON; a Caddyfile {$VAR} is
// substituted by the Caddyfile adapter instead, which writes the value
// into the JSON. ttl takes whole seconds ("600") or a duration ("10m").
func (p *Provider) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next()                     // the provider name
	seen := make(map[string]int) // subdirective -> line first set
	set := func(key string, dst *string, val string) error {
		if line, ok := seen[key]; ok {
			return d.Errf("%s is already set (line %d): give it once", key, line)
		}
		if strings.TrimSpace(val) == "" {
			return d.Errf("%s has an empty value: give a value (an unset {$VAR} in the Caddyfile expands to nothing; {env.VAR} is checked when Caddy loads the config)", key)
		}
		seen[key] = d.Line()
		*dst = val
		return nil
	}
	args := d.RemainingArgs()
	switch len(args) {
	case 0:
	case 2:
		if err := set("access_key_id", &p.AccessKeyID, args[0]); err != nil {
			return err
		}
		if err := set("access_key_secret", &p.AccessKeySecret, args[1]); err != nil {
			return err
		}
	default:
		return d.Errf("alidns takes no arguments or exactly two (<access_key_id> <access_key_secret>), got %d: put other settings in a block, e.g. alidns { access_key_id … }", len(args))
	}
	for d.NextBlock(0) {
		key := d.Val()
		if !knownSubdirective(key) {
			return d.Errf("unrecognized alidns subdirective %q: valid ones are %s", key, strings.Join(subdirectives, ", "))
		}
		var val string
		if !d.Args(&val) {
			return d.Errf("%s needs a value: %s <value>", key, key)
		}
		if d.NextArg() {
			return d.Errf("%s takes exactly one value, got more (quote a value that contains spaces)", key)
		}
		if d.NextBlock(d.Nesting()) {
			d.Prev() // back to the brace, for the line number
			return d.Errf("%s does not take a block", key)
		}
		var err error
		switch key {
		case "access_key_id":
			err = set(key, &p.AccessKeyID, val)
		case "access_key_secret":
			err = set(key, &p.AccessKeySecret, val)
		case "security_token":
			err = set(key, &p.SecurityToken, val)
		case "profile":
			err = set(key, &p.Profile, val)
		case "ram_role":
			err = set(key, &p.RAMRole, val)
		case "region_id":
			err = set(key, &p.RegionID, val)
		case "endpoint":
			if !strings.Contains(val, "{") { // a placeholder is checked at provision
				if _, perr := api.ParseEndpoint(val); perr != nil {
					return d.Errf("%v", perr)
				}
			}
			err = set(key, &p.Endpoint, val)
		case "line":
			err = set(key, &p.Line, val)
		case "ttl":
			var s string
			if err = set(key, &s, val); err == nil {
				var ttl time.Duration
				if ttl, err = parseTTL(val); err != nil {
					return d.Errf("ttl %q %v", val, err)
				}
				p.TTL = caddy.Duration(ttl)
			}
		case "http_timeout":
			var s string
			if err = set(key, &s, val); err == nil {
				dur, perr := caddy.ParseDuration(val)
				if perr != nil || dur <= 0 {
					return d.Errf("http_timeout %q: want a positive duration such as 10s", val)
				}
				p.HTTPTimeout = caddy.Duration(dur)
			}
		}
		if err != nil {
			return err
		}
	}
	if d.Next() {
		return d.Errf("unexpected token %q after the alidns block", d.Val())
	}
	// A pair given in the Caddyfile must be complete: the other half never
	// comes from the environment.
	switch {
	case p.AccessKeyID != "" && p.AccessKeySecret == "":
		return d.Err("access_key_id is set but access_key_secret is not: add access_key_secret, or remove access_key_id to take credentials from the environment")
	case p.AccessKeyID == "" && p.AccessKeySecret != "":
		return d.Err("access_key_secret is set but access_key_id is not: add access_key_id, or remove access_key_secret to take credentials from the environment")
	case p.AccessKeyID == "" && p.SecurityToken != "":
		return d.Err("security_token is set without access_key_id and access_key_secret: an STS token only works with the temporary AccessKey pair it was issued with; set all three")
	}
	return nil
}

// subdirectives are the names UnmarshalCaddyfile accepts in a block.
var subdirectives = []string{
	"access_key_id", "access_key_secret", "security_token", "profile", "ram_role",
	"region_id", "endpoint", "ttl", "line", "http_timeout",
}

func knownSubdirective(key string) bool {
	for _, k := range subdirectives {
		if k == key {
			return true
		}
	}
	return false
}

// parseTTL accepts whole seconds ("600") or a duration ("10m") in the
// range checkTTL allows.
func parseTTL(s string) (time.Duration, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch {
		case n < 0:
			return 0, fmt.Errorf("is negative: remove ttl to use the default of %d s, or give a value between 1 and %d", defaultTTL, maxTTL)
		case n > maxTTL:
			return 0, fmt.Errorf("is above AliDNS's maximum of %d s (24h): lower it", maxTTL)
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := caddy.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("is neither whole seconds (600) nor a duration (10m): %w", err)
	}
	if problem := ttlProblem(d); problem != "" {
		return 0, errors.New(problem)
	}
	return d, nil
}
