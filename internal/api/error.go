package api

import (
	"errors"
	"fmt"
	"strings"
)

// Error is an error answered by the AliDNS API: a JSON error body with a
// Code, or (Code empty) an HTTP error whose body was not the API's JSON,
// such as a proxy's HTML page. Use errors.As to reach it through wrapping.
// Its text names the action, code and request id, and never contains a
// secret: the client has none in the request line, and bodies are
// scrubbed of the credential used.
type Error struct {
	Action     string
	HTTPStatus int
	Code       string
	Message    string
	RequestID  string
	Recommend  string
	// DeniedAction is the RAM action that was refused, for Forbidden.RAM
	// errors (the API action itself: alidns:<Action>).
	DeniedAction string
	// Attempts is how many requests the client sent for this call; above 1
	// the call was retried, which matters for non-idempotent actions.
	Attempts int
	// Body is the start of a non-JSON error body, for diagnostics.
	Body string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "alidns %s: ", e.Action)
	if e.Code == "" {
		fmt.Fprintf(&b, "HTTP %d", e.HTTPStatus)
		if e.Body != "" {
			fmt.Fprintf(&b, " with a non-API response body: %q", e.Body)
		}
	} else {
		fmt.Fprintf(&b, "%s (HTTP %d)", e.Code, e.HTTPStatus)
		if e.Message != "" {
			fmt.Fprintf(&b, ": %s", e.Message)
		}
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [RequestId %s]", e.RequestID)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if hint := Hint(e.Code); hint != "" {
		b.WriteString("; ")
		b.WriteString(hint)
	}
	return b.String()
}

// HasCode reports whether err is (or wraps) an *Error with one of codes.
func HasCode(err error, codes ...string) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	for _, c := range codes {
		if e.Code == c {
			return true
		}
	}
	return false
}

// Hint returns what a user should do about an error code, or "".
func Hint(code string) string {
	switch {
	case code == "InvalidAccessKeyId.NotFound" || code == "InvalidAccessKeyId":
		return "the AccessKey ID is unknown: check access_key_id / ALICLOUD_ACCESS_KEY, and that the key is enabled in the RAM console"
	case code == "SignatureDoesNotMatch" || code == "IncompleteSignature":
		return "the AccessKey secret does not match the AccessKey ID: check access_key_secret / ALICLOUD_SECRET_KEY"
	case code == "Forbidden.RAM" || strings.HasPrefix(code, "Forbidden"):
		return "the RAM user or role lacks a permission: grant the alidns actions listed in the README's RAM policy"
	case strings.HasPrefix(code, "InvalidSecurityToken"):
		return "the STS security token is invalid or expired: refresh it, or use a credential source that renews tokens"
	case code == "InvalidTimeStamp.Expired":
		return "this machine's clock is more than 15 minutes off: sync it (NTP)"
	case code == "InvalidDomainName.NoExist":
		return "the zone is not hosted in this Alibaba Cloud account: add it in the AliDNS console or use the account that hosts it"
	case code == "IncorrectDomainUser":
		return "the zone is hosted by another Alibaba Cloud account: use that account's AccessKey"
	case code == "QuotaExceeded.TTL":
		return "the TTL is outside what the zone's AliDNS edition allows (600 s minimum on Free and Personal)"
	case strings.HasPrefix(code, "Throttling"):
		return "AliDNS rate limit hit: retry later or lower the request rate"
	}
	return ""
}
