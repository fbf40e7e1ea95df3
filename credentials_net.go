package alidns

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"

	"github.com/caddy-alidns/alidns/internal/api"
)

// Where credentials travel, one rule everywhere (the API client applies
// the same one, see api.Proxy and api.PlainHTTPAllowed):
//
//   - the ECS instance metadata service (100.100.100.200, the RAM role's
//     STS secret) is reached directly, never through HTTP_PROXY: the
//     requests and the answer are plain HTTP, and a proxy (on another
//     instance, even) would see the secret or answer with its own
//     instance's role;
//   - plain http:// only to this machine (a literal loopback address or
//     localhost), for the API endpoint and ALIBABA_CLOUD_CREDENTIALS_URI
//     alike.
//
// credentials-go sends every request with a clone of
// http.DefaultTransport and has no option for "no proxy", so the first
// rule is put into http.DefaultTransport's Proxy when this package is
// initialised. It changes nothing but requests to the metadata address,
// which no proxy can serve correctly for this instance.

// ecsMetadataHost is the ECS instance metadata service's address.
const ecsMetadataHost = "100.100.100.200"

// envCredentialsURI is credentials-go's credentials URI variable.
const envCredentialsURI = "ALIBABA_CLOUD_CREDENTIALS_URI"

// metadataRoute, when set (tests only), is the proxy that requests to the
// metadata service go through instead of going directly: the simulator
// stands in for 100.100.100.200 that way.
var metadataRoute atomic.Pointer[url.URL]

func init() { keepMetadataOffProxies() }

// keepMetadataOffProxies wraps http.DefaultTransport's Proxy so that the
// metadata service is never reached through a proxy.
func keepMetadataOffProxies() {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return
	}
	next := t.Proxy
	t.Proxy = func(req *http.Request) (*url.URL, error) {
		if req.URL.Hostname() == ecsMetadataHost {
			return metadataRoute.Load(), nil
		}
		if next == nil {
			return nil, nil
		}
		return next(req)
	}
}

// checkCredentialsURI refuses an ALIBABA_CLOUD_CREDENTIALS_URI that would
// fetch the STS secret in clear text across a network.
func checkCredentialsURI(raw string) error {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("environment variable %s is not a URL (want https://host/path, or http:// to localhost or a loopback address)", envCredentialsURI)
	}
	if strings.EqualFold(u.Scheme, "http") && !api.PlainHTTPAllowed(u.Hostname()) {
		return fmt.Errorf("environment variable %s is %q: plain http:// is only allowed to localhost or a loopback IP address such as 127.0.0.1, "+
			"since its answer holds the AccessKey secret and STS token in clear text; use https:// (or a local agent on a loopback address)",
			envCredentialsURI, api.RedactEndpoint(raw))
	}
	return nil
}

// credentialsURIError is checkCredentialsURI of the process environment,
// which credentials-go reads.
func credentialsURIError() error { return checkCredentialsURI(os.Getenv(envCredentialsURI)) }
