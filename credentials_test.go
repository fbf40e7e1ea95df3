package alidns

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddy-alidns/alidns/alidnstest"
	"github.com/caddy-alidns/alidns/internal/api"
)

// Fake secret material. Tests assert that none of it appears in errors or
// source descriptions.
const (
	testKeyID    = "LTAI-test-key-id"
	testSecret   = "test-secret-VALUE-1"
	testToken    = "test-token-VALUE-1"
	testKeyID2   = "LTAI-test-key-id-2"
	testSecret2  = "test-secret-VALUE-2"
	testToken2   = "test-token-VALUE-2"
	testRoleName = "caddy-dns-role"
)

var allTestSecrets = []string{testSecret, testToken, testSecret2, testToken2, "sts-secret-", "sts-token-", "sim-sts-secret-", "sim-sts-token-", testOIDC.Token}

// unsetenv removes name from the environment for the duration of the
// test, restoring it afterwards.
func unsetenv(t *testing.T, name string) {
	t.Helper()
	t.Setenv(name, "")
	os.Unsetenv(name)
}

// isolateCredentialEnv gives the test an environment in which no
// credential source applies unless the test sets one up: every
// ALICLOUD_*/ALIBABA_CLOUD_* variable is removed, HOME and the
// credentials-go file locations point into an empty temporary directory,
// and the ECS metadata service and the CLI profile are disabled. It
// returns the temporary home directory.
func isolateCredentialEnv(t *testing.T) string {
	t.Helper()
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "ALICLOUD_") || strings.HasPrefix(name, "ALIBABA_CLOUD_") || strings.HasPrefix(name, "ALIBABACLOUD_") {
			unsetenv(t, name)
		}
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("ALIBABA_CLOUD_CONFIG_FILE", filepath.Join(home, ".aliyun", "config.json"))
	t.Setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", filepath.Join(home, ".alibabacloud", "credentials"))
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	t.Setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
	return home
}

// writeFile writes content to path, creating directories.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// assertNoSecrets fails if s contains any fake secret.
func assertNoSecrets(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range allTestSecrets {
		if strings.Contains(s, secret) {
			t.Errorf("%s contains secret material %q", what, secret)
		}
	}
}

// mustResolve resolves with the process environment and checks that the
// source description is free of secrets.
func mustResolve(t *testing.T, opts credentialOptions) *credentialSource {
	t.Helper()
	src, err := resolveCredentials(opts, os.LookupEnv)
	if err != nil {
		assertNoSecrets(t, "error", err.Error())
		t.Fatalf("resolveCredentials: %v", err)
	}
	assertNoSecrets(t, "Source()", src.Source())
	return src
}

// mustCredential gets a credential from src.
func mustCredential(t *testing.T, src *credentialSource) api.Credential {
	t.Helper()
	c, err := src.Credential(context.Background())
	if err != nil {
		t.Fatalf("Credential: %v", err)
	}
	assertNoSecrets(t, "Credential.String()", c.String())
	assertNoSecrets(t, "Credential.Source", c.Source)
	return c
}

func wantCredential(t *testing.T, c api.Credential, id, secret, token string) {
	t.Helper()
	if c.AccessKeyID != id || c.AccessKeySecret != secret || c.SecurityToken != token {
		t.Errorf("got credential %v (secret ok %v, token ok %v), want AccessKeyId %s", c, c.AccessKeySecret == secret, c.SecurityToken == token, id)
	}
}

func TestCredentialConfig(t *testing.T) {
	isolateCredentialEnv(t)
	src := mustResolve(t, credentialOptions{AccessKeyID: " " + testKeyID + " ", AccessKeySecret: testSecret})
	if got := src.Source(); got != "config" {
		t.Errorf("Source() = %q, want config", got)
	}
	c := mustCredential(t, src)
	wantCredential(t, c, testKeyID, testSecret, "")
	if c.Source != "config" {
		t.Errorf("Credential.Source = %q", c.Source)
	}
	src.Invalidate() // no-op for static keys
	wantCredential(t, mustCredential(t, src), testKeyID, testSecret, "")

	src = mustResolve(t, credentialOptions{AccessKeyID: testKeyID, AccessKeySecret: testSecret, SecurityToken: testToken})
	wantCredential(t, mustCredential(t, src), testKeyID, testSecret, testToken)
}

func TestCredentialEnvAliCloud(t *testing.T) {
	isolateCredentialEnv(t)
	t.Setenv("ALICLOUD_ACCESS_KEY", testKeyID)
	t.Setenv("ALICLOUD_SECRET_KEY", testSecret)
	src := mustResolve(t, credentialOptions{})
	if got, want := src.Source(), "env ALICLOUD_ACCESS_KEY/ALICLOUD_SECRET_KEY"; got != want {
		t.Errorf("Source() = %q, want %q", got, want)
	}
	wantCredential(t, mustCredential(t, src), testKeyID, testSecret, "")

	t.Setenv("ALICLOUD_SECURITY_TOKEN", testToken)
	src = mustResolve(t, credentialOptions{})
	if got, want := src.Source(), "env ALICLOUD_ACCESS_KEY/ALICLOUD_SECRET_KEY/ALICLOUD_SECURITY_TOKEN"; got != want {
		t.Errorf("Source() = %q, want %q", got, want)
	}
	wantCredential(t, mustCredential(t, src), testKeyID, testSecret, testToken)
}

