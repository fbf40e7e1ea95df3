package alidns

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// readmeCredentials is where every credential source is described; the
// missing-credentials error points there instead of listing them all.
const readmeCredentials = "https://github.com/caddy-alidns/alidns#credentials"

// startContext is what can be told about how the process was started,
// which decides the most likely reason it has no credentials.
type startContext struct {
	envfile    bool // caddy was given --envfile
	systemd    bool // started by systemd (INVOCATION_ID / JOURNAL_STREAM)
	kubernetes bool // in a Kubernetes pod (KUBERNETES_SERVICE_HOST)
	container  bool // in a container (/.dockerenv, /run/.containerenv)
	// configured names a source of the credentials-go chain that is set
	// up (RRSA variables, a credentials URI, a profile or credentials
	// file), so its failure is the cause; "" when none is.
	configured string
}

// currentStart inspects this process.
func currentStart(lookupEnv func(string) (string, bool)) startContext {
	get := func(name string) string { v, _ := lookupEnv(name); return strings.TrimSpace(v) }
	has := func(name string) bool { return get(name) != "" }
	exists := func(path string) bool { _, err := os.Stat(path); return path != "" && err == nil }
	home, _ := os.UserHomeDir()
	configured := ""
	switch {
	case has("ALIBABA_CLOUD_ROLE_ARN") || has("ALIBABA_CLOUD_OIDC_TOKEN_FILE"):
		configured = "RRSA (ALIBABA_CLOUD_ROLE_ARN / ALIBABA_CLOUD_OIDC_TOKEN_FILE)"
	case has("ALIBABA_CLOUD_CREDENTIALS_URI"):
		configured = "ALIBABA_CLOUD_CREDENTIALS_URI"
	case !strings.EqualFold(get("ALIBABA_CLOUD_CLI_PROFILE_DISABLED"), "true") && exists(orDefault(get("ALIBABA_CLOUD_CONFIG_FILE"), filepath.Join(home, ".aliyun", "config.json"))):
		configured = "the aliyun CLI configuration (~/.aliyun/config.json)"
	case exists(orDefault(get("ALIBABA_CLOUD_CREDENTIALS_FILE"), filepath.Join(home, ".alibabacloud", "credentials"))):
		configured = "the credentials file (~/.alibabacloud/credentials)"
	case has("ALIBABA_CLOUD_PROFILE"):
		configured = "ALIBABA_CLOUD_PROFILE"
	}
	return startContext{
		configured: configured,
		envfile: slices.ContainsFunc(os.Args[1:], func(a string) bool {
			return a == "--envfile" || a == "-envfile" || strings.HasPrefix(a, "--envfile=") || strings.HasPrefix(a, "-envfile=")
		}),
		systemd:    has("INVOCATION_ID") || has("JOURNAL_STREAM"),
		kubernetes: has("KUBERNETES_SERVICE_HOST"),
		container:  exists("/.dockerenv") || exists("/run/.containerenv"),
	}
}

// likelyCause is the fix of the usual mistake for the way Caddy was
// started, and why it is likely, which the missing-credentials error
// begins with.
func (s startContext) likelyCause() (fix, why string) {
	const vars = envAliCloudAccessKey + " and " + envAliCloudSecretKey
	switch {
	case strings.HasPrefix(s.configured, "RRSA"):
		return "check the pod's ServiceAccount annotation, the OIDC token file and the role's trust policy", "RRSA is configured (ALIBABA_CLOUD_ROLE_ARN / ALIBABA_CLOUD_OIDC_TOKEN_FILE) but gave no credentials"
	case s.configured != "":
		return "check " + s.configured, "it is set up but gave no credentials"
	case s.envfile:
		return "check the variable names in the --envfile file", "it sets no " + envAliCloudAccessKey + "/" + envAliCloudSecretKey + " (nor ALIBABA_CLOUD_ACCESS_KEY_*)"
	case s.systemd:
		return "add EnvironmentFile=/etc/caddy/alidns.env to the unit (systemctl edit caddy), then restart", "a service does not see your shell's environment"
	case s.kubernetes:
		return "set " + vars + " from a Secret (envFrom: secretRef), or set up RRSA", "the pod has none"
	case s.container:
		return "pass " + vars + " to the container (docker run --env-file, or env_file: in compose)", "it has none"
	default:
		return "start Caddy with `caddy run --envfile alidns.env`, or export " + vars, "Caddy reads no .env file by itself"
	}
}

// envSourceFailure is credentials-go's message for its first source (the
// ALIBABA_CLOUD_ACCESS_KEY_* variables), noise when another one was meant.
var envSourceFailure = regexp.MustCompile(`unable to get credentials from enviro?n?ment variables, [^,]*\([A-Z_]+\),? ?`)

// noCredentialsError is the error when no source yields credentials: the
// fix of the likely cause first, then where the other sources are
// described. The chain's own error is kept only when a configured source
// failed (it then says why); otherwise it is a long list of every source
// credentials-go tried.
func noCredentialsError(chainErr error, s startContext) error {
	fix, why := s.likelyCause()
	msg := fix + ": no Alibaba Cloud credentials found (" + why
	if s.configured != "" && chainErr != nil {
		// Drop what credentials-go says about every source before the
		// configured one: only the configured source's failure matters.
		detail := chainErr.Error()
		detail = strings.TrimPrefix(detail, "unable to get credentials from any of the providers in the chain: ")
		detail = envSourceFailure.ReplaceAllString(detail, "")
		if len(detail) > 400 {
			detail = detail[:400] + "…"
		}
		msg += ": " + detail
	}
	msg += "; other sources: " + readmeCredentials + ")"
	return errors.New(msg)
}

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
