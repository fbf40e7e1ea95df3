package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
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
	// errors (AccessDeniedDetail.AuthAction, else alidns:<Action>).
	DeniedAction string
	// DeniedResource is the RAM resource the denied action was asked on
	// (AccessDeniedDetail.AuthResource, else the zone of the request as
	// acs:alidns:*:*:domain/<zone>; "" when neither is known).
	DeniedResource string
	// Principal is the RAM identity that was refused, as AccessDeniedDetail
	// names it ("SubUser caddy-dns"); ExplicitDeny is set when a Deny
	// statement, not a missing Allow, refused it.
	Principal    string
	ExplicitDeny bool
	// Attempts is how many requests the client sent for this call; above 1
	// the call was retried, which matters for non-idempotent actions.
	Attempts int
	// Waited is the time the client spent waiting between attempts.
	Waited time.Duration
	// Body is the start of a non-JSON error body, for diagnostics.
	Body string
	// Location is where a refused redirect (HTTP 3xx) pointed: scheme and
	// host only.
	Location string

	// detail holds the string values of the body's AccessDeniedDetail,
	// already scrubbed.
	detail map[string]string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "alidns %s: ", e.Action)
	if e.Code == "" {
		fmt.Fprintf(&b, "HTTP %d", e.HTTPStatus)
		if e.HTTPStatus >= 300 && e.HTTPStatus < 400 {
			fmt.Fprintf(&b, " redirect to %s refused: AliDNS never redirects, so what answered is not AliDNS (check the endpoint, or a proxy or captive portal in the way)", e.Location)
		} else if e.Body != "" {
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
	if hint := e.hint(); hint != "" {
		b.WriteString("; ")
		b.WriteString(hint)
	}
	return b.String()
}

// annotate completes an error answer with what the client knows about the
// call: the attempts made and the time waited between them, and for an
// access denial the action, resource and identity from the body's
// AccessDeniedDetail (scrubbed by parseError), or else from the request.
func (e *Error) annotate(attempts int, waited time.Duration, params url.Values) {
	e.Attempts, e.Waited = attempts, waited
	if !IsForbidden(e.Code) {
		return
	}
	str := func(k string) string { return e.detail[k] }
	e.DeniedAction = "alidns:" + e.Action
	if a := str("AuthAction"); a != "" {
		e.DeniedAction = a
	}
	switch {
	case str("AuthResource") != "":
		e.DeniedResource = str("AuthResource")
	case params.Get("DomainName") != "":
		e.DeniedResource = "acs:alidns:*:*:domain/" + params.Get("DomainName")
	}
	e.Principal = strings.TrimSpace(str("AuthPrincipalType") + " " + str("AuthPrincipalDisplayName"))
	e.ExplicitDeny = strings.EqualFold(str("NoPermissionType"), "ExplicitDeny")
}

// IsForbidden reports whether code is an access denial (Forbidden.RAM
// and the other Forbidden* codes).
func IsForbidden(code string) bool { return strings.HasPrefix(code, "Forbidden") }

// PolicyStatement is the RAM policy statement that allows action on
// resource (the zone's resource, or every zone's when resource is "").
func PolicyStatement(action, resource string) string {
	if resource == "" {
		resource = "acs:alidns:*:*:domain/*"
	}
	b, _ := json.Marshal(struct{ Effect, Action, Resource string }{"Allow", action, resource})
	return string(b)
}

// hint is Hint(e.Code) made specific with what the error knows.
func (e *Error) hint() string {
	switch {
	case IsForbidden(e.Code):
		who := "the RAM user or role of this AccessKey"
		if e.Principal != "" {
			who = e.Principal
		}
		on := e.DeniedResource
		if on == "" {
			on = "the zone"
		}
		if e.ExplicitDeny {
			return fmt.Sprintf("%s is explicitly denied %s on %s by a Deny statement in one of its policies: remove that statement (an Allow does not override a Deny)", who, e.DeniedAction, on)
		}
		return fmt.Sprintf("%s is not allowed %s on %s: add this statement to its RAM policy: %s (see the README's least-privilege RAM policy)", who, e.DeniedAction, on, PolicyStatement(e.DeniedAction, e.DeniedResource))
	case IsThrottling(e.Code):
		did := "the client did not retry"
		if e.Attempts > 1 {
			did = fmt.Sprintf("the client already tried %d times, waiting %s in all between attempts with backoff", e.Attempts, e.Waited.Round(10*time.Millisecond))
		}
		return "AliDNS throttled this Alibaba Cloud account's API requests (its API rate limit is shared by every client of the account); " + did +
			", and Caddy retries the certificate later by itself. To avoid it: stop other tools from calling the AliDNS API of this account at the same time " +
			"(DDNS scripts, Terraform, other Caddy instances), or spread them out; obtain fewer certificates at once (a wildcard instead of many names; " +
			"an on_demand_tls ask endpoint to bound on-demand issuance)"
	}
	return Hint(e.Code)
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

// restartNote ends the hints of key and signature errors: a key fixed in
// the file given to caddy run --envfile (or in the service's environment)
// is only read when Caddy starts.
const restartNote = "after fixing a key in the --envfile file or the service's environment, restart Caddy: caddy reload does not re-read them"

// Hint returns what a user should do about an error code, or "".
func Hint(code string) string {
	switch {
	case code == "InvalidAccessKeyId.NotFound" || code == "InvalidAccessKeyId":
		return "the AccessKey ID is unknown: check access_key_id / ALICLOUD_ACCESS_KEY, and that the key is enabled in the RAM console; " + restartNote
	case code == "SignatureDoesNotMatch" || code == "IncompleteSignature":
		return "the AccessKey secret does not match the AccessKey ID: check access_key_secret / ALICLOUD_SECRET_KEY; " + restartNote
	case IsForbidden(code):
		return "the RAM user or role lacks a permission: grant the alidns actions listed in the README's least-privilege RAM policy"
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
	case IsThrottling(code):
		return "AliDNS throttled this account's API requests: other clients of the account (DDNS scripts, Terraform, other Caddy instances) share its rate limit; space them out"
	}
	return ""
}
