package alidns

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// The caddy alidns subcommand: "caddy alidns check <domain>" and
// "caddy alidns zones". The logic lives in runCheck and runZones, plain
// functions that the tests call directly against the simulator.

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "alidns",
		Usage: "check <domain> | zones  [--envfile <path>] [credential flags]",
		Short: "Checks the Alibaba Cloud DNS (AliDNS) setup of the dns.providers.alidns module",
		Long: `
Checks an AliDNS setup before Caddy needs it for a certificate.

  caddy alidns check <domain>
      resolves the credentials exactly as the dns.providers.alidns module
      does and says which source won (never printing a secret), finds the
      AliDNS zone that hosts _acme-challenge.<domain>, lists any TXT records
      already there, then creates and deletes a test TXT record there
      (unless --read-only). Each step is reported with the AliDNS error code,
      request id, the RAM action that was denied if any, and what to do.
      The exit status is non-zero if a step failed.

  caddy alidns zones
      lists the zones hosted in the account with their edition and minimum
      TTL.

Settings come from the same places as the module's: the flags below
(which correspond to the Caddyfile subdirectives) or else the environment
(ALICLOUD_ACCESS_KEY/ALICLOUD_SECRET_KEY, ALIBABA_CLOUD_ACCESS_KEY_ID/
ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALICLOUD_RAM_ROLE, the aliyun CLI
configuration, ...) and ALIDNS_ENDPOINT. --envfile loads KEY=VALUE lines
into the environment first, like caddy run --envfile, without overriding
variables already set. Flag values may be {env.NAME} or {file.PATH}
placeholders; prefer those (or the environment) to a secret on the command
line, which other users of the machine can see.
`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.AddCommand(newCheckCommand(), newZonesCommand())
			cmd.RunE = func(cmd *cobra.Command, args []string) error {
				if len(args) > 0 {
					return fmt.Errorf("unknown subcommand %q: use caddy alidns check <domain> or caddy alidns zones", args[0])
				}
				return cmd.Help()
			}
		},
	})
}

// commandOptions are the settings shared by the subcommands.
type commandOptions struct {
	// Provider holds the settings given on the command line; with none,
	// everything comes from the environment, as for the module. It is
	// provisioned by the command.
	Provider *Provider
	// Logger receives the provider's logs (API calls at debug level);
	// nil discards them.
	Logger *zap.Logger
}

// checkOptions are the settings of caddy alidns check.
type checkOptions struct {
	commandOptions
	// Domain is the name a certificate is wanted for ("*.example.com"
	// checks example.com, whose challenge name wildcards share).
	Domain string
	// ReadOnly skips creating and deleting the test record.
	ReadOnly bool
}

// errChecksFailed is returned when a check reported a failure; the
// report already says what went wrong.
var errChecksFailed = errors.New("the AliDNS check failed")

// commandFlags are the flags shared by the subcommands: one per option
// of settingsTable, and the command's own.
type commandFlags struct {
	envFiles []string
	text     map[string]*string        // by option key
	durs     map[string]*durationValue // by option key
	timeout  time.Duration
	debug    bool
}

func (f *commandFlags) register(fs *pflag.FlagSet) {
	fs.StringSliceVar(&f.envFiles, "envfile", nil, "environment file(s) of KEY=VALUE lines to load first (like caddy run --envfile)")
	f.text = make(map[string]*string)
	f.durs = make(map[string]*durationValue)
	for _, row := range settingsTable {
		if row.flag == "" {
			continue
		}
		usage := fmt.Sprintf("%s (Caddyfile: %s)", row.usage, row.key)
		if row.text != nil {
			f.text[row.key] = fs.String(row.flag, "", usage)
			continue
		}
		v := &durationValue{parse: row.parse}
		f.durs[row.key] = v
		fs.Var(v, row.flag, usage)
	}
	fs.DurationVar(&f.timeout, "timeout", 2*time.Minute, "time limit of the whole command")
	fs.BoolVar(&f.debug, "debug", false, "log every API call (action, zone, request id, duration) to stderr")
}

// durationValue is a flag read like the option's Caddyfile value.
type durationValue struct {
	d     time.Duration
	s     string
	parse func(string) (time.Duration, error)
}

func (v *durationValue) String() string { return v.s }
func (v *durationValue) Type() string   { return "duration" }
func (v *durationValue) Set(s string) error {
	d, err := v.parse(s)
	if err != nil {
		return fmt.Errorf("%q %w", s, err)
	}
	v.d, v.s = d, s
	return nil
}

