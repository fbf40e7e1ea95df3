package alidns

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// runCaddy runs `caddy args...` as a real process (the test binary
// re-executed as caddy, see TestMain) and returns its output and exit
// status.
func runCaddy(t *testing.T, env []string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(append(os.Environ(), commandChildEnv+"="+strings.Join(args, "\x1f")), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		status = exit.ExitCode()
	default:
		t.Fatal(err)
	}
	assertNoCommandSecrets(t, out.String()+errOut.String())
	return out.String(), errOut.String(), status
}

// The exit statuses the README documents, from real processes: 0 when
// every check passed (warnings allowed), 1 when a check failed or the
// command could not run. The subcommands are registered as Caddy's own
// (caddycmd.WrapCommandFuncForCobra, caddy.ExitCode*): an error goes
// through Caddy's logger, not cobra's "Error:" line.
func TestCommandExitStatus(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	s.AllowActions(modKeyID, "AddDomainRecord", "DeleteDomainRecord")
	creds := []string{"ALICLOUD_ACCESS_KEY=" + modKeyID, "ALICLOUD_SECRET_KEY=" + modKeySecret}
	for _, tc := range []struct {
		name       string
		args       []string
		status     int
		stdout     []string
		stderr     []string
		noStdErrOf string
	}{
		{name: "passed with warnings", args: []string{"alidns", "check", "www.example.com", "--endpoint", s.URL}, status: 0,
			stdout: []string{"! zones", "✓ delete TXT", "All checks passed (2 warning(s))"}},
		{name: "check failed", args: []string{"alidns", "check", "www.example.org", "--endpoint", s.URL}, status: 1,
			stdout: []string{"✗ create TXT", "check(s) failed"}, stderr: []string{"the AliDNS check failed"}},
		{name: "no domain", args: []string{"alidns", "check"}, status: 1,
			stderr: []string{"give the domain to check, or --config"}},
		{name: "bad flag", args: []string{"alidns", "check", "www.example.com", "--no-such-flag"}, status: 1,
			stderr: []string{"unknown flag: --no-such-flag"}},
		{name: "unknown subcommand", args: []string{"alidns", "chek"}, status: 1,
			stderr: []string{`unknown subcommand \"chek\"`}},
		{name: "zones denied", args: []string{"alidns", "zones", "--endpoint", s.URL}, status: 1,
			stdout: []string{"✗ zones", "alidns:DescribeDomains"}, stderr: []string{"the AliDNS check failed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, status := runCaddy(t, creds, tc.args...)
			if status != tc.status {
				t.Errorf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", status, tc.status, stdout, stderr)
			}
			wantLines(t, stdout, tc.stdout...)
			wantLines(t, stderr, tc.stderr...)
			if tc.status != 0 && strings.Contains(stderr, "Error: the AliDNS") {
				t.Errorf("cobra printed the error too:\n%s", stderr)
			}
		})
	}
}
