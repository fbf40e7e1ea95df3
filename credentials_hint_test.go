package alidns

import (
	"errors"
	"strings"
	"testing"
)

// The missing-credentials error leads with the fix of the likely cause
// for how Caddy was started (Caddy puts a long module path in front of
// it), stays short, and points to the README for the other sources.
func TestNoCredentialsErrorLeadsWithLikelyCause(t *testing.T) {
	chainErr := errors.New("unable to get credentials from any of the providers in the chain: " + strings.Repeat("x provider failed; ", 60))
	for _, tc := range []struct {
		name  string
		start startContext
		want  []string
	}{
		{"shell", startContext{}, []string{"start Caddy with `caddy run --envfile alidns.env`", "Caddy reads no .env file by itself", "ALICLOUD_ACCESS_KEY and ALICLOUD_SECRET_KEY"}},
		{"envfile given", startContext{envfile: true, systemd: true}, []string{"check the variable names in the --envfile file", "it sets no ALICLOUD_ACCESS_KEY/ALICLOUD_SECRET_KEY"}},
		{"systemd", startContext{systemd: true}, []string{"add EnvironmentFile=", "systemctl edit caddy", "restart", "a service does not see your shell"}},
		{"kubernetes", startContext{kubernetes: true, container: true}, []string{"from a Secret (envFrom: secretRef)", "RRSA", "the pod has none"}},
		{"credentials URI", startContext{configured: "ALIBABA_CLOUD_CREDENTIALS_URI", systemd: true}, []string{"check ALIBABA_CLOUD_CREDENTIALS_URI", "it is set up but gave no credentials", "x provider failed"}},
		{"container", startContext{container: true}, []string{"to the container", "docker run --env-file", "env_file:"}},
		{"rrsa", startContext{configured: "RRSA (ALIBABA_CLOUD_ROLE_ARN / ALIBABA_CLOUD_OIDC_TOKEN_FILE)", kubernetes: true}, []string{"RRSA is configured", "trust policy", "x provider failed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := noCredentialsError(chainErr, tc.start).Error()
			t.Logf("%d bytes: %s", len(msg), msg)
			leadsWithFix(t, msg)
			for _, w := range append(tc.want, "no Alibaba Cloud credentials found", readmeCredentials) {
				if !strings.Contains(msg, w) {
					t.Errorf("lacks %q", w)
				}
			}
			// The chain's own error (cut at 400 bytes) is quoted only when
			// a configured source failed.
			if limit := map[bool]int{false: 250, true: 750}[tc.start.configured != ""]; len(msg) > limit {
				t.Errorf("%d bytes, want at most %d", len(msg), limit)
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
