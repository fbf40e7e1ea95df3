package api

import (
	"net/url"
	"testing"
)

// The published V3 vector (reference: the SDK's GetAuthorization on the
// AddDomainRecord example, cross-checked with an independent signer).
func TestSignatureV3PublishedVector(t *testing.T) {
	q := url.Values{
		"DomainName": {"example.com"},
		"RR":         {"_acme-challenge"},
		"Type":       {"TXT"},
		"Value":      {"abc def/+=*~"},
	}
	in := SigningInput{
		Method: "POST",
		Query:  q,
		Headers: map[string]string{
			"host":                  "alidns.aliyuncs.com",
			"x-acs-action":          "AddDomainRecord",
			"x-acs-version":         "2015-01-09",
			"x-acs-date":            "2023-10-26T09:01:01Z",
			"x-acs-signature-nonce": "d410180a5abf7fe235dd9b74aca91fc0",
			"x-acs-content-sha256":  EmptyPayloadHash,
		},
	}
	if got, want := CanonicalQuery(q), "DomainName=example.com&RR=_acme-challenge&Type=TXT&Value=abc%20def%2F%2B%3D%2A~"; got != want {
		t.Fatalf("canonical query\n got %s\nwant %s", got, want)
	}
	canonical, signed := CanonicalRequest(in)
	if want := "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"; signed != want {
		t.Fatalf("signed headers %q, want %q", signed, want)
	}
	if got, want := Signature("YourAccessKeySecret", canonical), "56414885c9de5dbe306a7359ce97b9f6d45a105ba4ffc435b230ad4c3542001c"; got != want {
		t.Fatalf("signature\n got %s\nwant %s\ncanonical:\n%s", got, want, canonical)
	}
	auth := Authorization(Credential{AccessKeyID: "YourAccessKeyId", AccessKeySecret: "YourAccessKeySecret"}, in)
	want := "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=" + signed + ",Signature=56414885c9de5dbe306a7359ce97b9f6d45a105ba4ffc435b230ad4c3542001c"
	if auth != want {
		t.Fatalf("authorization\n got %s\nwant %s", auth, want)
	}
}

func TestPercentEncode(t *testing.T) {
	for in, want := range map[string]string{
		"":              "",
		"abcXYZ019-_.~": "abcXYZ019-_.~",
		"a b":           "a%20b",
		"*":             "%2A",
		"/+=&":          "%2F%2B%3D%26",
		"é":             "%C3%A9",
		"中":             "%E4%B8%AD",
		"%":             "%25",
	} {
		if got := PercentEncode(in); got != want {
			t.Errorf("PercentEncode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCanonicalQueryKeepsEmptyValuesAndSortsBytewise(t *testing.T) {
	q := url.Values{"b": {""}, "B": {"x"}, "a": {"1", "2"}, "Key.10": {"y"}, "Key.2": {"z"}}
	if got, want := CanonicalQuery(q), "B=x&Key.10=y&Key.2=z&a=1&a=2&b="; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestCredentialStringHidesSecrets(t *testing.T) {
	c := Credential{AccessKeyID: "id", AccessKeySecret: "s3cr3t-value", SecurityToken: "tok3n-value", Source: "config"}
	for _, s := range []string{c.String(), c.GoString()} {
		if contains(s, "s3cr3t") || contains(s, "tok3n") {
			t.Fatalf("credential text leaks a secret: %s", s)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
