package alidns

import (
	"errors"
	"strings"
	"testing"
)

// The missing-credentials error leads with the likely cause for how
// Caddy was started, names the fix, stays short, and points to the README
// for the other sources.
func TestNoCredentialsErrorLeadsWithLikelyCause(t *testing.T) {
	chainErr := errors.New("unable to get credentials from any of the providers in the chain: " + strings.Repeat("x provider failed; ", 60))
	for _, tc := range []struct {
		name  string
		start startContext
		want  []string
	}{
		{"shell", startContext{}, []string{"caddy run --envfile alidns.env", "Caddy reads no .env file by itself", "ALICLOUD_ACCESS_KEY and ALICLOUD_SECRET_KEY"}},
		{"envfile given", startContext{envfile: true, systemd: true}, []string{"the file given to --envfile sets neither", "check the variable names"}},
		{"systemd", startContext{systemd: true}, []string{"systemd service", "EnvironmentFile=", "systemctl edit caddy", "restart"}},
		{"kubernetes", startContext{kubernetes: true, container: true}, []string{"Kubernetes", "secretRef", "RRSA"}},
		{"credentials URI", startContext{configured: "ALIBABA_CLOUD_CREDENTIALS_URI", systemd: true}, []string{"ALIBABA_CLOUD_CREDENTIALS_URI is set up but gave no credentials", "x provider failed"}},
		{"container", startContext{container: true}, []string{"container", "--env-file alidns.env", "env_file:"}},
		{"rrsa", startContext{configured: "RRSA (ALIBABA_CLOUD_ROLE_ARN / ALIBABA_CLOUD_OIDC_TOKEN_FILE)", kubernetes: true}, []string{"RRSA is configured", "trust policy", "x provider failed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := noCredentialsError(chainErr, tc.start).Error()
			t.Logf("%d bytes: %s", len(msg), msg)
			if !strings.HasPrefix(msg, "no Alibaba Cloud credentials found: ") {
				t.Errorf("does not lead with the problem: %s", msg)
			}
			for _, w := range append(tc.want, readmeCredentials) {
				if !strings.Contains(msg, w) {
					t.Errorf("lacks %q", w)
				}
			}
			if len(msg) > 900 {
				t.Errorf("%d bytes, want a short message", len(msg))
			}
			assertNoSecrets(t, "error", msg)
		})
	}
}

func TestCurrentStart(t *testing.T) {
	isolateCredentialEnv(t)
	env := map[string]string{"INVOCATION_ID": "abc", "KUBERNETES_SERVICE_HOST": "10.0.0.1"}
	s := currentStart(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if !s.systemd || !s.kubernetes || s.configured != "" {
		t.Fatalf("%+v", s)
	}
}
