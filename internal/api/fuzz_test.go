package api

import (
	"html"
	"net/url"
	"strings"
	"testing"
)

// secretForms are the ways FuzzErrorBody writes the token into a body.
var secretForms = []func(string) string{
	func(s string) string { return s },
	PercentEncode,
	func(s string) string { return PercentEncode(PercentEncode(s)) },
	func(s string) string { return strings.ToLower(PercentEncode(s)) },
	url.QueryEscape,
	func(s string) string { return strings.ReplaceAll(s, "/", `\/`) },
	html.EscapeString,
	func(s string) string {
		return strings.NewReplacer("+", "&#43;", "/", "&#x2F;", "=", "&#61;").Replace(s)
	},
	func(s string) string { return strings.ReplaceAll(s, "C", `\u0043`) },
	func(s string) string { return s[:len(s)/2] }, // cut by the server
}

// FuzzErrorBody: whatever an error answer holds, and wherever the token or
// the secret is echoed in it (raw or encoded, in a JSON field or in a
// non-API body, in the X-Acs-Request-Id header), parsing never panics and
// no part of the error (its text, its fields) holds the token or the
// secret, or their start, in any encoding that decodes to them.
func FuzzErrorBody(f *testing.F) {
	for _, s := range []struct {
		body   string
		status int
		at     uint16
		form   uint8
		json   bool
	}{
		{"", 400, 0, 0, false},
		{`{"RequestId":"R","Code":"SignatureDoesNotMatch","Message":"server string to sign is:`, 400, 60, 1, false},
		{strings.Repeat("x", 195) + " x-acs-security-token: ", 403, 216, 0, false},
		{"<html><body>blocked</body></html>", 502, 12, 7, false},
		{"Forbidden.RAM", 400, 0, 0, true},
		{"InvalidParameter", 400, 5, 5, true},
		{"\xff\xfe%zz\\u00", 500, 3, 8, false},
		{"", 200, 0, 9, true},
	} {
		f.Add([]byte(s.body), s.status, s.at, s.form, s.json)
	}
	f.Fuzz(func(t *testing.T, text []byte, status int, at uint16, form uint8, asJSON bool) {
		secret := hostileToken
		if form&0x80 != 0 {
			secret = hostileSecret
		}
		echo := secretForms[int(form&0x7f)%len(secretForms)](secret)
		pos := 0
		if len(text) > 0 {
			pos = int(at) % (len(text) + 1)
		}
		mixed := string(text[:pos]) + echo + string(text[pos:])
		body := []byte(mixed)
		if asJSON {
			// The fuzz text as the code, the echo in every other field.
			body = []byte(`{"RequestId":"` + jsonEscape(echo) + `","Code":"Forbidden` + jsonEscape(string(text)) + `","Message":"` + jsonEscape(mixed) +
				`","Recommend":"` + jsonEscape(echo) + `","AccessDeniedDetail":{"AuthPrincipalDisplayName":"` + jsonEscape(mixed) + `","AuthAction":"` + jsonEscape(echo) + `"}}`)
		}
		sc := newScrubber(Credential(hostileCred))
		e := parseError("DescribeDomains", status, sc.cut(echo, maxIDLen), body, Credential(hostileCred))
		e.annotate(1, 0, url.Values{"DomainName": {"example.com"}})
		ok := bodySnippet(body, sc)
		for what, s := range map[string]string{"Error()": e.Error(), "Code": e.Code, "Message": e.Message, "RequestID": e.RequestID, "Recommend": e.Recommend,
			"Principal": e.Principal, "DeniedAction": e.DeniedAction, "DeniedResource": e.DeniedResource, "Body": e.Body, "200 snippet": ok} {
			assertNoSecretIn(t, what, s)
		}
		if len(e.Message) > maxMessageLen+len("…") || len(e.Body) > maxBodyLen+len("…") || len(e.RequestID) > maxIDLen+len("…") {
			t.Fatalf("a field is longer than its cut: %+v", e)
		}
	})
}

// jsonEscape escapes s for a JSON string literal the way a server might.
func jsonEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s)
}
