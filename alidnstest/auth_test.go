package alidnstest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestAuthErrors(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s := newSim(t, WithClock(clk.Now))
	for _, v3 := range []bool{false, true} {
		name := map[bool]string{false: "rpc", true: "v3"}[v3]
		t.Run(name, func(t *testing.T) {
			c := newTC(t, s).with(func(c *tc) { c.v3 = v3 })
			list := func(c *tc) resp { return c.call("DescribeDomainRecords", "DomainName", "example.com") }
			mustOK(t, list(c))

			r := mustErr(t, list(c.with(func(c *tc) { c.secret = "wrong" })), 400, "SignatureDoesNotMatch")
			if !strings.Contains(r.str("Message"), "server string to sign is:") {
				t.Fatalf("message = %s", r.str("Message"))
			}
			if v3 && !strings.Contains(r.str("Message"), "ACS3-HMAC-SHA256\n") {
				t.Fatalf("v3 string to sign missing: %q", r.str("Message"))
			}
			if !v3 && !strings.Contains(r.str("Message"), "server string to sign is:POST&%2F&AccessKeyId%3D") {
				t.Fatalf("rpc string to sign missing: %q", r.str("Message"))
			}
			mustErr(t, list(c.with(func(c *tc) { c.id = "nobody" })), 404, "InvalidAccessKeyId.NotFound")
			mustErr(t, list(c.with(func(c *tc) { c.when = clk.Now().Add(-16 * time.Minute) })), 400, "InvalidTimeStamp.Expired")
			mustErr(t, list(c.with(func(c *tc) { c.when = clk.Now().Add(16 * time.Minute) })), 400, "InvalidTimeStamp.Expired")
			mustOK(t, list(c.with(func(c *tc) { c.when = clk.Now().Add(-14 * time.Minute) })))

			n := c.with(func(c *tc) { c.nonce = "fixed-nonce-" + name })
			mustOK(t, list(n))
			mustErr(t, list(n), 400, "SignatureNonceUsed")
			clk.Add(16 * time.Minute)
			mustOK(t, list(n)) // the nonce window has passed

			mustErr(t, list(c.with(func(c *tc) { c.token = "unexpected" })), 400, "InvalidSecurityToken.MismatchWithAccessKey")

			// Tampering after signing.
			mustErr(t, list(c.with(func(c *tc) {
				c.mutate = func(r *http.Request) {
					q := r.URL.Query()
					q.Set("DomainName", "evil.com")
					r.URL.RawQuery = q.Encode()
				}
			})), 400, "SignatureDoesNotMatch")
		})
	}
}

func TestV3SpecificErrors(t *testing.T) {
	s := newSim(t)
	c := newTC(t, s).with(func(c *tc) { c.v3 = true })
	mustErr(t, c.with(func(c *tc) {
		c.mutate = func(r *http.Request) { r.Header.Del("x-acs-date") }
	}).call("DescribeDomains"), 400, "MissingParameter")
	mustErr(t, c.with(func(c *tc) {
		c.mutate = func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "x-acs-date;", "", 1))
		}
	}).call("DescribeDomains"), 400, "IncompleteSignature")
	mustErr(t, c.with(func(c *tc) {
		c.mutate = func(r *http.Request) { r.Header.Set("x-acs-content-sha256", emptyPayloadHash[1:]+"0") }
	}).call("DescribeDomains"), 400, "SignatureDoesNotMatch")
	r := mustErr(t, c.with(func(c *tc) { c.secret = "bad" }).call("DescribeDomains"), 400, "SignatureDoesNotMatch")
	if !strings.HasPrefix(r.Header.Get("X-Sim-Canonical-Request"), `"POST\n/\n`) {
		t.Fatalf("canonical request header = %q", r.Header.Get("X-Sim-Canonical-Request"))
	}
	mustErr(t, c.with(func(c *tc) {
		c.mutate = func(r *http.Request) { r.Header.Set("Authorization", "ACS3-HMAC-SHA256 Credential=x") }
	}).call("DescribeDomains"), 400, "IncompleteSignature")
	mustErr(t, c.with(func(c *tc) {
		c.mutate = func(r *http.Request) { r.Header.Set("x-acs-version", "2014-05-26") }
	}).call("DescribeDomains"), 400, "SignatureDoesNotMatch")
}

func TestProtocolErrors(t *testing.T) {
	s := newSim(t)
	// No authentication at all.
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/?Action=DescribeDomains&Version=2015-01-09&Format=JSON", nil)
	mustErr(t, doReq(t, s.Client(), req), 400, "MissingParameter")
	// Without Format the RPC error is XML.
	req, _ = http.NewRequest(http.MethodGet, s.URL+"/?Action=DescribeDomains&Version=2015-01-09", nil)
	r := doReq(t, s.Client(), req)
	if r.Status != 400 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/xml") ||
		!strings.Contains(r.Raw, "<Error>") || !strings.Contains(r.Raw, "<Code>MissingParameter</Code>") {
		t.Fatalf("xml error = %d %s", r.Status, r.Raw)
	}
	req, _ = http.NewRequest(http.MethodGet, s.URL+"/", nil)
	if r := doReq(t, s.Client(), req); r.Status != 400 || !strings.Contains(r.Raw, "<Error>") {
		t.Fatalf("bare request = %d %s", r.Status, r.Raw)
	}
	c := newTC(t, s)
	mustErr(t, c.with(func(c *tc) { c.method = http.MethodPut }).call("DescribeDomains"), 400, "UnsupportedHTTPMethod")
	// 404 for unknown paths.
	req, _ = http.NewRequest(http.MethodGet, s.URL+"/nope", nil)
	if r := doReq(t, s.Client(), req); r.Status != 404 {
		t.Fatalf("unknown path = %d", r.Status)
	}
}

