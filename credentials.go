package alidns

import (
	"context"
	"errors"
	"fmt"
	"html"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aliyun/credentials-go/credentials/providers"

	"github.com/caddy-alidns/alidns/internal/api"
)

// credentialOptions is the credential-related configuration of the
// provider. The Caddyfile/JSON fields access_key_id, access_key_secret,
// security_token, profile and ram_role map onto these fields.
type credentialOptions struct {
	// AccessKeyID, AccessKeySecret and (for STS credentials)
	// SecurityToken are an explicit AccessKey pair.
	AccessKeyID, AccessKeySecret, SecurityToken string
	// Profile names a profile of ~/.aliyun/config.json (the aliyun CLI
	// configuration) or ~/.alibabacloud/credentials. It has the meaning
	// ALIBABA_CLOUD_PROFILE has for the official credential chain, but is
	// passed to credentials-go directly instead of through the process
	// environment.
	Profile string
	// RAMRole is the name of the RAM role attached to the ECS instance
	// Caddy runs on (like lego's ALICLOUD_RAM_ROLE).
	RAMRole string
}

// Names of the environment variables read by resolveCredentials itself.
// credentials-go reads further ALIBABA_CLOUD_* variables on its own.
const (
	envAliCloudAccessKey     = "ALICLOUD_ACCESS_KEY"
	envAliCloudSecretKey     = "ALICLOUD_SECRET_KEY"
	envAliCloudSecurityToken = "ALICLOUD_SECURITY_TOKEN"
	envAliCloudRAMRole       = "ALICLOUD_RAM_ROLE"

	envAlibabaAccessKeyID     = "ALIBABA_CLOUD_ACCESS_KEY_ID"
	envAlibabaAccessKeySecret = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
	envAlibabaSecurityToken   = "ALIBABA_CLOUD_SECURITY_TOKEN"

	envECSMetadataDisabled = "ALIBABA_CLOUD_ECS_METADATA_DISABLED"
)

// Source labels used in credentialSource.Source and api.Credential.Source.
const (
	sourceConfig       = "config"
	sourceDefaultChain = "default credential chain (credentials-go)"
)

// credentialSource is the credential provider chosen by
// resolveCredentials. It implements api.CredentialProvider and
// api.Invalidator and is safe for concurrent use.
//
// Long-lived keys (from the config or the environment) are returned as
// they are. Every other source is a credentials-go provider: those cache
// temporary credentials and fetch new ones when the cached ones are within
// three minutes of their expiration. Fetches are serialised because the
// credentials-go providers are not safe for concurrent use.
type credentialSource struct {
	// static is set for long-lived keys; nothing below is used then.
	static *api.Credential

	// newProvider builds a fresh provider for the chosen source; it is
	// called again after Invalidate, which discards everything cached.
	newProvider func() (providers.CredentialsProvider, error)
	// label prefixes the provider name in Source for dynamic sources;
	// withName says whether to append credentials-go's provider name.
	label    string
	withName bool

	// sem serialises fetches (a one-slot semaphore, so that waiting can
	// be abandoned when the context ends); provider is guarded by it.
	sem      chan struct{}
	provider providers.CredentialsProvider
	stale    atomic.Bool
	// received is the secret and token last received, redacted from
	// later errors (an endpoint may quote them); guarded by sem.
	received []string

	mu     sync.Mutex // guards source
	source string
}

var (
	_ api.CredentialProvider = (*credentialSource)(nil)
	_ api.Invalidator        = (*credentialSource)(nil)
)