func TestCredentialEnvAlibabaCloud(t *testing.T) {
	isolateCredentialEnv(t)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", testKeyID2)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", testSecret2)
	t.Setenv("ALIBABA_CLOUD_SECURITY_TOKEN", testToken2)
	src := mustResolve(t, credentialOptions{})
	if got, want := src.Source(), "env ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET/ALIBABA_CLOUD_SECURITY_TOKEN"; got != want {
		t.Errorf("Source() = %q, want %q", got, want)
	}
	wantCredential(t, mustCredential(t, src), testKeyID2, testSecret2, testToken2)
}

func TestCredentialLookupEnvIsUsed(t *testing.T) {
	isolateCredentialEnv(t)
	env := map[string]string{"ALICLOUD_ACCESS_KEY": testKeyID, "ALICLOUD_SECRET_KEY": testSecret}
	src, err := resolveCredentials(credentialOptions{}, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	wantCredential(t, mustCredential(t, src), testKeyID, testSecret, "")
}

func TestCredentialPrecedence(t *testing.T) {
	isolateCredentialEnv(t)
	t.Setenv("ALICLOUD_ACCESS_KEY", testKeyID)
	t.Setenv("ALICLOUD_SECRET_KEY", testSecret)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", testKeyID2)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", testSecret2)

	// Config beats both environment families.
	src := mustResolve(t, credentialOptions{AccessKeyID: "LTAI-config", AccessKeySecret: "config-secret"})
	wantCredential(t, mustCredential(t, src), "LTAI-config", "config-secret", "")

	// ALICLOUD_* beats ALIBABA_CLOUD_*.
	src = mustResolve(t, credentialOptions{})
	wantCredential(t, mustCredential(t, src), testKeyID, testSecret, "")

	// Environment keys beat ALICLOUD_RAM_ROLE (ECS is disabled here, so
	// reaching the role would fail).
	t.Setenv("ALICLOUD_RAM_ROLE", testRoleName)
	src = mustResolve(t, credentialOptions{})
	wantCredential(t, mustCredential(t, src), testKeyID, testSecret, "")

	// But ram_role and profile written in the config are as explicit as
	// config keys and win over the environment: the role is tried (and
	// fails here because ECS metadata is disabled), the profile is looked
	// up (and is missing).
	if _, err := resolveCredentials(credentialOptions{RAMRole: testRoleName}, nil); err == nil || !strings.Contains(err.Error(), "ram_role") {
		t.Fatalf("ram_role in config did not win over env keys: %v", err)
	}
	if _, err := resolveCredentials(credentialOptions{Profile: "other"}, nil); err == nil || !strings.Contains(err.Error(), "other") {
		t.Fatalf("profile in config did not win over env keys: %v", err)
	}

	// Without ALICLOUD_*, ALIBABA_CLOUD_* is used (by this package, not
	// by the default chain).
	unsetenv(t, "ALICLOUD_ACCESS_KEY")
	unsetenv(t, "ALICLOUD_SECRET_KEY")
	src = mustResolve(t, credentialOptions{})
	wantCredential(t, mustCredential(t, src), testKeyID2, testSecret2, "")
	if !strings.HasPrefix(src.Source(), "env ALIBABA_CLOUD_ACCESS_KEY_ID") {
		t.Errorf("Source() = %q", src.Source())
	}

	// Environment keys also beat a CLI profile file.
	home := isolateCredentialEnv(t)
	unsetenv(t, "ALIBABA_CLOUD_CLI_PROFILE_DISABLED")
	writeFile(t, filepath.Join(home, ".aliyun", "config.json"), cliConfig)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", testKeyID2)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", testSecret2)
	src = mustResolve(t, credentialOptions{})
	wantCredential(t, mustCredential(t, src), testKeyID2, testSecret2, "")
}

func TestCredentialErrors(t *testing.T) {
	tests := []struct {
		name string
		opts credentialOptions
		env  map[string]string
		want []string // substrings of the error
	}{
		{"config id without secret", credentialOptions{AccessKeyID: testKeyID}, nil,
			[]string{"set access_key_secret, or remove access_key_id", "access_key_id is set but access_key_secret is empty"}},
		{"config secret without id", credentialOptions{AccessKeySecret: testSecret}, nil,
			[]string{"access_key_secret is set but access_key_id is empty"}},
		{"config token without keys", credentialOptions{SecurityToken: testToken}, nil,
			[]string{"set access_key_id and access_key_secret", "or remove security_token: security_token is set without them"}},
		{"config keys and ram_role", credentialOptions{AccessKeyID: testKeyID, AccessKeySecret: testSecret, RAMRole: testRoleName}, nil,
			[]string{"remove access_key_id or ram_role: they are alternative credential sources"}},
		{"config keys and profile", credentialOptions{AccessKeyID: testKeyID, AccessKeySecret: testSecret, Profile: "p"}, nil,
			[]string{"remove access_key_id or profile: they are alternative credential sources"}},
		{"ram_role and profile", credentialOptions{RAMRole: testRoleName, Profile: "p"}, nil,
			[]string{"remove ram_role or profile: they are alternative credential sources"}},
		{"ALICLOUD id without secret", credentialOptions{}, map[string]string{"ALICLOUD_ACCESS_KEY": testKeyID},
			[]string{"ALICLOUD_ACCESS_KEY is set but ALICLOUD_SECRET_KEY is empty"}},
		{"ALICLOUD secret without id", credentialOptions{}, map[string]string{"ALICLOUD_SECRET_KEY": testSecret},
			[]string{"ALICLOUD_SECRET_KEY is set but ALICLOUD_ACCESS_KEY is empty"}},
		{"ALICLOUD token without keys", credentialOptions{}, map[string]string{"ALICLOUD_SECURITY_TOKEN": testToken,
			"ALIBABA_CLOUD_ACCESS_KEY_ID": testKeyID2, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": testSecret2},
			[]string{"set ALICLOUD_ACCESS_KEY and ALICLOUD_SECRET_KEY", "ALICLOUD_SECURITY_TOKEN is set without them"}},
		{"ALIBABA_CLOUD id without secret", credentialOptions{}, map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": testKeyID2},
			[]string{"ALIBABA_CLOUD_ACCESS_KEY_ID is set but ALIBABA_CLOUD_ACCESS_KEY_SECRET is empty"}},
		{"ALIBABA_CLOUD secret without id", credentialOptions{}, map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_SECRET": testSecret2},
			[]string{"ALIBABA_CLOUD_ACCESS_KEY_SECRET is set but ALIBABA_CLOUD_ACCESS_KEY_ID is empty"}},
		{"ALIBABA_CLOUD token without keys", credentialOptions{}, map[string]string{"ALIBABA_CLOUD_SECURITY_TOKEN": testToken2},
			[]string{"ALIBABA_CLOUD_SECURITY_TOKEN is set without them"}},
		{"ram_role with metadata disabled", credentialOptions{RAMRole: testRoleName}, nil,
			[]string{"unset ALIBABA_CLOUD_ECS_METADATA_DISABLED", `ram_role is "caddy-dns-role"`, "ALIBABA_CLOUD_ECS_METADATA_DISABLED=true"}},
		{"ALICLOUD_RAM_ROLE with metadata disabled", credentialOptions{}, map[string]string{"ALICLOUD_RAM_ROLE": testRoleName},
			[]string{`ALICLOUD_RAM_ROLE is "caddy-dns-role"`}},
		{"profile not found", credentialOptions{Profile: "nope"}, nil,
			[]string{`check profile "nope"`, "~/.aliyun/config.json", "~/.alibabacloud/credentials"}},
		{"nothing at all", credentialOptions{}, nil, []string{
			// The likely cause depends on how the test runs (a
			// container, systemd); TestNoCredentialsErrorLeadsWithLikelyCause
			// covers each.
			"no Alibaba Cloud credentials found", "ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY", readmeCredentials,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolateCredentialEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			src, err := resolveCredentials(tt.opts, os.LookupEnv)
			if err == nil {
				t.Fatalf("got source %q, want an error", src.Source())
			}
			msg := err.Error()
			t.Logf("error: %s", msg)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q\ndoes not contain %q", msg, w)
				}
			}
			assertNoSecrets(t, "error", msg)
		})
	}
}

const cliConfig = `{
	"current": "ak",
	"profiles": [
		{"name": "ak", "mode": "AK", "access_key_id": "` + testKeyID + `", "access_key_secret": "` + testSecret + `", "region_id": "cn-hangzhou"},
		{"name": "sts", "mode": "StsToken", "access_key_id": "` + testKeyID2 + `", "access_key_secret": "` + testSecret2 + `", "sts_token": "` + testToken2 + `", "region_id": "cn-hangzhou"}
	]
}`

func TestCredentialCLIProfile(t *testing.T) {
	setup := func(t *testing.T) {
		home := isolateCredentialEnv(t)
		unsetenv(t, "ALIBABA_CLOUD_CLI_PROFILE_DISABLED")
		unsetenv(t, "ALIBABA_CLOUD_CONFIG_FILE") // use ~/.aliyun/config.json under HOME
		writeFile(t, filepath.Join(home, ".aliyun", "config.json"), cliConfig)
	}
	t.Run("current AK profile", func(t *testing.T) {
		setup(t)
		src := mustResolve(t, credentialOptions{})
		if got, want := src.Source(), "default credential chain (credentials-go): cli_profile/static_ak"; got != want {
			t.Errorf("Source() = %q, want %q", got, want)
		}
		wantCredential(t, mustCredential(t, src), testKeyID, testSecret, "")
	})
	t.Run("StsToken profile via ALIBABA_CLOUD_PROFILE", func(t *testing.T) {
		setup(t)
		t.Setenv("ALIBABA_CLOUD_PROFILE", "sts")
		src := mustResolve(t, credentialOptions{})
		if got, want := src.Source(), "default credential chain (credentials-go): cli_profile/static_sts"; got != want {
			t.Errorf("Source() = %q, want %q", got, want)
		}
		wantCredential(t, mustCredential(t, src), testKeyID2, testSecret2, testToken2)
		// Invalidate rereads the file.
		src.Invalidate()
		wantCredential(t, mustCredential(t, src), testKeyID2, testSecret2, testToken2)
	})
	t.Run("profile option", func(t *testing.T) {
		setup(t)
		src := mustResolve(t, credentialOptions{Profile: "sts"})
		if _, set := os.LookupEnv("ALIBABA_CLOUD_PROFILE"); set {
			t.Error("resolveCredentials set ALIBABA_CLOUD_PROFILE")
		}
		if got, want := src.Source(), `profile "sts" (credentials-go): cli_profile/static_sts`; got != want {
			t.Errorf("Source() = %q, want %q", got, want)
		}
		wantCredential(t, mustCredential(t, src), testKeyID2, testSecret2, testToken2)
	})
	t.Run("ALIBABA_CLOUD_CONFIG_FILE", func(t *testing.T) {
		setup(t)
		other := filepath.Join(t.TempDir(), "cli.json")
		writeFile(t, other, strings.Replace(cliConfig, `"current": "ak"`, `"current": "sts"`, 1))
		t.Setenv("ALIBABA_CLOUD_CONFIG_FILE", other)
		src := mustResolve(t, credentialOptions{})
		wantCredential(t, mustCredential(t, src), testKeyID2, testSecret2, testToken2)
	})
	t.Run("disabled", func(t *testing.T) {
		setup(t)
		t.Setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
		if src, err := resolveCredentials(credentialOptions{}, os.LookupEnv); err == nil {
			t.Fatalf("got %q, want no credentials", src.Source())
		}
	})
	t.Run("broken file does not leak its content", func(t *testing.T) {
		home := isolateCredentialEnv(t)
		unsetenv(t, "ALIBABA_CLOUD_CLI_PROFILE_DISABLED")
		unsetenv(t, "ALIBABA_CLOUD_CONFIG_FILE")
		writeFile(t, filepath.Join(home, ".aliyun", "config.json"), cliConfig[:len(cliConfig)-8])
		_, err := resolveCredentials(credentialOptions{}, os.LookupEnv)
		if err == nil {
			t.Fatal("want an error")
		}
		assertNoSecrets(t, "error", err.Error())
		if !strings.Contains(err.Error(), "not valid JSON") {
			t.Errorf("error %q does not say the file is not valid JSON", err)
		}
	})
}

