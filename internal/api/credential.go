package api

import (
	"context"
	"time"
)

// Credential is one AccessKey pair, with the STS token when the pair is
// temporary. Its String method never prints the secret or the token.
type Credential struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
	// Expiration is when temporary credentials stop working; zero for
	// long-lived keys.
	Expiration time.Time
	// Source names where the credential came from (e.g. "config",
	// "env ALICLOUD_ACCESS_KEY", "credentials URI"), for diagnostics.
	Source string
}

// String describes c without revealing secret material.
func (c Credential) String() string {
	s := "AccessKeyId " + c.AccessKeyID
	if c.SecurityToken != "" {
		s += " (STS)"
	}
	if c.Source != "" {
		s += " from " + c.Source
	}
	return s
}

// GoString keeps %#v from printing the secret.
func (c Credential) GoString() string { return "api.Credential{" + c.String() + "}" }

// CredentialProvider yields the credential to sign the next request with.
// Implementations must be safe for concurrent use and cache what they
// fetch; Credential is called once per attempt.
type CredentialProvider interface {
	Credential(ctx context.Context) (Credential, error)
}

// Invalidator is implemented by providers of temporary credentials: the
// client calls Invalidate when the service refuses a credential as
// expired or unknown, so the next Credential call fetches a fresh one.
type Invalidator interface {
	Invalidate()
}

// StaticCredentials is a CredentialProvider that always returns the same
// credential.
type StaticCredentials Credential

// Credential implements CredentialProvider.
func (s StaticCredentials) Credential(context.Context) (Credential, error) { return Credential(s), nil }
