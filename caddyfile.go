package alidns

import (
	"errors"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// UnmarshalCaddyfile sets up the provider from Caddyfile tokens:
//
//	alidns [<access_key_id> <access_key_secret>] {
//	    access_key_id     <id>
//	    access_key_secret <secret>
//	    security_token    <token>
//	    profile           <name>
//	    ram_role          <ecs-role-name>
//	    region_id         <region>
//	    endpoint          <url>
//	    ttl               <seconds|duration>
//	    line              <line>
//	    http_timeout      <duration>
//	}
//
// With no arguments and no block, credentials come from the environment.
func (p *Provider) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the provider name
	args := d.RemainingArgs()
	switch len(args) {
	case 0:
	case 2:
		p.AccessKeyID, p.AccessKeySecret = args[0], args[1]
	default:
		return d.Errf("alidns takes either no arguments or <access_key_id> <access_key_secret>, got %d arguments", len(args))
	}
	for d.NextBlock(0) {
		key := d.Val()
		var val string
		if !d.Args(&val) {
			return d.ArgErr()
		}
		if d.NextArg() {
			return d.Errf("%s takes exactly one value", key)
		}
		switch key {
		case "access_key_id":
			p.AccessKeyID = val
		case "access_key_secret":
			p.AccessKeySecret = val
		case "security_token":
			p.SecurityToken = val
		case "profile":
			p.Profile = val
		case "ram_role":
			p.RAMRole = val
		case "region_id":
			p.RegionID = val
		case "endpoint":
			p.Endpoint = val
		case "line":
			p.Line = val
		case "ttl":
			ttl, err := parseTTL(val)
			if err != nil {
				return d.Errf("ttl %q: %v", val, err)
			}
			p.TTL = caddy.Duration(ttl)
		case "http_timeout":
			dur, err := caddy.ParseDuration(val)
			if err != nil || dur <= 0 {
				return d.Errf("http_timeout %q: want a positive duration such as 10s", val)
			}
			p.HTTPTimeout = caddy.Duration(dur)
		default:
			return d.Errf("unrecognized alidns subdirective %q", key)
		}
	}
	return nil
}

// parseTTL accepts whole seconds ("600") or a duration ("10m").
func parseTTL(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 {
			return 0, errNegativeTTL
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := caddy.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, errNegativeTTL
	}
	return d, nil
}

var errNegativeTTL = errors.New("TTL must not be negative")

// Interface guard.
var _ caddyfile.Unmarshaler = (*Provider)(nil)
