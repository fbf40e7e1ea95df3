package alidnstest

import "time"

// Option configures a Server created by NewServer or NewTLSServer.
type Option func(*config)

type config struct {
	apiAddr         string
	dnsAddr         string
	clock           func() time.Time
	noDNS           bool
	defaultCreds    bool
	stsTTL          time.Duration
	imdsRole        string
	nameServerCount int
	oidc            *OIDCTrust
}

func defaultConfig() config {
	return config{
		apiAddr:         "127.0.0.1:0",
		dnsAddr:         "127.0.0.1:0",
		clock:           time.Now,
		defaultCreds:    true,
		stsTTL:          time.Hour,
		imdsRole:        DefaultIMDSRole,
		nameServerCount: 2,
	}
}

// WithAPIAddr sets the listen address of the HTTP API (default
// "127.0.0.1:0", a random loopback port).
func WithAPIAddr(addr string) Option { return func(c *config) { c.apiAddr = addr } }

// WithDNSAddr sets the listen address of the authoritative DNS server, used
// for both UDP and TCP (default "127.0.0.1:0", a random loopback port).
func WithDNSAddr(addr string) Option { return func(c *config) { c.dnsAddr = addr } }

// WithClock sets the clock used for signature timestamps, STS expirations
// and record timestamps (default time.Now). Fault timing (latency, QPS,
// write windows) always uses the real clock.
func WithClock(now func() time.Time) Option { return func(c *config) { c.clock = now } }

// WithoutDNS disables the authoritative DNS server; Server.DNSAddr is then
// empty.
func WithoutDNS() Option { return func(c *config) { c.noDNS = true } }

// WithDefaultCredentials controls whether the access key
// DefaultAccessKeyID/DefaultAccessKeySecret is registered (default true).
func WithDefaultCredentials(enabled bool) Option {
	return func(c *config) { c.defaultCreds = enabled }
}

// WithSTSTTL sets the lifetime of STS credentials issued by the credential
// endpoints (default one hour). See also Server.SetSTSTTL.
func WithSTSTTL(d time.Duration) Option { return func(c *config) { c.stsTTL = d } }

// WithIMDSRole sets the RAM role name served by the ECS metadata endpoints
// (default DefaultIMDSRole).
func WithIMDSRole(name string) Option { return func(c *config) { c.imdsRole = name } }

// OIDCTrust is what AssumeRoleWithOIDC accepts: the RAM role, the OIDC
// provider and the token (RRSA's ALIBABA_CLOUD_ROLE_ARN,
// ALIBABA_CLOUD_OIDC_PROVIDER_ARN and the content of
// ALIBABA_CLOUD_OIDC_TOKEN_FILE).
type OIDCTrust struct {
	RoleArn, ProviderArn, Token string
}

// WithOIDC makes the server answer STS AssumeRoleWithOIDC (POST
// /?Action=AssumeRoleWithOIDC, unsigned, as sts.aliyuncs.com takes it) for
// trust, issuing temporary credentials of this server. Reach it as
// https://sts.aliyuncs.com through a CONNECT proxy to a TLS server: its
// certificate is valid for that name.
func WithOIDC(trust OIDCTrust) Option { return func(c *config) { c.oidc = &trust } }