// options loads the env files and builds the command options.
func (f *commandFlags) options(stderr io.Writer) (commandOptions, error) {
	for _, name := range f.envFiles {
		if err := loadEnvFile(name); err != nil {
			return commandOptions{}, err
		}
	}
	p := &Provider{}
	for key, v := range f.text {
		row, _ := settingByKey(key)
		*row.text(p) = *v
	}
	for key, v := range f.durs {
		row, _ := settingByKey(key)
		*row.dur(p) = caddy.Duration(v.d)
	}
	o := commandOptions{Provider: p}
	if f.debug {
		enc := zap.NewDevelopmentEncoderConfig()
		o.Logger = zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(enc), zapcore.AddSync(stderr), zap.DebugLevel)).Named("dns.providers.alidns")
	}
	return o, nil
}

func (f *commandFlags) context(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	if f.timeout > 0 {
		return context.WithTimeout(ctx, f.timeout)
	}
	return context.WithCancel(ctx)
}

func newCheckCommand() *cobra.Command {
	var f commandFlags
	var readOnly bool
	cmd := &cobra.Command{
		Use:   "check <domain>",
		Short: "Checks credentials, the hosted zone and record permissions for a domain",
		Long: `Resolves the credentials the way the dns.providers.alidns module does,
finds the AliDNS zone hosting _acme-challenge.<domain>, and creates and
deletes a test TXT record there (unless --read-only). Exits non-zero if
any step fails.`,
		Example: `  $ caddy alidns check www.example.com --envfile /etc/caddy/alidns.env
  $ caddy alidns check '*.example.com' --profile prod --read-only`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := f.options(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			ctx, cancel := f.context(cmd)
			defer cancel()
			err = runCheck(ctx, checkOptions{commandOptions: o, Domain: args[0], ReadOnly: readOnly}, cmd.OutOrStdout())
			if errors.Is(err, errChecksFailed) {
				// The report says what failed; exit non-zero quietly.
				cmd.SilenceErrors = true
			}
			return err
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().BoolVar(&readOnly, "read-only", false, "do not create the test TXT record; only read")
	return cmd
}

func newZonesCommand() *cobra.Command {
	var f commandFlags
	cmd := &cobra.Command{
		Use:   "zones",
		Short: "Lists the zones hosted in the account with edition and minimum TTL",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := f.options(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			ctx, cancel := f.context(cmd)
			defer cancel()
			err = runZones(ctx, o, cmd.OutOrStdout())
			if errors.Is(err, errChecksFailed) {
				cmd.SilenceErrors = true
			}
			return err
		},
	}
	f.register(cmd.Flags())
	return cmd
}

// loadEnvFile sets the environment variables listed in a file of
// KEY=VALUE lines, the format of caddy run --envfile: blank lines and
// lines starting with # are skipped, an "export " prefix is allowed, a
// value may be quoted with " or ' (and then span lines), and an unquoted
// value ends at " #". Variables already set in the environment are kept,
// as caddy run does. Errors name the file and line, never a value.
func loadEnvFile(name string) error {
	vars, err := readEnvFile(name)
	if err != nil {
		return err
	}
	for _, kv := range vars {
		if _, set := os.LookupEnv(kv[0]); set {
			continue
		}
		if err := os.Setenv(kv[0], kv[1]); err != nil {
			return fmt.Errorf("envfile %s: setting %s: %w", name, kv[0], err)
		}
	}
	return nil
}

// readEnvFile parses an env file into key/value pairs, in file order.
func readEnvFile(name string) ([][2]string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("envfile: %w", err)
	}
	defer f.Close()
	var out [][2]string
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(strings.TrimPrefix(key, "export "))
		if !ok || key == "" || strings.ContainsAny(key, " \t") {
			return nil, fmt.Errorf("envfile %s:%d: want KEY=VALUE", name, n)
		}
		val = strings.TrimSpace(val)
		if val != "" && (val[0] == '"' || val[0] == '\'') {
			q := val[:1]
			body := val[1:]
			start := n
			for !strings.HasSuffix(strings.TrimRight(body, " \t"), q) || strings.HasSuffix(body, `\`+q) {
				if !sc.Scan() {
					return nil, fmt.Errorf("envfile %s:%d: the quoted value of %s is not closed", name, start, key)
				}
				n++
				body += "\n" + sc.Text()
			}
			body = strings.TrimRight(body, " \t")
			val = strings.ReplaceAll(body[:len(body)-1], `\`+q, q)
		} else if i := strings.Index(val, " #"); i >= 0 {
			val = strings.TrimSpace(val[:i])
		}
		out = append(out, [2]string{key, val})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("envfile %s: %w", name, err)
	}
	return out, nil
}
