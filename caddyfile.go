package alidns

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
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
	set := func(row setting, val string) error {
		if line, ok := seen[row.key]; ok {
			return d.Errf("%s is already set (line %d): give it once", row.key, line)
		}
		if strings.TrimSpace(val) == "" {
			return d.Errf("%s has an empty value: give a value (an unset {$VAR} in the Caddyfile expands to nothing; {env.VAR} is checked when Caddy loads the config)", row.key)
		}
		seen[row.key] = d.Line()
		if row.dur != nil {
			v, err := row.parse(val)
			if err != nil {
				return d.Errf("%s %q %v", row.key, val, err)
			}
			*row.dur(p) = caddy.Duration(v)
			return nil
		}
		if row.check != nil && !strings.Contains(val, "{") { // a placeholder is checked at provision
			if err := row.check(val); err != nil {
				return d.Errf("%v", err)
			}
		}
		*row.text(p) = val
		return nil
	}
	args := d.RemainingArgs()
	switch len(args) {
	case 0:
	case 2:
		for i, key := range []string{"access_key_id", "access_key_secret"} {
			row, _ := settingByKey(key)
			if err := set(row, args[i]); err != nil {
				return err
			}
		}
	default:
		return d.Errf("alidns takes no arguments or exactly two (<access_key_id> <access_key_secret>), got %d: put other settings in a block, e.g. alidns { access_key_id … }", len(args))
	}
	for d.NextBlock(0) {
		key := d.Val()
		row, ok := settingByKey(key)
		if !ok {
			return d.Errf("unrecognized alidns subdirective %s: valid ones are %s", quoteName(key), strings.Join(settingKeys(), ", "))
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
		if err := set(row, val); err != nil {
			return err
		}
	}
	if d.Next() {
		return d.Errf("unexpected token %s after the alidns block", quoteName(d.Val()))
	}
	// Credentials given in the Caddyfile must be complete and consistent:
	// the other half of a pair never comes from the environment.
	if err := checkCredentialOptions(p.current().credentialOptions()); err != nil {
		return d.Err(err.Error())
	}
	return nil
}

// nameLike matches what a subdirective name (or a typo of one) looks like.
var nameLike = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// quoteName quotes a token found where a subdirective name belongs, unless
// it looks like a value: a secret written without its setting name must
// not end up in the error (and so in logs).
func quoteName(tok string) string {
	if nameLike.MatchString(tok) {
		return strconv.Quote(tok)
	}
	return "(not shown: it looks like a value, perhaps a secret given without its setting name)"
}
