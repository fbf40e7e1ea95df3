package alidns

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/caddy-alidns/alidns/internal/api"
)

// setting describes one configuration option of the provider. The table
// below is the one place an option is described: placeholder expansion,
// the checks of Validate and Provision, the Caddyfile subdirectives, the
// flags of caddy alidns check/zones and the README's option table (a test
// compares them) all read it. Adding an option means adding its Provider
// field and one row.
type setting struct {
	key   string // JSON key and Caddyfile subdirective
	flag  string // flag of the caddy alidns subcommands ("" for none)
	usage string // what it is, for the flag's help
	// text is the Provider field of a string option: placeholders are
	// expanded in it, and white space is refused unless spaces is set.
	text   func(p *Provider) *string
	spaces bool
	// check is an extra check of a text option's (expanded) value.
	check func(v string) error
	// dur is the Provider field of a duration option; parse reads its
	// Caddyfile and flag form, checkDur checks its value.
	dur      func(p *Provider) *caddy.Duration
	parse    func(s string) (time.Duration, error)
	checkDur func(d time.Duration) error
}

var settingsTable = []setting{
	{key: "access_key_id", flag: "access-key-id", usage: "AccessKey ID",
		text: func(p *Provider) *string { return &p.AccessKeyID }},
	{key: "access_key_secret", flag: "access-key-secret", usage: "AccessKey secret; prefer {env.NAME}, {file.PATH} or the environment",
		text: func(p *Provider) *string { return &p.AccessKeySecret }},
	{key: "security_token", flag: "security-token", usage: "STS security token, with a temporary AccessKey",
		text: func(p *Provider) *string { return &p.SecurityToken }},
	{key: "profile", flag: "profile", usage: "profile of ~/.aliyun/config.json or ~/.alibabacloud/credentials",
		text: func(p *Provider) *string { return &p.Profile }},
	{key: "ram_role", flag: "ram-role", usage: "RAM role of this ECS instance",
		text: func(p *Provider) *string { return &p.RAMRole }},
	{key: "region_id", flag: "region-id", usage: "accepted for compatibility; it does not select the endpoint",
		text: func(p *Provider) *string { return &p.RegionID }},
	{key: "endpoint", flag: "endpoint", usage: "API endpoint (default $ALIDNS_ENDPOINT, then " + api.DefaultEndpoint + ")",
		text: func(p *Provider) *string { return &p.Endpoint }, spaces: true, check: checkEndpoint},
	{key: "ttl", flag: "ttl", usage: "TTL of records created without one: seconds or a duration (default 600)",
		dur: func(p *Provider) *caddy.Duration { return &p.TTL }, parse: parseTTL, checkDur: checkTTL},
	{key: "line", flag: "line", usage: "resolution line of the records written (default \"default\")",
		text: func(p *Provider) *string { return &p.Line }},
	{key: "http_timeout", flag: "http-timeout", usage: "timeout of each API request (default 10s)",
		dur: func(p *Provider) *caddy.Duration { return &p.HTTPTimeout }, parse: parseHTTPTimeout, checkDur: checkHTTPTimeout},
}

// settingByKey returns the row of key.
func settingByKey(key string) (setting, bool) {
	for _, s := range settingsTable {
		if s.key == key {
			return s, true
		}
	}
	return setting{}, false
}

// settingKeys lists every key, in table order.
func settingKeys() []string {
	keys := make([]string, len(settingsTable))
	for i, s := range settingsTable {
		keys[i] = s.key
	}
	return keys
}

// settings are the string options in effect, by key.
type settings map[string]string

// current returns the string options in effect: the expanded ones after
// Provision, the exported fields otherwise.
func (p *Provider) current() settings {
	if p.expanded != nil {
		return p.expanded
	}
	s := settings{}
	for _, row := range settingsTable {
		if row.text != nil {
			s[row.key] = *row.text(p)
		}
	}
	return s
}

// credentialOptions are the credential options among s.
func (s settings) credentialOptions() credentialOptions {
	return credentialOptions{
		AccessKeyID: s["access_key_id"], AccessKeySecret: s["access_key_secret"], SecurityToken: s["security_token"],
		Profile: s["profile"], RAMRole: s["ram_role"],
	}
}

