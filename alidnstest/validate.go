package alidnstest

import (
	"net"
	"strconv"
	"strings"
	"unicode/utf8"
)

// supportedTypes are the record types accepted by Add/UpdateDomainRecord.
var supportedTypes = map[string]bool{
	"A": true, "AAAA": true, "CNAME": true, "NS": true, "MX": true, "TXT": true,
	"SRV": true, "CAA": true, "HTTPS": true, "SVCB": true,
	"REDIRECT_URL": true, "FORWARD_URL": true,
}

// normalizeRR validates a host record (RR) and returns its lower-case form.
// Rules (reference §2.11): "@" for the apex; otherwise dot-separated labels
// of letters, digits, '-', '_' or non-ASCII letters, or a whole-label '*';
// no empty labels, no leading/trailing '-', labels ≤ 63 and the full name
// (with the zone) ≤ 253 octets in ASCII form.
func normalizeRR(rr, zoneASCII string) (string, *apiError) {
	rr = strings.TrimSpace(rr)
	if rr == "" {
		return "", errMissing("RR")
	}
	if rr == "@" {
		return rr, nil
	}
	rr = strings.ToLower(rr)
	bad := func(why string) (string, *apiError) {
		return "", errCodef("InvalidRR.Format", "The format of the host record (RR) %q is invalid: %s.", rr, why)
	}
	if !utf8.ValidString(rr) {
		return bad("not UTF-8")
	}
	for _, l := range strings.Split(rr, ".") {
		switch {
		case l == "":
			return bad("empty label")
		case l == "*":
			continue
		case strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-"):
			return bad("label starts or ends with '-'")
		}
		for _, c := range l {
			ok := c == '-' || c == '_' || ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || c > 0x7f
			if !ok {
				return bad("invalid character " + strconv.QuoteRune(c))
			}
		}
	}
	full, err := nameToASCII(rr + "." + zoneASCII)
	if err != nil {
		return bad(err.Error())
	}
	if len(full) > 253 {
		return bad("name longer than 253 octets")
	}
	return rr, nil
}

// rrASCII returns the ASCII (Punycode) form of a stored RR.
func rrASCII(rr string) string {
	if rr == "@" || rr == "" {
		return "@"
	}
	a, err := nameToASCII(rr)
	if err != nil {
		return strings.ToLower(rr)
	}
	return a
}

// normalizeType validates and upper-cases a record type.
func normalizeType(t string) (string, *apiError) {
	t = strings.ToUpper(strings.TrimSpace(t))
	if t == "" {
		return "", errMissing("Type")
	}
	if t == "FORWORD_URL" { // legacy spelling in old docs
		t = "FORWARD_URL"
	}
	if !supportedTypes[t] {
		return "", errInvalid("Type", "Supported types: A, AAAA, CNAME, NS, MX, TXT, SRV, CAA, HTTPS, SVCB, REDIRECT_URL, FORWARD_URL.")
	}
	return t, nil
}

// validateValue checks a record value against its type.
func validateValue(typ, value string) *apiError {
	if strings.TrimSpace(value) == "" {
		return errMissing("Value")
	}
	bad := func(why string) *apiError { return errInvalid("Value", why) }
	switch typ {
	case "A":
		ip := net.ParseIP(value)
		if ip == nil || ip.To4() == nil || strings.Contains(value, ":") {
			return bad("An A record value must be an IPv4 address.")
		}
	case "AAAA":
		ip := net.ParseIP(value)
		if ip == nil || !strings.Contains(value, ":") {
			return bad("An AAAA record value must be an IPv6 address.")
		}
	case "CNAME", "NS", "MX":
		if _, err := domainToASCII(value); err != nil {
			return bad("The value must be a domain name.")
		}
	case "SRV":
		f := strings.Fields(value)
		if len(f) != 4 || !isUint(f[0], 65535) || !isUint(f[1], 65535) || !isUint(f[2], 65535) {
			return bad(`An SRV value must be "priority weight port target".`)
		}
	case "CAA":
		f := strings.Fields(value)
		if len(f) < 3 || !isUint(f[0], 255) || !strings.HasPrefix(f[2], `"`) {
			return bad(`A CAA value must be 'flags tag "value"'.`)
		}
	case "HTTPS", "SVCB":
		// Either the full presentation form "priority target [params]" or
		// "target [params]" with the priority in the Priority parameter.
		f := strings.Fields(value)
		if isUint(f[0], 65535) && len(f) < 2 {
			return bad(`An HTTPS/SVCB value must be "priority target [params]" or "target [params]".`)
		}
	case "REDIRECT_URL", "FORWARD_URL":
		if !strings.HasPrefix(value, "http://") && !strings.HasPrefix(value, "https://") {
			return bad("A URL record value must start with http:// or https://.")
		}
	}
	return nil
}

func isUint(s string, max uint64) bool {
	n, err := strconv.ParseUint(s, 10, 64)
	return err == nil && n <= max
}

// valueKey normalizes a value for duplicate detection.
func valueKey(typ, value string) string {
	switch typ {
	case "A", "AAAA":
		if ip := net.ParseIP(value); ip != nil {
			return ip.String()
		}
	case "CNAME", "NS", "MX":
		return strings.TrimSuffix(strings.ToLower(value), ".")
	}
	return value
}

// parseTTL returns the TTL parameter (default 600) checked against the
// zone's edition.
func parseTTL(v string, ed Edition) (int64, *apiError) {
	if v == "" {
		return 600, nil
	}
	ttl, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, errInvalid("TTL", "TTL must be an integer.")
	}
	if min := ed.MinTTL(); ttl < min || ttl > MaxTTL {
		return 0, errCodef("QuotaExceeded.TTL", "The specified TTL is invalid. A valid TTL must be in the range of %d to %d.", min, MaxTTL)
	}
	return ttl, nil
}

// parsePriority returns the MX priority (required, 1..50) or the optional
// HTTPS/SVCB SvcPriority (0..65535, default 0); other types get 0 and ignore
// the parameter.
func parsePriority(typ, v string) (int64, *apiError) {
	switch typ {
	case "MX":
	case "HTTPS", "SVCB":
		if v == "" {
			return 0, nil
		}
		p, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || p < 0 || p > 65535 {
			return 0, errInvalid("Priority", "The HTTPS/SVCB priority must be an integer from 0 to 65535.")
		}
		return p, nil
	default:
		return 0, nil
	}
	if v == "" {
		return 0, errMissing("Priority")
	}
	p, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || p < 1 || p > 50 {
		return 0, errInvalid("Priority", "The MX priority must be an integer from 1 to 50.")
	}
	return p, nil
}

// parseLine returns the Line parameter (default "default").
func parseLine(v string) (string, *apiError) {
	if v == "" {
		return "default", nil
	}
	for _, c := range v {
		if !(c == '_' || c == '-' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')) {
			return "", errInvalid("Line", "")
		}
	}
	return v, nil
}

// parseStatus normalizes Enable/Disable (any case) to ENABLE/DISABLE.
func parseStatus(v string) (string, *apiError) {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "ENABLE":
		return "ENABLE", nil
	case "DISABLE":
		return "DISABLE", nil
	case "":
		return "", errMissing("Status")
	}
	return "", errInvalid("Status", "Status must be Enable or Disable.")
}
