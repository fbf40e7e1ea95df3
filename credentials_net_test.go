package alidns

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/caddy-alidns/alidns/alidnstest"
)

// metadataRouteEnv passes the simulator URL that stands in for the ECS
// metadata service to a child process.
const metadataRouteEnv = "ALIDNS_TEST_METADATA_ROUTE"

// routeMetadataTo makes this (child) test process reach the ECS metadata
// service (100.100.100.200) at the simulator simURL, and fails unless
// http.DefaultTransport, which credentials-go clones, then sends it there:
// nothing may reach the real address.
func routeMetadataTo(t *testing.T, simURL string) {
	t.Helper()
	u, err := url.Parse(simURL)
	if err != nil || u.Host == "" {
		t.Fatalf("bad simulator URL %q", simURL)
	}
	metadataRoute.Store(u)
	t.Cleanup(func() { metadataRoute.Store(nil) })
	req, _ := http.NewRequest(http.MethodPut, "http://"+ecsMetadataHost+"/latest/api/token", nil)
	got, err := http.DefaultTransport.(*http.Transport).Proxy(req)
	if err != nil || got == nil || got.String() != u.String() {
		t.Fatalf("metadata requests would go to %v (%v), not the simulator %s; refusing to continue", got, err, u)
	}
}

// TestCredentialMetadataNeverThroughProxy: with HTTP_PROXY set (to a
// recording proxy, in a child process), the ECS RAM role's token PUT and
// credential GET still go directly to the metadata service (the simulator
// standing in for it), and the proxy sees none of them.
func TestCredentialMetadataNeverThroughProxy(t *testing.T) {
	if route := os.Getenv(metadataRouteEnv); route != "" && os.Getenv(proxyChildEnv) != "" {
		routeMetadataTo(t, route)
		// The proxy is in effect for everything else, so a metadata
		// request that followed it would be seen there.
		requireProxy(t, "http://"+ecsMetadataHost+"/latest/api/token")
		isolateCredentialEnv(t)
		unsetenv(t, "ALIBABA_CLOUD_ECS_METADATA_DISABLED")
		src := mustResolve(t, credentialOptions{RAMRole: testRoleName})
		if c := mustCredential(t, src); !strings.HasPrefix(c.AccessKeyID, "STS.") || c.SecurityToken == "" {
			t.Fatalf("got %v, want STS credentials from the metadata service", c)
		}
		return
	}
	sim := alidnstest.NewServer(alidnstest.WithoutDNS(), alidnstest.WithDefaultCredentials(false), alidnstest.WithIMDSRole(testRoleName))
	defer sim.Close()
	var mu sync.Mutex
	var proxied []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		proxied = append(proxied, r.Method+" "+r.URL.String())
		mu.Unlock()
		http.Error(w, "this proxy refuses everything", http.StatusBadGateway)
	}))
	defer proxy.Close()
	out := runProxiedChild(t, "TestCredentialMetadataNeverThroughProxy", proxy.URL, metadataRouteEnv+"="+sim.URL)
	assertNoSecrets(t, "child output", out)
	mu.Lock()
	defer mu.Unlock()
	if len(proxied) != 0 {
		t.Fatalf("the proxy received %q", proxied)
	}
	// The child got its credential (it fails otherwise), so every request
	// it needed went around the proxy; which ones credentials-go sends
	// (token, role, credential) is its business.
	if len(sim.CredentialRequests()) == 0 {
		t.Error("the metadata service was never asked")
	}
}

// ALIBABA_CLOUD_CREDENTIALS_URI follows the API endpoint's rule: plain
// http:// only to localhost or a literal loopback address; the refusal
// comes before any request and names the variable without its query.
func TestCredentialsURIPlainHTTPOnlyToLoopback(t *testing.T) {
	for _, bad := range []string{
		"http://creds.internal.example/credentials?token=q-secret", "http://10.0.0.5:8080/c", "http://sim.localhost:8080/c",
		"http://localhost.:8080/c", "HTTP://metadata.example/c",
	} {
		isolateCredentialEnv(t)
		t.Setenv(envCredentialsURI, bad)
		_, err := resolveCredentials(credentialOptions{}, os.LookupEnv)
		if err == nil || !strings.Contains(err.Error(), envCredentialsURI) || !strings.Contains(err.Error(), "plain http://") {
			t.Errorf("%s: err %v, want a refusal of plain http", bad, err)
		} else if strings.Contains(err.Error(), "q-secret") {
			t.Errorf("the error quotes the URI's query: %v", err)
		}
	}
	for _, good := range []string{"https://creds.example/c", "http://127.0.0.1:8080/c", "http://localhost:8080/c", "http://[::1]:8080/c", ""} {
		if err := checkCredentialsURI(good); err != nil {
			t.Errorf("%s: %v", good, err)
		}
	}
}