// expand returns the string options with placeholders replaced and
// surrounding white space trimmed. Its errors name the option and the
// placeholder, never a value.
func (p *Provider) expand(repl *caddy.Replacer) (settings, error) {
	s := settings{}
	for _, row := range settingsTable {
		if row.text == nil || *row.text(p) == "" {
			continue
		}
		raw := *row.text(p)
		v, err := repl.ReplaceOrErr(raw, true, true)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", placeholderHint(raw), row.key, err)
		}
		s[row.key] = strings.TrimSpace(v)
	}
	return s, nil
}

// placeholderHint says what to do about a placeholder that could not be
// expanded.
func placeholderHint(v string) string {
	switch {
	case strings.Contains(v, "{env."):
		return "set the variable in Caddy's environment (caddy run --envfile FILE, or Environment= in a systemd unit)"
	case strings.Contains(v, "{file."):
		return "check that the file exists, is readable by Caddy and is not empty (Caddy logs why not)"
	}
	return "use {env.NAME} for an environment variable or {file.PATH} for a file's contents"
}

// checkSettings returns the first problem of p's options, with the string
// options taken from s, naming the option and what to do.
func (p *Provider) checkSettings(s settings) error {
	if err := checkCredentialOptions(s.credentialOptions()); err != nil {
		return err
	}
	for _, row := range settingsTable {
		if row.text != nil {
			if err := row.checkText(s[row.key]); err != nil {
				return err
			}
		}
	}
	return p.checkDurations()
}

// checkText checks one value of a string option.
func (row setting) checkText(v string) error {
	if !row.spaces && strings.ContainsAny(v, " \t\r\n") {
		return fmt.Errorf("remove the white space from %s (a copy-paste error or a multi-line file?)", row.key)
	}
	if row.check != nil && strings.TrimSpace(v) != "" {
		return row.check(strings.TrimSpace(v))
	}
	return nil
}

// checkDurations checks the duration options.
func (p *Provider) checkDurations() error {
	for _, row := range settingsTable {
		if row.dur != nil {
			if err := row.checkDur(time.Duration(*row.dur(p))); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkEndpoint(v string) error {
	if _, err := api.ParseEndpoint(v); err != nil {
		return fmt.Errorf("give endpoint as https://host[:port], or remove it for the default: %w", err)
	}
	return nil
}

// checkEnvEndpoint checks the endpoint that ALIDNS_ENDPOINT gives when the
// config sets none.
func checkEnvEndpoint(s settings, lookupEnv func(string) (string, bool)) error {
	e, from := endpointOf(s["endpoint"], lookupEnv)
	if from != envEndpoint {
		return nil
	}
	if _, err := api.ParseEndpoint(e); err != nil {
		return fmt.Errorf("give %s as https://host[:port], or unset it: %w", envEndpoint, err)
	}
	return nil
}

// checkTTL checks the default TTL: zero (the default of 600 s) or whole
// seconds between 1 s and 86400 s.
func checkTTL(ttl time.Duration) error {
	if problem := ttlProblem(ttl); problem != "" {
		what, fix, _ := strings.Cut(problem, ": ")
		return fmt.Errorf("%s: ttl %s %s", fix, ttl, what)
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
		return "is below 1 s: write \"600s\" in JSON, where ttl is a duration (a bare number counts nanoseconds); in the Caddyfile, ttl 600 means seconds"
	case ttl > maxTTL*time.Second:
		return fmt.Sprintf("is above AliDNS's maximum of %d s (24h): lower ttl to 24h or less", maxTTL)
	case ttl%time.Second != 0:
		return "is not a whole number of seconds, which AliDNS requires: round ttl to whole seconds"
	}
	return ""
}

// parseTTL accepts whole seconds ("600") or a duration ("10m") in the
// range checkTTL allows.
func parseTTL(s string) (time.Duration, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch {
		case n < 0:
			return 0, fmt.Errorf("is negative: remove ttl to use the default of %d s, or give a value between 1 and %d", defaultTTL, maxTTL)
		case n > maxTTL:
			return 0, fmt.Errorf("is above AliDNS's maximum of %d s (24h): lower ttl to 24h or less", maxTTL)
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

func checkHTTPTimeout(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("remove http_timeout to use the default of %s, or set a positive duration such as 10s: http_timeout %s is negative", api.DefaultRequestTimeout, d)
	}
	return nil
}

// parseHTTPTimeout reads a positive duration.
func parseHTTPTimeout(s string) (time.Duration, error) {
	d, err := caddy.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, errors.New("want a positive duration such as 10s")
	}
	return d, nil
}