const iniCredentials = `[default]
type = access_key
access_key_id = ` + testKeyID + `
access_key_secret = ` + testSecret + `

[other]
type = access_key
access_key_id = ` + testKeyID2 + `
access_key_secret = ` + testSecret2 + `

[broken]
type = access_key
access_key_id = ` + testKeyID2 + `
`

func TestCredentialINIFile(t *testing.T) {
	setup := func(t *testing.T, viaEnv bool) {
		home := isolateCredentialEnv(t)
		path := filepath.Join(home, ".alibabacloud", "credentials")
		if viaEnv {
			path = filepath.Join(t.TempDir(), "creds.ini")
			t.Setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", path)
		} else {
			unsetenv(t, "ALIBABA_CLOUD_CREDENTIALS_FILE")
		}
		writeFile(t, path, iniCredentials)
	}
	t.Run("default section", func(t *testing.T) {
		setup(t, false)
		src := mustResolve(t, credentialOptions{})
		if got, want := src.Source(), "default credential chain (credentials-go): profile/static_ak"; got != want {
			t.Errorf("Source() = %q, want %q", got, want)
		}
		wantCredential(t, mustCredential(t, src), testKeyID, testSecret, "")
	})
	t.Run("profile option", func(t *testing.T) {
		setup(t, true)
		src := mustResolve(t, credentialOptions{Profile: "other"})
		if got, want := src.Source(), `profile "other" (credentials-go): profile/static_ak`; got != want {
			t.Errorf("Source() = %q, want %q", got, want)
		}
		wantCredential(t, mustCredential(t, src), testKeyID2, testSecret2, "")
	})
	t.Run("CLI profile wins over INI for the same name", func(t *testing.T) {
		setup(t, true)
		unsetenv(t, "ALIBABA_CLOUD_CLI_PROFILE_DISABLED")
		writeFile(t, os.Getenv("ALIBABA_CLOUD_CONFIG_FILE"), strings.Replace(cliConfig, `"name": "sts"`, `"name": "other"`, 1))
		src := mustResolve(t, credentialOptions{Profile: "other"})
		wantCredential(t, mustCredential(t, src), testKeyID2, testSecret2, testToken2)
	})
	t.Run("incomplete section", func(t *testing.T) {
		setup(t, true)
		_, err := resolveCredentials(credentialOptions{Profile: "broken"}, os.LookupEnv)
		if err == nil || !strings.Contains(err.Error(), `check profile "broken"`) {
			t.Fatalf("err = %v", err)
		}
		assertNoSecrets(t, "error", err.Error())
	})
}