// A credential endpoint that answers with the AccessKey secret and token
// in a body credentials-go quotes in its error (XML, an HTML table, key:
// value lines, or JSON that lacks a field) leaves none of them in the
// error, in provisioning or in caddy alidns check.
func TestCredentialErrorsFromHostileEndpoint(t *testing.T) {
	for _, format := range []string{alidnstest.FormatXML, alidnstest.FormatHTML, alidnstest.FormatText, alidnstest.FormatJSON} {
		t.Run(format, func(t *testing.T) {
			isolateCredentialEnv(t)
			h := alidnstest.NewHostileServer(alidnstest.Hostile{Kind: alidnstest.HostileUnknownCodes})
			defer h.Close()
			h.CredentialFormat(format)
			t.Setenv(envCredentialsURI, h.URL+"/credentials-uri")
			_, err := resolveCredentials(credentialOptions{}, os.LookupEnv)
			if err == nil {
				t.Fatal("want an error")
			}
			var out bytes.Buffer
			cerr := runCheck(ctx(t), checkOptions{commandOptions: commandOptions{Provider: &Provider{Endpoint: h.URL}}, Domain: "www.example.com", ReadOnly: true}, &out)
			issued := h.IssuedSecrets()
			if len(issued) < 4 {
				t.Fatalf("the endpoint was asked %d times", len(issued)/2)
			}
			for _, text := range []string{err.Error(), out.String(), cerr.Error()} {
				for _, secret := range issued {
					if strings.Contains(text, secret) {
						t.Errorf("%q leaked:\n%s", secret, text)
					}
				}
			}
			t.Logf("%s: %v", format, err)
		})
	}
}

// sanitizeCredentialError redacts secret, token and password fields in
// every form credentials-go may quote, known values anywhere, and drops
// a quoted body whose fields survive in an encoding.
func TestSanitizeCredentialErrorForms(t *testing.T) {
	const secret = "LeakedSecretValue123"
	for _, body := range []string{
		`{"AccessKeyId":"id","AccessKeySecret":"` + secret + `"}`,
		"{\n  \"AccessKeySecret\" : \"" + secret + "\"\n}",
		`AccessKeySecret=` + secret,
		`<Credentials><AccessKeySecret>` + secret + `</AccessKeySecret></Credentials>`,
		`<td>AccessKeySecret</td><td>` + secret + `</td>`,
		`<tr><th>SecurityToken</th> <td> ` + secret + ` </td></tr>`,
		`{"Credentials":{"Access\u004beySecret":"` + secret + `"}}`,
		`{"AccessKey\u0053ecret":"` + strings.ReplaceAll(secret, "e", `\u0065`) + `"}`,
		`AccessKeySecret%3D` + secret,
		`the value ` + secret + ` without a name`, // a known value
	} {
		for _, prefix := range []string{"refresh credentials from GET http://127.0.0.1/c failed: ", "refresh Ecs sts token err, httpStatus: 500, message = ", "x: "} {
			msg := sanitizeCredentialError(errorString(prefix+body), secret).Error()
			if strings.Contains(msg, secret) || strings.Contains(msg, strings.ReplaceAll(secret, "e", `\u0065`)) {
				t.Errorf("secret survives in %q", msg)
			}
		}
	}
	// What holds no credential keeps its diagnostic value.
	in := `get credentials from GET http://127.0.0.1/c failed: {"Code":"RoleNotFound","Message":"no such role"}`
	if got := sanitizeCredentialError(errorString(in)).Error(); got != in {
		t.Errorf("sanitized %q to %q", in, got)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }
