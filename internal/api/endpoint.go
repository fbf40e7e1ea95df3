package api

import (
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
// for loopback hosts.
func ParseEndpoint(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("endpoint is empty: set it to a URL such as %s", DefaultEndpoint)
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("endpoint %q is not a valid URL (want https://host[:port]): %w", s, err)
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
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("endpoint %q must be only scheme://host[:port], without credentials, path or query", s)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("endpoint %q: plain http:// is only allowed for a loopback host (a local simulator), since requests carry the STS token and signatures in clear text; use https://%s", s, u.Host)
	}
	u.Path = "/"
	return u, nil
}

// isLoopback reports whether host names this machine: "localhost" or a
// loopback IP address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// RegionalEndpoint returns the regional endpoint for a region id such as
// "cn-hangzhou". AliDNS is a central product and some regional hosts are
// unusable, so the central endpoint remains the default.
func RegionalEndpoint(region string) string {
	return "https://alidns." + region + ".aliyuncs.com"
}