func TestCredentialURI(t *testing.T) {
	isolateCredentialEnv(t)
	sim := alidnstest.NewServer(alidnstest.WithoutDNS(), alidnstest.WithDefaultCredentials(false))
	defer sim.Close()
	t.Setenv("ALIBABA_CLOUD_CREDENTIALS_URI", sim.URL+"/credentials-uri?auth=uri-query-secret")

	src := mustResolve(t, credentialOptions{})
	if got, want := src.Source(), "default credential chain (credentials-go): credential_uri"; got != want {
		t.Errorf("Source() = %q, want %q", got, want)
	}

	// What resolve fetched (so that a missing source fails at provision)
	// serves the first calls: with the endpoint answering only broken
	// credentials now, the caller still gets a good one, twice the same.
	sim.BreakCredentialEndpoints(true)
	c1 := mustCredential(t, src)
	c2 := mustCredential(t, src)
	sim.BreakCredentialEndpoints(false)
	if !strings.HasPrefix(c1.AccessKeyID, "STS.") || c1.SecurityToken == "" || c2 != c1 {
		t.Errorf("got %v then %v, want the credential fetched at resolve twice", c1, c2)
	}

	// Invalidate forces a refetch.
	src.Invalidate()
	c3 := mustCredential(t, src)
	if c3.AccessKeyID == c1.AccessKeyID {
		t.Errorf("after Invalidate got %v, want a fresh credential", c3)
	}
	if c := mustCredential(t, src); c != c3 {
		t.Errorf("got %v, want the cached second credential", c)
	}

	// Credentials within three minutes of their expiration are refreshed
	// before use.
	sim.SetSTSTTL(100 * time.Second)
	src.Invalidate()
	c4 := mustCredential(t, src) // expires in 100 s
	c5 := mustCredential(t, src) // refreshed
	if c4.AccessKeyID == c3.AccessKeyID || c5.AccessKeyID == c4.AccessKeyID {
		t.Errorf("got %v then %v, want a refresh of the near-expiry credential", c4, c5)
	}

	// Concurrent use is safe, and callers waiting while one fetches all
	// get that one fresh credential.
	sim.SetSTSTTL(time.Hour)
	src.Invalidate()
	var wg sync.WaitGroup
	got := make([]api.Credential, 16)
	for i := range got {
		wg.Go(func() {
			c, err := src.Credential(context.Background())
			if err != nil {
				t.Error(err)
			}
			got[i] = c
		})
	}
	wg.Wait()
	for _, c := range got {
		if c != got[0] || c.AccessKeyID == c5.AccessKeyID {
			t.Fatalf("concurrent callers got %v and %v (before: %v), want one fresh credential", got[0], c, c5.AccessKeyID)
		}
	}

	// A broken answer (a secret without token or expiration) is an error
	// that quotes neither that secret nor the URI's query string.
	sim.BreakCredentialEndpoints(true)
	src.Invalidate()
	_, err := src.Credential(context.Background())
	if err == nil {
		t.Fatal("want an error for an incomplete answer")
	}
	if strings.Contains(err.Error(), "sim-sts-secret-") || strings.Contains(err.Error(), "uri-query-secret") {
		t.Errorf("error %q quotes the secret or the URI query", err)
	}
	// ... and a later good answer recovers.
	sim.BreakCredentialEndpoints(false)
	if c := mustCredential(t, src); !strings.HasPrefix(c.AccessKeyID, "STS.") || c.SecurityToken == "" {
		t.Errorf("got %v", c)
	}

	// A canceled context is reported.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Credential(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestCredentialURIUnreachableAtResolve(t *testing.T) {
	isolateCredentialEnv(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	t.Setenv("ALIBABA_CLOUD_CREDENTIALS_URI", url+"/credentials")
	_, err := resolveCredentials(credentialOptions{}, os.LookupEnv)
	if err == nil || !strings.Contains(err.Error(), "ALIBABA_CLOUD_CREDENTIALS_URI") {
		t.Fatalf("err = %v, want a provision-time error", err)
	}
}

func TestCredentialSanitize(t *testing.T) {
	in := errors.New(`refresh credentials from GET http://127.0.0.1:1/c?token=abc failed: {"AccessKeyId":"id","AccessKeySecret":"` + testSecret + `","SecurityToken":"` + testToken + `"}, ` +
		`x: sts_token = ` + testToken2 + ` access_key_secret=` + testSecret2)
	out := sanitizeCredentialError(in).Error()
	assertNoSecrets(t, "sanitized error", out)
	if strings.Contains(out, "token=abc") || !strings.Contains(out, `"AccessKeyId":"id"`) {
		t.Errorf("sanitized error = %q", out)
	}
}

// The ECS metadata service and STS are reached at fixed non-loopback
// addresses (100.100.100.200, sts.aliyuncs.com) by credentials-go. Its
// HTTP client clones http.DefaultTransport, whose Proxy is
// http.ProxyFromEnvironment, so a test can divert those requests to a
// loopback server acting as an HTTP proxy. ProxyFromEnvironment reads the
// environment once per process, though, so such tests re-run themselves
// in a child process whose environment sets the proxy from the start. The
// child checks that the proxy is in effect before anything is fetched,
// so nothing can reach the real addresses.

// proxyChildEnv is set in the child process to the proxy URL.
const proxyChildEnv = "ALIDNS_TEST_CREDENTIALS_PROXY"

// runProxiedChild runs test name of this test binary in a child process
// whose HTTP_PROXY and HTTPS_PROXY are proxyURL, with extra variables
// added, and returns its combined output.
func runProxiedChild(t *testing.T, name, proxyURL string, extra ...string) string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch u := strings.ToUpper(k); {
		case strings.HasSuffix(u, "_PROXY"), u == "REQUEST_METHOD", u == "SSL_CERT_FILE", u == "SSL_CERT_DIR",
			strings.HasPrefix(u, "ALICLOUD_"), strings.HasPrefix(u, "ALIBABA_CLOUD_"), strings.HasPrefix(u, "ALIBABACLOUD_"):
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HTTP_PROXY="+proxyURL, "HTTPS_PROXY="+proxyURL, proxyChildEnv+"="+proxyURL)
	env = append(env, extra...)
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.v", "-test.count=1", "-test.timeout=60s")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child process: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: "+name) {
		t.Fatalf("child process did not run %s:\n%s", name, out)
	}
	return string(out)
}

// requireProxy fails the (child) test unless requests to target go through
// the loopback proxy given in the environment.
func requireProxy(t *testing.T, target string) {
	t.Helper()
	want := os.Getenv(proxyChildEnv)
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := http.ProxyFromEnvironment(req)
	if err != nil || u == nil || "http://"+u.Host != want {
		t.Fatalf("requests to %s would not go through the test proxy %s (got %v, %v); refusing to continue", target, want, u, err)
	}
}

// TestCredentialECSRAMRole resolves an ECS RAM role from the simulator's
// metadata endpoints (reached as 100.100.100.200 through metadataRoute =
// the simulator, in a child process) and calls the simulator with it.
func TestCredentialECSRAMRole(t *testing.T) {
	if os.Getenv(proxyChildEnv) != "" {
		ecsRAMRoleChild(t)
		return
	}
	sim := alidnstest.NewServer(alidnstest.WithoutDNS(), alidnstest.WithDefaultCredentials(false), alidnstest.WithIMDSRole(testRoleName))
	defer sim.Close()
	out := runProxiedChild(t, "TestCredentialECSRAMRole", sim.URL, simURLEnv+"="+sim.URL)
	assertNoSecrets(t, "child output", out)

	// Every credential request went to the metadata service, which this
	// test reaches only through metadataRoute; which paths credentials-go
	// asks, and how often, is its business.
	seen := sim.CredentialRequests()
	if len(seen) == 0 {
		t.Error("the metadata service was never asked")
	}
	for _, r := range seen {
		if !strings.Contains(r, " 100.100.100.200 ") {
			t.Errorf("a credential request not for the metadata service: %s", r)
		}
	}
	// The child signed one call with the ram_role credential and one with
	// the default chain's.
	calls := lastCalls(sim, "DescribeDomains", 10)
	if len(calls) != 2 {
		t.Fatalf("simulator saw %d DescribeDomains calls, want 2: %+v", len(calls), calls)
	}
	for _, c := range calls {
		if c.Code != "" || !strings.HasPrefix(c.AccessKeyID, "STS.") {
			t.Errorf("call %+v, want success with an STS key", c)
		}
	}
}

func ecsRAMRoleChild(t *testing.T) {
	routeMetadataTo(t, os.Getenv(proxyChildEnv))
	setup := func(t *testing.T) {
		isolateCredentialEnv(t)
		unsetenv(t, "ALIBABA_CLOUD_ECS_METADATA_DISABLED")
	}
	t.Run("ram_role", func(t *testing.T) {
		setup(t)
		src := mustResolve(t, credentialOptions{RAMRole: testRoleName})
		if got, want := src.Source(), "ECS RAM role "+testRoleName; got != want {
			t.Errorf("Source() = %q, want %q", got, want)
		}
		c1 := mustCredential(t, src)
		if !strings.HasPrefix(c1.AccessKeyID, "STS.") || c1.SecurityToken == "" {
			t.Errorf("got %v, want STS credentials from the metadata service", c1)
		}
		if c := mustCredential(t, src); c.AccessKeyID != c1.AccessKeyID {
			t.Errorf("got %v, want the cached %v", c, c1)
		}
		describeDomains(t, os.Getenv(simURLEnv), src, nil)
		src.Invalidate()
		if c := mustCredential(t, src); c.AccessKeyID == c1.AccessKeyID {
			t.Errorf("after Invalidate got the old credential %v", c)
		}
	})
	t.Run("ALICLOUD_RAM_ROLE", func(t *testing.T) {
		setup(t)
		t.Setenv("ALICLOUD_RAM_ROLE", testRoleName)
		src := mustResolve(t, credentialOptions{})
		if got, want := src.Source(), "ECS RAM role "+testRoleName; got != want {
			t.Errorf("Source() = %q, want %q", got, want)
		}
	})
	t.Run("default chain discovers the role", func(t *testing.T) {
		setup(t)
		src := mustResolve(t, credentialOptions{})
		if got, want := src.Source(), "default credential chain (credentials-go): ecs_ram_role"; got != want {
			t.Errorf("Source() = %q, want %q", got, want)
		}
		describeDomains(t, os.Getenv(simURLEnv), src, nil)
		c1 := mustCredential(t, src)
		src.Invalidate()
		if c := mustCredential(t, src); c.AccessKeyID == c1.AccessKeyID || !strings.HasPrefix(c.AccessKeyID, "STS.") {
			t.Errorf("after Invalidate got %v, want a fresh credential", c)
		}
	})
	t.Run("unknown role", func(t *testing.T) {
		setup(t)
		_, err := resolveCredentials(credentialOptions{RAMRole: "missing-role"}, os.LookupEnv)
		if err == nil || !strings.Contains(err.Error(), `with RAM role "missing-role" attached`) || !strings.Contains(err.Error(), "404") {
			t.Fatalf("err = %v", err)
		}
		t.Logf("error: %v", err)
	})
}

// testOIDC is the RRSA trust of TestCredentialOIDC.
var testOIDC = alidnstest.OIDCTrust{
	RoleArn:     "acs:ram::1234:role/caddy-dns",
	ProviderArn: "acs:ram::1234:oidc-provider/ack-rrsa",
	Token:       "oidc-jwt-VALUE-1",
}

// connectProxy is an HTTP proxy that tunnels every CONNECT to backend and
// records the requested authorities.
type connectProxy struct {
	backend string
	mu      sync.Mutex
	seen    []string
}

func (p *connectProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.seen = append(p.seen, r.Method+" "+r.Host)
	p.mu.Unlock()
	if r.Method != http.MethodConnect {
		http.Error(w, "only CONNECT", http.StatusMethodNotAllowed)
		return
	}
	back, err := net.Dial("tcp", p.backend)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer back.Close()
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	_, _ = conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(back, brw)
		close(done)
	}()
	_, _ = io.Copy(conn, back)
	<-done
}

// TestCredentialOIDC tests RRSA: credentials-go calls STS
// AssumeRoleWithOIDC at https://sts.aliyuncs.com. The child process
// reaches it through a loopback CONNECT proxy that tunnels to a local TLS
// server whose self-signed certificate for sts.aliyuncs.com is the only
// root the child trusts (SSL_CERT_FILE). The child then calls the
// simulator with the credentials.
func TestCredentialOIDC(t *testing.T) {
	if os.Getenv(proxyChildEnv) != "" {
		oidcChild(t)
		return
	}
	sim := alidnstest.NewUnstartedServer(alidnstest.WithoutDNS(), alidnstest.WithDefaultCredentials(false), alidnstest.WithOIDC(testOIDC))
	if err := sim.StartTLS(); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	cp := &connectProxy{backend: strings.TrimPrefix(sim.URL, "https://")}
	proxy := httptest.NewServer(cp)
	defer proxy.Close()

	dir := t.TempDir()
	certFile := filepath.Join(dir, "roots.pem")
	writeFile(t, certFile, string(sim.CertificatePEM()))
	tokenFile := filepath.Join(dir, "token")
	writeFile(t, tokenFile, testOIDC.Token)
	out := runProxiedChild(t, "TestCredentialOIDC", proxy.URL,
		"SSL_CERT_FILE="+certFile, "SSL_CERT_DIR="+dir,
		"ALIDNS_TEST_OIDC_TOKEN_FILE="+tokenFile, simURLEnv+"="+sim.URL)
	assertNoSecrets(t, "child output", out)
	if strings.Contains(out, testOIDC.Token) {
		t.Error("child output contains the OIDC token")
	}
	cp.mu.Lock()
	seen := cp.seen
	cp.mu.Unlock()
	if len(seen) == 0 {
		t.Error("the proxy saw no request")
	}
	for _, s := range seen {
		if s != "CONNECT sts.aliyuncs.com:443" {
			t.Errorf("proxy saw %q, want only CONNECT sts.aliyuncs.com:443", s)
		}
	}
	calls := lastCalls(sim, "DescribeDomains", 10)
	if len(calls) != 2 || calls[0].Code != "" || calls[1].Code != "" || calls[0].AccessKeyID == calls[1].AccessKeyID {
		t.Errorf("want two successful DescribeDomains calls with different STS keys, got %+v", calls)
	}
}

func oidcChild(t *testing.T) {
	requireProxy(t, "https://sts.aliyuncs.com/")
	isolateCredentialEnv(t)
	t.Setenv("ALIBABA_CLOUD_ROLE_ARN", testOIDC.RoleArn)
	t.Setenv("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", testOIDC.ProviderArn)
	t.Setenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE", os.Getenv("ALIDNS_TEST_OIDC_TOKEN_FILE"))
	src := mustResolve(t, credentialOptions{})
	if got, want := src.Source(), "default credential chain (credentials-go): oidc_role_arn"; got != want {
		t.Errorf("Source() = %q, want %q", got, want)
	}
	c1 := mustCredential(t, src)
	if !strings.HasPrefix(c1.AccessKeyID, "STS.") || c1.SecurityToken == "" {
		t.Errorf("got %v, want STS credentials", c1)
	}
	if c := mustCredential(t, src); c.AccessKeyID != c1.AccessKeyID {
		t.Errorf("got %v, want the cached credential", c)
	}
	describeDomains(t, os.Getenv(simURLEnv), src, nil)
	src.Invalidate()
	if c := mustCredential(t, src); c.AccessKeyID == c1.AccessKeyID {
		t.Errorf("after Invalidate got %v, want a fresh credential", c)
	}
	describeDomains(t, os.Getenv(simURLEnv), src, nil)
}

// simClock is an adjustable clock for the simulator and the API client.
type simClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *simClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// describeDomains makes one signed API call to endpoint with src.
func describeDomains(t *testing.T, endpoint string, src api.CredentialProvider, now func() time.Time) {
	t.Helper()
	c := &api.Client{Endpoint: endpoint, Credentials: src, Now: now}
	var out struct {
		TotalCount int64
	}
	if err := c.Do(context.Background(), "DescribeDomains", nil, &out); err != nil {
		assertNoSecrets(t, "API error", err.Error())
		t.Fatalf("DescribeDomains: %v", err)
	}
}

// lastCalls returns the simulator's last n calls of action.
func lastCalls(sim *alidnstest.Server, action string, n int) []alidnstest.Call {
	var calls []alidnstest.Call
	for _, c := range sim.Calls() {
		if c.Action == action {
			calls = append(calls, c)
		}
	}
	if len(calls) > n {
		calls = calls[len(calls)-n:]
	}
	return calls
}

