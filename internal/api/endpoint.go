package api

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// DefaultEndpoint is the central AliDNS endpoint. It serves China-site and
// international accounts alike, which regional endpoints do not always do.
const DefaultEndpoint = "https://alidns.aliyuncs.com"

// ParseEndpoint validates an endpoint given as "https://host[:port]",
// "http://host[:port]" or a bare "host[:port]" (which means HTTPS), and
// returns its normalised URL with path "/". Plain http:// is accepted only
// where PlainHTTPAllowed says.
//
// Errors never quote credentials or a query the endpoint was given with:
// "https://user:pass@host/?token=x" is shown as "https://[redacted]@host/?[redacted]".
func ParseEndpoint(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, fmt.Errorf("endpoint is empty: set it to a URL such as %s", DefaultEndpoint)
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	s := RedactEndpoint(raw)
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the whole input: keep only its reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("endpoint %q is not a valid URL (want https://host[:port]): %s", s, RedactEndpoint(err.Error()))
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("endpoint %q: scheme %q is not supported (want https:// or http://)", s, u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("endpoint %q has no host (want https://host[:port])", s)
	}
	if port := u.Port(); port != "" {
		if _, err := net.LookupPort("tcp", port); err != nil {
			return nil, fmt.Errorf("endpoint %q has an invalid port %q", s, port)
		}
	}
	if u.User != nil {
		return nil, fmt.Errorf("endpoint %q holds credentials (user:password@): remove them; the API is authenticated with the AccessKey, and a proxy's credentials belong in HTTPS_PROXY", s)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("endpoint %q must be only scheme://host[:port], without path or query", s)
	}
	if u.Scheme == "http" && !PlainHTTPAllowed(u.Hostname()) {
		return nil, fmt.Errorf("endpoint %q: plain http:// is only allowed for localhost or a loopback IP address such as 127.0.0.1 (a local simulator), since requests carry the STS token and signatures in clear text; use https://%s", s, u.Host)
	}
	u.Path = "/"
	return u, nil
}

// PlainHTTPAllowed is the one rule for plain http:// wherever credentials
// travel (the API endpoint, ALIBABA_CLOUD_CREDENTIALS_URI): only to a
// host that cannot be anywhere but this machine, a literal loopback IP
// address or "localhost" itself. Not "*.localhost" nor "localhost.": a
// resolver or /etc/hosts may map them elsewhere, and proxy settings
// (HTTP_PROXY) apply to them, so the STS token would cross a network in
// clear text. Requests to these hosts never go through a proxy (Proxy).
func PlainHTTPAllowed(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// RedactEndpoint removes what may be secret from an endpoint string for
// messages: the userinfo (user:password@) and the query.
func RedactEndpoint(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
			s = s[:i+3] + "[redacted]" + rest[at:]
		}
	} else if at := strings.LastIndex(s, "@"); at >= 0 && !strings.ContainsAny(s[:at], "/?#") {
		s = "[redacted]" + s[at:]
	}
	if q := strings.IndexByte(s, '?'); q >= 0 {
		s = s[:q+1] + "[redacted]"
	}
	return s
}

// RegionalEndpoint returns the regional endpoint for a region id such as
// "cn-hangzhou". AliDNS is a central product and some regional hosts are
// unusable, so the central endpoint remains the default.
func RegionalEndpoint(region string) string {
	return "https://alidns." + region + ".aliyuncs.com"
}