func TestInvalidVersion(t *testing.T) {
	s := newSim(t)
	// Sign a request with a wrong version using the RPC test signer.
	p := map[string]string{
		"Action": "DescribeDomains", "Version": "2014-05-26", "Format": "JSON", "AccessKeyId": DefaultAccessKeyID,
		"SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "SignatureNonce": tNonce(),
		"Timestamp": time.Now().UTC().Format("2006-01-02T15:04:05Z"),
	}
	_, p["Signature"] = tRPCSignature("GET", DefaultAccessKeySecret, p)
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/?"+tSortedPairs(p), nil)
	mustErr(t, doReq(t, s.Client(), req), 400, "InvalidVersion")
}

func TestXMLResponse(t *testing.T) {
	s := newSim(t)
	s.PutRecord("example.com", Record{RR: "www", Type: "A", Value: "192.0.2.1"})
	r := newTC(t, s).with(func(c *tc) { c.format = "-" }).call("DescribeDomainRecords", "DomainName", "example.com")
	if r.Status != 200 || !strings.HasPrefix(r.Raw, `<?xml version="1.0" encoding="UTF-8"?><DescribeDomainRecordsResponse>`) ||
		!strings.Contains(r.Raw, "<DomainRecords><Record>") || !strings.Contains(r.Raw, "<Value>192.0.2.1</Value>") ||
		r.Header.Get("X-Acs-Request-Id") == "" {
		t.Fatalf("xml = %s", r.Raw)
	}
	r = newTC(t, s).with(func(c *tc) { c.format = "json" }).call("DescribeDomains")
	mustOK(t, r)
}

func TestSTS(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s := newSim(t, WithClock(clk.Now))
	cred := s.IssueSTS(10 * time.Minute)
	if !strings.HasPrefix(cred.AccessKeyID, "STS.") || cred.SecurityToken == "" || !cred.Expiration.Equal(clk.Now().Add(10*time.Minute)) {
		t.Fatalf("cred = %+v", cred)
	}
	for _, v3 := range []bool{false, true} {
		c := newTC(t, s).with(func(c *tc) {
			c.v3 = v3
			c.id = cred.AccessKeyID
			c.secret = cred.AccessKeySecret
			c.token = cred.SecurityToken
		})
		mustOK(t, c.call("DescribeDomains"))
		mustErr(t, c.with(func(c *tc) { c.token = "" }).call("DescribeDomains"), 400, "MissingSecurityToken")
		mustErr(t, c.with(func(c *tc) { c.token = "other" }).call("DescribeDomains"), 400, "InvalidSecurityToken.MismatchWithAccessKey")
	}
	clk.Add(10 * time.Minute)
	c := newTC(t, s).with(func(c *tc) { c.id = cred.AccessKeyID; c.secret = cred.AccessKeySecret; c.token = cred.SecurityToken })
	mustErr(t, c.call("DescribeDomains"), 400, "InvalidSecurityToken.Expired")
	mustErr(t, c.with(func(c *tc) { c.v3 = true }).call("DescribeDomains"), 400, "InvalidSecurityToken.Expired")

	s.RevokeAccessKey(DefaultAccessKeyID)
	mustErr(t, newTC(t, s).call("DescribeDomains"), 404, "InvalidAccessKeyId.NotFound")
}

func TestRAM(t *testing.T) {
	s := newSim(t)
	s.AddAccessKey("limited", "limited-secret")
	s.AllowActions("limited", "DescribeDomainRecords")
	c := newTC(t, s).with(func(c *tc) { c.id = "limited"; c.secret = "limited-secret" })
	mustOK(t, c.call("DescribeDomainRecords", "DomainName", "example.com"))
	r := mustErr(t, c.call("AddDomainRecord", "DomainName", "example.com", "RR", "a", "Type", "A", "Value", "192.0.2.1"), 400, "Forbidden.RAM")
	detail, ok := r.Body["AccessDeniedDetail"].(map[string]any)
	if !ok || detail["AuthPrincipalDisplayName"] != "limited" || detail["AuthAction"] != "alidns:AddDomainRecord" {
		t.Fatalf("detail = %s", r.Raw)
	}
	s.AllowActions("limited", "AddDomainRecord")
	mustOK(t, c.call("AddDomainRecord", "DomainName", "example.com", "RR", "a", "Type", "A", "Value", "192.0.2.1"))
	mustOK(t, newTC(t, s).call("DescribeDomains")) // other keys are unrestricted
}