// TestCredentialSignedRequests checks that requests signed with the
// credential of each source are accepted by the Alidns simulator, and
// that expired or revoked temporary credentials are replaced.
func TestCredentialSignedRequests(t *testing.T) {
	clock := &simClock{}
	sim := alidnstest.NewServer(alidnstest.WithoutDNS(), alidnstest.WithClock(clock.Now), alidnstest.WithDefaultCredentials(false))
	defer sim.Close()
	sim.AddAccessKey(testKeyID, testSecret)
	sim.AddAccessKey(testKeyID2, testSecret2)
	sts := sim.IssueSTS(time.Hour)

	static := []struct {
		name  string
		opts  credentialOptions
		env   map[string]string
		files map[string]string // relative to HOME
	}{
		{name: "config", opts: credentialOptions{AccessKeyID: testKeyID, AccessKeySecret: testSecret}},
		{name: "config STS", opts: credentialOptions{AccessKeyID: sts.AccessKeyID, AccessKeySecret: sts.AccessKeySecret, SecurityToken: sts.SecurityToken}},
		{name: "ALICLOUD env", env: map[string]string{"ALICLOUD_ACCESS_KEY": testKeyID, "ALICLOUD_SECRET_KEY": testSecret}},
		{name: "ALICLOUD env STS", env: map[string]string{"ALICLOUD_ACCESS_KEY": sts.AccessKeyID, "ALICLOUD_SECRET_KEY": sts.AccessKeySecret, "ALICLOUD_SECURITY_TOKEN": sts.SecurityToken}},
		{name: "ALIBABA_CLOUD env", env: map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": testKeyID2, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": testSecret2}},
		{name: "CLI profile AK", env: map[string]string{"ALIBABA_CLOUD_CLI_PROFILE_DISABLED": ""}, files: map[string]string{".aliyun/config.json": cliConfig}},
		{name: "CLI profile StsToken", opts: credentialOptions{Profile: "sim-sts"}, env: map[string]string{"ALIBABA_CLOUD_CLI_PROFILE_DISABLED": ""},
			files: map[string]string{".aliyun/config.json": `{"current": "x", "profiles": [{"name": "sim-sts", "mode": "StsToken", "access_key_id": "` +
				sts.AccessKeyID + `", "access_key_secret": "` + sts.AccessKeySecret + `", "sts_token": "` + sts.SecurityToken + `"}]}`}},
		{name: "INI credentials file", files: map[string]string{".alibabacloud/credentials": iniCredentials}},
		{name: "INI profile option", opts: credentialOptions{Profile: "other"}, files: map[string]string{".alibabacloud/credentials": iniCredentials}},
	}
	for _, tt := range static {
		t.Run(tt.name, func(t *testing.T) {
			home := isolateCredentialEnv(t)
			unsetenv(t, "ALIBABA_CLOUD_CONFIG_FILE")
			unsetenv(t, "ALIBABA_CLOUD_CREDENTIALS_FILE")
			for k, v := range tt.env {
				if v == "" {
					unsetenv(t, k)
				} else {
					t.Setenv(k, v)
				}
			}
			for name, content := range tt.files {
				writeFile(t, filepath.Join(home, name), content)
			}
			src := mustResolve(t, tt.opts)
			describeDomains(t, sim.URL, src, clock.Now)
			t.Logf("accepted: %s", src.Source())
		})
	}

	t.Run("credentials URI", func(t *testing.T) {
		isolateCredentialEnv(t)
		t.Setenv("ALIBABA_CLOUD_CREDENTIALS_URI", sim.URL+"/credentials-uri")
		src := mustResolve(t, credentialOptions{})
		describeDomains(t, sim.URL, src, clock.Now)
		first := lastCalls(sim, "DescribeDomains", 1)[0]
		if first.Code != "" || !strings.HasPrefix(first.AccessKeyID, "STS.") {
			t.Fatalf("first call: %+v", first)
		}

		// The simulator's clock moves past the expiration: the token is
		// refused as expired, the client invalidates, and the retry uses
		// a fresh credential from the URI.
		clock.Advance(2 * time.Hour)
		describeDomains(t, sim.URL, src, clock.Now)
		calls := lastCalls(sim, "DescribeDomains", 2)
		if calls[0].Code != "InvalidSecurityToken.Expired" || calls[0].AccessKeyID != first.AccessKeyID ||
			calls[1].Code != "" || calls[1].AccessKeyID == first.AccessKeyID {
			t.Errorf("want an expired call then a successful one with a new key, got %+v", calls)
		}

		// A revoked temporary key is replaced the same way.
		sim.RevokeAccessKey(calls[1].AccessKeyID)
		describeDomains(t, sim.URL, src, clock.Now)
		calls = lastCalls(sim, "DescribeDomains", 2)
		if calls[0].Code != "InvalidAccessKeyId.NotFound" || calls[1].Code != "" || calls[1].AccessKeyID == calls[0].AccessKeyID {
			t.Errorf("want a refused call then a successful one with a new key, got %+v", calls)
		}

		// Credentials issued with less than three minutes to live are
		// refreshed before each use. (credentials-go compares their
		// Expiration with the local clock, so undo the skew first.)
		clock.Advance(-2 * time.Hour)
		sim.SetSTSTTL(100 * time.Second)
		src.Invalidate()
		describeDomains(t, sim.URL, src, clock.Now)
		describeDomains(t, sim.URL, src, clock.Now)
		calls = lastCalls(sim, "DescribeDomains", 2)
		if calls[0].Code != "" || calls[1].Code != "" || calls[0].AccessKeyID == calls[1].AccessKeyID {
			t.Errorf("want two successful calls with different keys, got %+v", calls)
		}
		sim.SetSTSTTL(time.Hour)
	})
}

// simURLEnv passes the simulator URL to a child process.
const simURLEnv = "ALIDNS_TEST_SIM_URL"
