package api

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// benchParams are the business parameters of a DNS-01 challenge's
// AddDomainRecord, the call every certificate makes.
func benchParams() url.Values {
	return url.Values{
		"DomainName": {"example.com"},
		"RR":         {"_acme-challenge.www"},
		"Type":       {"TXT"},
		"Value":      {"Xw8vD3rS-Q9m0tBqY1cJ4hK7pLzN2aE6fG5uR_iWoTs"},
		"TTL":        {"600"},
		"Line":       {"default"},
	}
}

// BenchmarkSign signs one request as the client does for every attempt:
// the V3 common headers and the Authorization header (canonical query and
// headers, SHA-256 of the canonical request, HMAC-SHA256).
func BenchmarkSign(b *testing.B) {
	params := benchParams()
	req, err := http.NewRequest(http.MethodPost, "https://alidns.aliyuncs.com/?"+CanonicalQuery(params), http.NoBody)
	if err != nil {
		b.Fatal(err)
	}
	cred := Credential{AccessKeyID: "LTAI5tBenchmarkKeyId0000", AccessKeySecret: "benchmark-secret-000000000000"}
	date := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const nonce = "3f2a9c1e5b7d4a6f8e0c2b4d6f8a0c2e"
	b.ReportAllocs()
	for b.Loop() {
		Sign(req, cred, "AddDomainRecord", Version, date, nonce, params)
	}
}

// BenchmarkAuthorization is the signature alone, from a prepared
// SigningInput.
func BenchmarkAuthorization(b *testing.B) {
	in := SigningInput{
		Method: http.MethodPost,
		Query:  benchParams(),
		Headers: map[string]string{
			"host":                  "alidns.aliyuncs.com",
			"x-acs-action":          "AddDomainRecord",
			"x-acs-version":         Version,
			"x-acs-date":            "2026-01-02T03:04:05Z",
			"x-acs-signature-nonce": "3f2a9c1e5b7d4a6f8e0c2b4d6f8a0c2e",
			"x-acs-content-sha256":  EmptyPayloadHash,
		},
	}
	cred := Credential{AccessKeyID: "LTAI5tBenchmarkKeyId0000", AccessKeySecret: "benchmark-secret-000000000000"}
	b.ReportAllocs()
	for b.Loop() {
		_ = Authorization(cred, in)
	}
}