// Source describes where the credentials come from, for logs; it never
// includes secret material.
func (s *credentialSource) Source() string {
	if s.static != nil {
		return s.static.Source
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.source
}

// Credential implements api.CredentialProvider. A fetch from the network
// is bounded by the timeouts of credentials-go (1 s per ECS metadata
// request, 5 s connect + 10 s read for STS and the credentials URI); ctx
// only bounds the wait for another caller's fetch.
func (s *credentialSource) Credential(ctx context.Context) (api.Credential, error) {
	if s.static != nil {
		return *s.static, nil
	}
	if err := ctx.Err(); err != nil {
		return api.Credential{}, err
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return api.Credential{}, ctx.Err()
	}
	defer func() { <-s.sem }()
	c, err := s.fetchLocked()
	if err != nil {
		return api.Credential{}, fmt.Errorf("%s: %w", s.Source(), err)
	}
	return c, nil
}

// Invalidate implements api.Invalidator: the next Credential call
// rebuilds the provider, so temporary credentials are fetched anew and
// files are read again. It is a no-op for long-lived keys.
func (s *credentialSource) Invalidate() {
	if s.static == nil {
		s.stale.Store(true)
	}
}

// fetchLocked gets the current credential; the caller holds sem. Its
// errors are sanitised and do not name the source.
func (s *credentialSource) fetchLocked() (api.Credential, error) {
	if s.provider == nil || s.stale.Swap(false) {
		p, err := s.newProvider()
		if err != nil {
			s.provider = nil
			return api.Credential{}, sanitizeCredentialError(err, s.received...)
		}
		s.provider = p
	}
	cc, err := s.provider.GetCredentials()
	if err == nil && (cc == nil || cc.AccessKeyId == "" || cc.AccessKeySecret == "") {
		err = errors.New("the provider returned an empty AccessKey pair")
	}
	if err != nil {
		// Start afresh next time: after a failure the credentials-go
		// chain would only retry the last provider it tried.
		s.provider = nil
		known := s.received
		if cc != nil {
			known = append(known[:len(known):len(known)], cc.AccessKeySecret, cc.SecurityToken)
		}
		return api.Credential{}, sanitizeCredentialError(err, known...)
	}
	s.received = []string{cc.AccessKeySecret, cc.SecurityToken}
	source := s.label
	if s.withName {
		source += ": " + strings.TrimPrefix(cc.ProviderName, "default/")
	}
	s.mu.Lock()
	s.source = source
	s.mu.Unlock()
	return api.Credential{
		AccessKeyID:     cc.AccessKeyId,
		AccessKeySecret: cc.AccessKeySecret,
		SecurityToken:   cc.SecurityToken,
		Source:          source,
	}, nil
}

// staticSource returns a source for long-lived (or externally managed
// STS) keys.
func staticSource(id, secret, token, source string) *credentialSource {
	return &credentialSource{static: &api.Credential{
		AccessKeyID:     id,
		AccessKeySecret: secret,
		SecurityToken:   token,
		Source:          source,
	}}
}

// dynamicSource returns a source backed by credentials-go providers built
// by newProvider, after fetching once so that a source that yields nothing
// fails now (at provision time) rather than at the first certificate. For
// the ECS metadata service and the credentials URI this is the first
// fetch; the credential is cached by the provider.
func dynamicSource(label string, withName bool, newProvider func() (providers.CredentialsProvider, error)) (*credentialSource, error) {
	s := &credentialSource{
		newProvider: newProvider,
		label:       label,
		withName:    withName,
		sem:         make(chan struct{}, 1),
		source:      label,
	}
	s.sem <- struct{}{}
	defer func() { <-s.sem }()
	if _, err := s.fetchLocked(); err != nil {
		return nil, err
	}
	return s, nil
}

// envKeySet is one family of environment variables holding an AccessKey
// pair.
type envKeySet struct{ id, secret, token string }

var envKeySets = []envKeySet{
	{envAliCloudAccessKey, envAliCloudSecretKey, envAliCloudSecurityToken},
	{envAlibabaAccessKeyID, envAlibabaAccessKeySecret, envAlibabaSecurityToken},
}

// resolveCredentials picks the credential source once (at Caddy provision
// time). The first source that applies wins:
//
//  1. access_key_id + access_key_secret (+ security_token) in the config,
//     else ram_role (ECS instance RAM role), else profile in the config;
//  2. ALICLOUD_ACCESS_KEY + ALICLOUD_SECRET_KEY (+ ALICLOUD_SECURITY_TOKEN),
//     then ALIBABA_CLOUD_ACCESS_KEY_ID + ALIBABA_CLOUD_ACCESS_KEY_SECRET
//     (+ ALIBABA_CLOUD_SECURITY_TOKEN) in the environment;
//  3. ALICLOUD_RAM_ROLE in the environment;
//  4. the default credential chain of credentials-go (RRSA/OIDC, the aliyun
//     CLI configuration, ~/.alibabacloud/credentials, the ECS RAM role of
//     the instance, ALIBABA_CLOUD_CREDENTIALS_URI).
//
// Half-configured pairs are errors rather than skipped, and so are
// conflicting config fields. lookupEnv (os.LookupEnv when nil) is used
// for the variables of steps 1-3; credentials-go reads the process
// environment itself. Sources other than static keys are queried once
// here, so that "no credentials" is reported at provision time. Errors
// never contain secret values.
func resolveCredentials(opts credentialOptions, lookupEnv func(string) (string, bool)) (*credentialSource, error) {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	env := func(name string) string {
		v, _ := lookupEnv(name)
		return strings.TrimSpace(v)
	}
	id := strings.TrimSpace(opts.AccessKeyID)
	secret := strings.TrimSpace(opts.AccessKeySecret)
	token := strings.TrimSpace(opts.SecurityToken)
	role := strings.TrimSpace(opts.RAMRole)
	profile := strings.TrimSpace(opts.Profile)

	if err := checkCredentialOptions(opts); err != nil {
		return nil, err
	}

	// 1. Explicit keys in the config.
	if id != "" {
		return staticSource(id, secret, token, sourceConfig), nil
	}

	// An explicitly configured ECS RAM role or profile is as explicit as
	// keys in the config, so it wins over keys in the environment.
	if role != "" {
		return ecsRoleSource(role, "ram_role")
	}
	if profile != "" {
		return profileSource(profile)
	}

	// 2. Keys in the environment.
	for _, set := range envKeySets {
		eid, esecret, etoken := env(set.id), env(set.secret), env(set.token)
		if err := checkEnvKeys(set, eid, esecret, etoken, lookupEnv); err != nil {
			return nil, err
		}
		if eid == "" {
			continue
		}
		source := "env " + set.id + "/" + set.secret
		if etoken != "" {
			source += "/" + set.token
		}
		return staticSource(eid, esecret, etoken, source), nil
	}

	// 3. A role named in the environment.
	if r := env(envAliCloudRAMRole); r != "" {
		return ecsRoleSource(r, envAliCloudRAMRole)
	}

	// 4. The official default chain.
	if err := credentialsURIError(); err != nil {
		return nil, err
	}
	src, err := defaultChainSource()
	if err != nil {
		return nil, noCredentialsError(err, currentStart(lookupEnv))
	}
	return src, nil
}

// checkCredentialOptions refuses credential settings that cannot be
// meant: half an AccessKey pair, a token without its pair, or several
// alternative sources at once. It needs no network, so Caddy's Validate
// uses it as well as resolveCredentials.
func checkCredentialOptions(opts credentialOptions) error {
	id := strings.TrimSpace(opts.AccessKeyID)
	secret := strings.TrimSpace(opts.AccessKeySecret)
	token := strings.TrimSpace(opts.SecurityToken)
	role := strings.TrimSpace(opts.RAMRole)
	profile := strings.TrimSpace(opts.Profile)
	// Each message starts with the fix: Caddy puts its own long module
	// path in front of it.
	switch {
	case id != "" && secret == "":
		return fmt.Errorf("set access_key_secret, or remove access_key_id to use %s/%s: access_key_id is set but access_key_secret is empty", envAliCloudAccessKey, envAliCloudSecretKey)
	case id == "" && secret != "":
		return fmt.Errorf("set access_key_id, or remove access_key_secret to use %s/%s: access_key_secret is set but access_key_id is empty", envAliCloudAccessKey, envAliCloudSecretKey)
	case id == "" && token != "":
		return errors.New("set access_key_id and access_key_secret (the token's temporary AccessKey), or remove security_token: security_token is set without them")
	case id != "" && (role != "" || profile != ""):
		return fmt.Errorf("remove access_key_id or %s: they are alternative credential sources, set only one", conflicting(role, profile))
	case role != "" && profile != "":
		return errors.New("remove ram_role or profile: they are alternative credential sources, set only one")
	case swappedKeys(id, secret):
		return errors.New("swap access_key_id and access_key_secret: the secret has the form of an AccessKey ID (LTAI… or STS.…) and the ID does not")
	}
	return nil
}

// checkEnvKeys refuses a family of AccessKey variables that is set in
// part, or with the ID and the secret in each other's place. The message
// starts with the fix, and names a byte order mark when an env file's BOM
// (Windows Notepad) is why a variable seems empty: Caddy keeps the BOM in
// the first variable's name.
func checkEnvKeys(set envKeySet, id, secret, token string, lookupEnv func(string) (string, bool)) error {
	var missing, problem string
	switch {
	case id == "" && secret == "" && token == "":
		return nil
	case id != "" && secret == "":
		missing, problem = set.secret, fmt.Sprintf("%s is set but %s is empty", set.id, set.secret)
	case id == "" && secret != "":
		missing, problem = set.id, fmt.Sprintf("%s is set but %s is empty", set.secret, set.id)
	case id == "":
		missing, problem = set.id, set.token+" is set without them"
	case swappedKeys(id, secret):
		return fmt.Errorf("swap the values of %s and %s: the secret has the form of an AccessKey ID (LTAI… or STS.…) and the ID does not", set.id, set.secret)
	default:
		return nil
	}
	if _, ok := lookupEnv("\ufeff" + missing); ok {
		return fmt.Errorf("save the env file as UTF-8 without BOM: its byte order mark made the first variable U+FEFF%s, so %s", missing, problem)
	}
	if id == "" && secret == "" {
		return fmt.Errorf("set %s and %s (the token's temporary AccessKey), or unset %s: %s", set.id, set.secret, set.token, problem)
	}
	return fmt.Errorf("set %s, or put access_key_id and access_key_secret in the config: %s", missing, problem)
}

// conflicting names the set fields among ram_role and profile.
func conflicting(role, profile string) string {
	switch {
	case role != "" && profile != "":
		return "ram_role and profile"
	case role != "":
		return "ram_role"
	default:
		return "profile"
	}
}

// ecsRoleSource uses the ECS instance RAM role named by where (a config
// field or an environment variable).
func ecsRoleSource(role, where string) (*credentialSource, error) {
	if strings.EqualFold(os.Getenv(envECSMetadataDisabled), "true") {
		return nil, fmt.Errorf("unset %s, or give an AccessKey pair instead: %s is %q, but %s=true turns off the ECS metadata service its credentials come from", envECSMetadataDisabled, where, role, envECSMetadataDisabled)
	}
	s, err := dynamicSource("ECS RAM role "+role, false, func() (providers.CredentialsProvider, error) {
		return asProvider(providers.NewECSRAMRoleCredentialsProviderBuilder().WithRoleName(role).Build())
	})
	if err != nil {
		return nil, fmt.Errorf("check that Caddy runs on an ECS instance with RAM role %q attached: %s gave no credentials from the ECS metadata service (100.100.100.200): %w", role, where, err)
	}
	return s, nil
}

// profileSource uses the named profile of the aliyun CLI configuration,
// or else of the shared credentials file.
func profileSource(name string) (*credentialSource, error) {
	cli := func() (providers.CredentialsProvider, error) {
		return asProvider(providers.NewCLIProfileCredentialsProviderBuilder().WithProfileName(name).Build())
	}
	ini := func() (providers.CredentialsProvider, error) {
		return asProvider(providers.NewProfileCredentialsProviderBuilder().WithProfileName(name).Build())
	}
	s, errCLI := dynamicSource(fmt.Sprintf("profile %q (credentials-go)", name), true, cli)
	if errCLI == nil {
		return s, nil
	}
	s, errINI := dynamicSource(fmt.Sprintf("profile %q (credentials-go)", name), true, ini)
	if errINI == nil {
		return s, nil
	}
	return nil, fmt.Errorf("check profile %q: no usable profile of that name "+
		"in the aliyun CLI configuration (~/.aliyun/config.json or ALIBABA_CLOUD_CONFIG_FILE): %w; "+
		"nor in the shared credentials file (~/.alibabacloud/credentials or ALIBABA_CLOUD_CREDENTIALS_FILE): %w", name, errCLI, errINI)
}

// chainMembers rebuild the member of the credentials-go default chain that
// answered first, keyed by its provider name, so that Invalidate keeps
// using the source chosen at provision time.
var chainMembers = map[string]func() (providers.CredentialsProvider, error){
	"env": func() (providers.CredentialsProvider, error) {
		return asProvider(providers.NewEnvironmentVariableCredentialsProviderBuilder().Build())
	},
	"oidc_role_arn": func() (providers.CredentialsProvider, error) {
		return asProvider(providers.NewOIDCCredentialsProviderBuilder().Build())
	},
	"cli_profile": func() (providers.CredentialsProvider, error) {
		return asProvider(providers.NewCLIProfileCredentialsProviderBuilder().Build())
	},
	"profile": func() (providers.CredentialsProvider, error) {
		return asProvider(providers.NewProfileCredentialsProviderBuilder().Build())
	},
	"ecs_ram_role": func() (providers.CredentialsProvider, error) {
		return asProvider(providers.NewECSRAMRoleCredentialsProviderBuilder().Build())
	},
	"credential_uri": func() (providers.CredentialsProvider, error) {
		return asProvider(providers.NewURLCredentialsProviderBuilder().Build())
	},
}

// defaultChain builds the credentials-go default chain.
func defaultChain() (providers.CredentialsProvider, error) {
	return providers.NewDefaultCredentialsProvider(), nil
}

// defaultChainSource uses the credentials-go default chain.
func defaultChainSource() (*credentialSource, error) {
	s, err := dynamicSource(sourceDefaultChain, true, defaultChain)
	if err != nil {
		return nil, err
	}
	// Pin the chain member that answered: the chain itself keeps using
	// it, and Invalidate rebuilds just that member.
	name := strings.TrimPrefix(s.Source(), sourceDefaultChain+": ")
	if i := strings.IndexByte(name, '/'); i >= 0 {
		name = name[:i]
	}
	if build, ok := chainMembers[name]; ok {
		s.newProvider = build
	}
	return s, nil
}

// asProvider converts the result of a credentials-go builder to the
// interface without wrapping a nil pointer.
func asProvider[P providers.CredentialsProvider](p P, err error) (providers.CredentialsProvider, error) {
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Secret material that credentials-go may quote in its errors: response
// bodies of credential endpoints (JSON, but also whatever a misbehaving
// endpoint or a proxy answers: XML, HTML) and configuration file contents.
var (
	// "AccessKeySecret": "…", sts_token = …, SecurityToken: … and so on.
	secretField = regexp.MustCompile(`(?i)("?[a-z_]*(?:secret|token|password)[a-z_]*"?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|[^\s,;}&]+)`)
	// The same in markup: <AccessKeySecret>…</AccessKeySecret>,
	// <td>AccessKeySecret</td><td>…</td>, <dt>SecurityToken</dt><dd>….
	markupField = regexp.MustCompile(`(?i)((?:secret|token|password)[a-z_]*(?:\s*(?:>|<[^<>]{0,40}>))+\s*)([^<\s]+)`)
	// Query strings of URLs may carry tokens.
	urlQuery = regexp.MustCompile(`(https?://[^\s?"']*)\?[^\s"']*`)
	// The aliyun CLI configuration quoted whole when it is not valid JSON.
	cliConfigDump = regexp.MustCompile(`(?s)(unmarshal aliyun cli config from '[^']*' failed): .*`)
	// Where credentials-go v1.4 quotes a response body (or a command's
	// stderr): the body runs from there to the end of that provider's
	// message.
	quotedBody = regexp.MustCompile(`(?:(?:get|refresh) credentials from \S+ \S+ failed: |httpStatus: \d+, message = |` +
		`(?:get|refresh) session token(?: from \w+)? failed: |refresh session token err, fail to get credentials from OAuth: |` +
		`failed to refresh token from OAuth: |stderr: )`)
)

// bodyWithheld replaces a quoted body in which a credential field could not
// be redacted field by field.
const bodyWithheld = "[response body withheld: it holds credential fields in a form that cannot be redacted field by field]"

// sanitizeCredentialError returns err's message with anything that may be
// secret removed: known values (the credential last received from the
// source), the values of secret, token and password fields in JSON,
// key: value, key=value and markup (XML, HTML) forms, and URL queries. A
// quoted response body in which such a field survives in some encoding
// (JSON, HTML or percent escapes) is dropped whole. The result does not
// wrap err, whose text is unsafe.
func sanitizeCredentialError(err error, known ...string) error {
	msg := err.Error()
	for _, k := range known {
		if len(k) >= 4 {
			msg = strings.ReplaceAll(msg, k, "[redacted]")
		}
	}
	msg = cliConfigDump.ReplaceAllString(msg, "$1: the file is not valid JSON")
	msg = urlQuery.ReplaceAllString(msg, "$1?[query redacted]")
	msg = secretField.ReplaceAllString(msg, "$1[redacted]")
	msg = markupField.ReplaceAllString(msg, "$1[redacted]")
	for _, loc := range quotedBody.FindAllStringIndex(msg, -1) {
		if fieldsLeak(msg[loc[1]:], known) {
			msg = msg[:loc[1]] + bodyWithheld
			break
		}
	}
	if fieldsLeak(msg, known) {
		msg = "the credential source failed; its message was withheld because it holds credential fields that could not be redacted"
	}
	const maxLen = 2000
	if len(msg) > maxLen {
		msg = msg[:maxLen] + "…"
	}
	return errors.New(msg)
}

// fieldsLeak reports whether s, or s decoded from JSON, HTML or percent
// escapes, holds a known value or a secret, token or password field whose
// value is not [redacted].
func fieldsLeak(s string, known []string) bool {
	for _, d := range []string{s, jsonUnquoteAll(s), html.UnescapeString(s), percentDecodeAll(s)} {
		for _, k := range known {
			if len(k) >= 4 && strings.Contains(d, k) {
				return true
			}
		}
		for _, re := range []*regexp.Regexp{secretField, markupField} {
			for _, m := range re.FindAllStringSubmatch(d, -1) {
				if v := strings.Trim(m[2], `"`); v != "" && v != "[redacted]" {
					return true
				}
			}
		}
	}
	return false
}

// jsonUnquoteAll decodes the JSON escapes \uXXXX, \/ and \" where they
// appear.
func jsonUnquoteAll(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	s = jsonEscape.ReplaceAllStringFunc(s, func(e string) string {
		if e[1] == 'u' {
			if v, err := strconv.ParseUint(e[2:], 16, 16); err == nil {
				return string(rune(v))
			}
			return e
		}
		return e[1:]
	})
	return s
}

var jsonEscape = regexp.MustCompile(`\\(?:u[0-9a-fA-F]{4}|[/"\\])`)

// percentDecodeAll decodes every valid %XX escape.
func percentDecodeAll(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	return percentEscape.ReplaceAllStringFunc(s, func(e string) string {
		v, _ := strconv.ParseUint(e[1:], 16, 8)
		return string([]byte{byte(v)})
	})
}

var percentEscape = regexp.MustCompile(`%[0-9a-fA-F]{2}`)
