package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Algorithm is the V3 signature algorithm name sent in the Authorization header.
const Algorithm = "ACS3-HMAC-SHA256"

// EmptyPayloadHash is the lowercase hex SHA-256 of an empty body. Every
// request this client sends has an empty body (parameters travel in the
// query, as the official SDKs send them), so the payload hash is constant.
const EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// TimeFormat is the layout of x-acs-date: UTC with whole seconds.
const TimeFormat = "2006-01-02T15:04:05Z"

// PercentEncode encodes s the way Alibaba Cloud canonicalises query names
// and values: RFC 3986 unreserved characters (A-Z a-z 0-9 - _ . ~) stay as
// they are, every other byte of the UTF-8 form becomes %XY with upper-case
// hex. This differs from url.QueryEscape, which writes "+" for a space and
// leaves "*" alone; both would break the signature.
func PercentEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xF])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// CanonicalQuery returns the canonical query string of params: names
// sorted byte-wise, each name and value percent-encoded, empty values kept
// as "name=". It is also the exact query the client sends, so the server
// decodes the same bytes that were signed.
func CanonicalQuery(params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		vs := params[k]
		if len(vs) == 0 {
			vs = []string{""}
		}
		for _, v := range vs {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(PercentEncode(k))
			b.WriteByte('=')
			b.WriteString(PercentEncode(v))
		}
	}
	return b.String()
}

// SigningInput is everything the V3 signature covers, split out so tests
// can compare each stage with the official SDK and the published vectors.
type SigningInput struct {
	Method  string
	Query   url.Values
	Headers map[string]string // lower-case names; host, content-type and x-acs-* are signed
}

// CanonicalRequest builds the V3 canonical request and the SignedHeaders
// list for in.
func CanonicalRequest(in SigningInput) (canonical, signedHeaders string) {
	names := make([]string, 0, len(in.Headers))
	for name := range in.Headers {
		ln := strings.ToLower(name)
		if ln == "host" || ln == "content-type" || strings.HasPrefix(ln, "x-acs-") {
			names = append(names, ln)
		}
	}
	sort.Strings(names)
	lower := make(map[string]string, len(in.Headers))
	for name, v := range in.Headers {
		lower[strings.ToLower(name)] = v
	}
	var hb strings.Builder
	for _, name := range names {
		hb.WriteString(name)
		hb.WriteByte(':')
		hb.WriteString(strings.TrimSpace(lower[name]))
		hb.WriteByte('\n')
	}
	signedHeaders = strings.Join(names, ";")
	payload := lower["x-acs-content-sha256"]
	if payload == "" {
		payload = EmptyPayloadHash
	}
	canonical = in.Method + "\n/\n" + CanonicalQuery(in.Query) + "\n" + hb.String() + "\n" + signedHeaders + "\n" + payload
	return canonical, signedHeaders
}

// Signature returns the lowercase hex V3 signature of a canonical request.
func Signature(secret, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	stringToSign := Algorithm + "\n" + hex.EncodeToString(sum[:])
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(stringToSign))
	return hex.EncodeToString(mac.Sum(nil))
}

// Authorization returns the Authorization header value for in.
func Authorization(cred Credential, in SigningInput) string {
	canonical, signed := CanonicalRequest(in)
	return Algorithm + " Credential=" + cred.AccessKeyID + ",SignedHeaders=" + signed + ",Signature=" + Signature(cred.AccessKeySecret, canonical)
}

// Sign adds the V3 common headers and the Authorization header to req,
// whose URL must already carry the business parameters in its query
// (encoded with CanonicalQuery) and whose body must be empty. date and
// nonce are fresh for every attempt.
func Sign(req *http.Request, cred Credential, action, version string, date time.Time, nonce string, query url.Values) {
	h := map[string]string{
		"host":                  req.URL.Host,
		"x-acs-action":          action,
		"x-acs-version":         version,
		"x-acs-date":            date.UTC().Format(TimeFormat),
		"x-acs-signature-nonce": nonce,
		"x-acs-content-sha256":  EmptyPayloadHash,
	}
	if cred.SecurityToken != "" {
		h["x-acs-security-token"] = cred.SecurityToken
	}
	for name, v := range h {
		if name == "host" {
			continue // net/http sends Host from req.Host / req.URL.Host
		}
		req.Header.Set(name, v)
	}
	req.Header.Set("Authorization", Authorization(cred, SigningInput{Method: req.Method, Query: query, Headers: h}))
}
