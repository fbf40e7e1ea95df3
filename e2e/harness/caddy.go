package harness

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// CaddyEnv is the environment every caddy the harness starts gets: a
// private HOME and XDG directories under home (so no ~/.aliyun or
// ~/.alibabacloud of the machine is read), the ECS metadata service and
// the aliyun CLI profile disabled (nothing probes 100.100.100.200), plus
// extra ("KEY=value"). Nothing else is inherited from the harness.
func CaddyEnv(home string, extra map[string]string) []string {
	env := map[string]string{
		"PATH":                                os.Getenv("PATH"),
		"HOME":                                home,
		"XDG_DATA_HOME":                       filepath.Join(home, ".local", "share"),
		"XDG_CONFIG_HOME":                     filepath.Join(home, ".config"),
		"TMPDIR":                              os.TempDir(),
		"ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
		"ALIBABA_CLOUD_CLI_PROFILE_DISABLED":  "true",
	}
	for k, v := range extra {
		env[k] = v
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k+"="+env[k])
	}
	return out
}

// CaddyOptions configure StartCaddy.
type CaddyOptions struct {
	Name    string // for messages (default "caddy")
	Config  string // --config
	Adapter string // --adapter (default: by file name)
	EnvFile string // --envfile
	// Dir is the working directory and HOME; the log goes to
	// Dir/<Name>.log.
	Dir string
	Env map[string]string
	// Echo, if set, receives Caddy's output too.
	Echo io.Writer
}

// StartCaddy starts `caddy run` with the plugin.
func StartCaddy(cl Cleaner, tools *Tools, opts CaddyOptions) (*Proc, error) {
	name := or(opts.Name, "caddy")
	args := []string{"run", "--config", opts.Config}
	if opts.Adapter != "" {
		args = append(args, "--adapter", opts.Adapter)
	}
	if opts.EnvFile != "" {
		args = append(args, "--envfile", opts.EnvFile)
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, err
	}
	return StartProc(cl, ProcSpec{
		Name:    name,
		Path:    tools.Caddy,
		Args:    args,
		Env:     CaddyEnv(opts.Dir, opts.Env),
		Dir:     opts.Dir,
		LogFile: filepath.Join(opts.Dir, name+".log"),
		Echo:    opts.Echo,
	})
}

// CaddyCommand runs a caddy subcommand (validate, adapt, ...) to
// completion in dir with CaddyEnv(dir, env) and returns its combined
// output and how long it took.
func CaddyCommand(ctx context.Context, tools *Tools, dir string, env map[string]string, args ...string) (string, time.Duration, error) {
	cmd := exec.CommandContext(ctx, tools.Caddy, args...)
	cmd.Dir = dir
	cmd.Env = CaddyEnv(dir, env)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return out.String(), d, fmt.Errorf("caddy %s: %w", strings.Join(args, " "), err)
	}
	return out.String(), d, nil
}

// WriteEnvFile writes a file for caddy --envfile (KEY=value lines, in the
// given order).
func WriteEnvFile(path string, kv ...string) error {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, "%s=%s\n", kv[i], kv[i+1])
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// CaddyAdapt runs `caddy adapt --config config` and returns the JSON it
// prints on stdout and its log lines (stderr) separately.
func CaddyAdapt(ctx context.Context, tools *Tools, dir, config string) (jsonOut, logs string, err error) {
	cmd := exec.CommandContext(ctx, tools.Caddy, "adapt", "--config", config)
	cmd.Dir = dir
	cmd.Env = CaddyEnv(dir, nil)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), stderr.String(), fmt.Errorf("caddy adapt --config %s: %w\n%s", config, err, stderr.String())
	}
	return stdout.String(), stderr.String(), nil
}
