package alidnstest

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// This file holds the signature computations used to verify requests. It is
// written independently of any client signer on purpose: a bug shared by the
// client and the simulator would otherwise go unnoticed.

const (
	v3Algorithm      = "ACS3-HMAC-SHA256"
	emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// rfc3986 percent-encodes s: unreserved characters (A-Z a-z 0-9 - _ . ~) are
// kept, every other byte becomes %XY with upper-case hex.
func rfc3986(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) * 3 / 2)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0x0f])
		}
	}
	return b.String()
}

// canonicalQuery sorts params by name (byte-wise) and joins enc(k)=enc(v)
// with '&'. Parameters named in skip are left out. Multiple values of one
// name keep their received order.
func canonicalQuery(params url.Values, skip ...string) string {
	keys := make([]string, 0, len(params))
outer:
	for k := range params {
		for _, s := range skip {
			if k == s {
				continue outer
			}
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		for _, v := range params[k] {
			parts = append(parts, rfc3986(k)+"="+rfc3986(v))
		}
	}
	return strings.Join(parts, "&")
}

// rpcStringToSign builds the RPC (SignatureVersion 1.0) string to sign:
// METHOD&%2F&enc(canonicalQuery).
func rpcStringToSign(method string, params url.Values) string {
	return method + "&" + rfc3986("/") + "&" + rfc3986(canonicalQuery(params, "Signature"))
}

// rpcSign returns base64(HMAC-SHA1(secret+"&", stringToSign)).
func rpcSign(secret, stringToSign string) string {
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// v3Authorization is a parsed ACS3-HMAC-SHA256 Authorization header.
type v3Authorization struct {
	KeyID         string
	SignedHeaders string
	Signature     string
}

// headerNames returns the lower-cased signed header names.
func (a v3Authorization) headerNames() []string {
	if a.SignedHeaders == "" {
		return nil
	}
	names := strings.Split(a.SignedHeaders, ";")
	for i := range names {
		names[i] = strings.ToLower(strings.TrimSpace(names[i]))
	}
	return names
}

func (a v3Authorization) signs(name string) bool {
	for _, n := range a.headerNames() {
		if n == name {
			return true
		}
	}
	return false
}

// parseV3Authorization parses
// "ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b>,Signature=<hex>".
func parseV3Authorization(h string) (v3Authorization, error) {
	var a v3Authorization
	alg, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || alg != v3Algorithm {
		return a, fmt.Errorf("authorization: algorithm must be %s", v3Algorithm)
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, fmt.Errorf("authorization: malformed element %q", part)
		}
		switch k {
		case "Credential":
			a.KeyID = v
		case "SignedHeaders":
			a.SignedHeaders = v
		case "Signature":
			a.Signature = v
		default:
			return a, fmt.Errorf("authorization: unknown element %q", k)
		}
	}
	switch {
	case a.KeyID == "":
		return a, errors.New("authorization: Credential is missing")
	case a.SignedHeaders == "":
		return a, errors.New("authorization: SignedHeaders is missing")
	case a.Signature == "":
		return a, errors.New("authorization: Signature is missing")
	}
	return a, nil
}

// headerValue returns the value of a (lower-case) header name as used in the
// canonical headers; "host" comes from the request's Host.
func headerValue(r *http.Request, name string) string {
	if name == "host" {
		return r.Host
	}
	vals := r.Header.Values(name)
	for i := range vals {
		vals[i] = strings.TrimSpace(vals[i])
	}
	return strings.Join(vals, ",")
}

// v3CanonicalRequest builds the V3 canonical request for r, signing the
// given headers, with the given payload hash.
func v3CanonicalRequest(r *http.Request, query url.Values, auth v3Authorization, payloadHash string) string {
	names := auth.headerNames()
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	var hb strings.Builder
	for _, n := range sorted {
		hb.WriteString(n)
		hb.WriteByte(':')
		hb.WriteString(headerValue(r, n))
		hb.WriteByte('\n')
	}
	return r.Method + "\n/\n" + canonicalQuery(query) + "\n" + hb.String() + "\n" + auth.SignedHeaders + "\n" + payloadHash
}

// v3StringToSign hashes a canonical request into the V3 string to sign.
func v3StringToSign(canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	return v3Algorithm + "\n" + hex.EncodeToString(sum[:])
}

// v3Sign returns lower-hex HMAC-SHA256(secret, stringToSign).
func v3Sign(secret, stringToSign string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return hex.EncodeToString(m.Sum(nil))
}

// payloadHash returns the lower-hex SHA-256 of body.
func payloadHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// equalSignature compares two signatures in constant time.
func equalSignature(a, b string) bool {
	return hmac.Equal([]byte(a), []byte(b))
}
