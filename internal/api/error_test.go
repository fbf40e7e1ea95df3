package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// assertHas checks that msg contains every want and none of the secrets.
func assertHas(t *testing.T, msg string, want []string, secrets ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("message lacks %q:\n%s", w, msg)
		}
	}
	for _, s := range append(secrets, testSecret) {
		if strings.Contains(msg, s) {
			t.Errorf("message holds the secret %q:\n%s", s, msg)
		}
	}
}

// Forbidden.RAM names the identity, the denied action and resource from
// AccessDeniedDetail, and the exact policy statement to add.
func TestForbiddenNamesActionResourceAndPolicyLine(t *testing.T) {
	detail := map[string]any{
		"AuthPrincipalType": "SubUser", "AuthPrincipalDisplayName": "caddy-dns", "AuthPrincipalOwnerId": "1000000000000000",
		"NoPermissionType": "ImplicitDeny", "PolicyType": "AccountLevelIdentityBasedPolicy",
		"AuthAction": "alidns:DescribeSubDomainRecords", "EncodedDiagnosticMessage": "ZGlhZw==",
	}
	c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 400, map[string]any{"RequestId": "R-F", "Code": "Forbidden.RAM",
			"Message": "User not authorized to operate on the specified resource, or this API doesn't support RAM.", "AccessDeniedDetail": detail})
	})
	err := c.Do(context.Background(), "DescribeSubDomainRecords", url.Values{"DomainName": {"example.com"}, "SubDomain": {"_acme-challenge.example.com"}}, nil)
	assertHas(t, err.Error(), []string{
		"Forbidden.RAM", "R-F",
		"SubUser caddy-dns is not allowed alidns:DescribeSubDomainRecords on acs:alidns:*:*:domain/example.com",
		`add this statement to its RAM policy: {"Effect":"Allow","Action":"alidns:DescribeSubDomainRecords","Resource":"acs:alidns:*:*:domain/example.com"}`,
	})
	// An AuthResource in the detail wins; without a zone or resource the
	// statement covers every zone; an explicit Deny is named as such.
	detail["AuthResource"] = "acs:alidns:*:1000000000000000:domain/example.org"
	err = c.Do(context.Background(), "DescribeSubDomainRecords", url.Values{"DomainName": {"example.com"}}, nil)
	assertHas(t, err.Error(), []string{`"Resource":"acs:alidns:*:1000000000000000:domain/example.org"`})
	delete(detail, "AuthResource")
	delete(detail, "AuthAction")
	err = c.Do(context.Background(), "DeleteDomainRecord", url.Values{"RecordId": {"1"}}, nil)
	assertHas(t, err.Error(), []string{"alidns:DeleteDomainRecord on the zone", `{"Effect":"Allow","Action":"alidns:DeleteDomainRecord","Resource":"acs:alidns:*:*:domain/*"}`})
	detail["NoPermissionType"] = "ExplicitDeny"
	err = c.Do(context.Background(), "AddDomainRecord", url.Values{"DomainName": {"example.com"}}, nil)
	assertHas(t, err.Error(), []string{"explicitly denied alidns:AddDomainRecord", "remove that statement"})
	// Other Forbidden* codes (no AccessDeniedDetail) still name the action.
	c2, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) { apiErr(w, 400, "Forbidden.NotAuthorized", "R-N") })
	err = c2.Do(context.Background(), "AddDomainRecord", url.Values{"DomainName": {"example.com"}}, nil)
	assertHas(t, err.Error(), []string{"the RAM user or role of this AccessKey is not allowed alidns:AddDomainRecord on acs:alidns:*:*:domain/example.com", `"Action":"alidns:AddDomainRecord"`})
}

// Throttling says what the client already did (attempts, time waited) and
// what the user can change.
func TestThrottlingSaysWhatWasTriedAndWhatToChange(t *testing.T) {
	c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) { apiErr(w, 429, "Throttling.User", "R-T") })
	c.Retry = RetryPolicy{MaxAttempts: 3, BaseDelay: 20 * time.Millisecond, MaxDelay: 20 * time.Millisecond, MaxWait: time.Second}
	err := c.Do(context.Background(), "AddDomainRecord", url.Values{"DomainName": {"example.com"}}, nil)
	var e *Error
	if !errors.As(err, &e) || e.Attempts != 3 || e.Waited <= 0 {
		t.Fatalf("err = %v (%+v)", err, e)
	}
	assertHas(t, err.Error(), []string{
		"Throttling.User", "after 3 attempts", "the client already tried 3 times, waiting", "between attempts",
		"Caddy retries the certificate later", "other tools", "DDNS scripts", "fewer certificates at once",
	})
}

func TestEndpointErrorsHoldNoUserinfo(t *testing.T) {
	for _, in := range []string{
		"https://admin:hunter2secret@alidns.aliyuncs.com",
		"http://admin:hunter2secret@127.0.0.1:8081/",
		"admin:hunter2secret@alidns.aliyuncs.com",
		"https://admin:hunter2secret@alidns.aliyuncs.com/?token=hunter2secret",
		"https://admin:hunter2secret@host:99999",
		"https://admin:hunter2secret@[::1",
		"ftp://admin:hunter2secret@host",
		"https://alidns.aliyuncs.com/?AccessKeySecret=hunter2secret",
	} {
		_, err := ParseEndpoint(in)
		if err == nil {
			t.Fatalf("%s accepted", in)
		}
		assertHas(t, err.Error(), []string{"endpoint"}, "hunter2secret", "admin")
		if strings.Contains(in, "@") && !strings.Contains(in, "[::1") && !strings.Contains(in, "99999") && !strings.HasPrefix(in, "ftp") {
			assertHas(t, err.Error(), []string{"[redacted]@", "remove them"})
		}
	}
	c := &Client{Endpoint: "https://u:hunter2secret@example.com", Credentials: StaticCredentials{AccessKeyID: "id", AccessKeySecret: testSecret}}
	err := c.Do(context.Background(), "DescribeDomains", nil, nil)
	assertHas(t, err.Error(), []string{"[redacted]@example.com"}, "hunter2secret")
}
