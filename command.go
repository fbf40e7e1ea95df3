package alidns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
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
		Usage: "check [<domain>] [--config <file> [--adapter <name>]] [--json] | zones  [--envfile <path>] [credential flags]",
		Short: "Checks the Alibaba Cloud DNS (AliDNS) setup of the dns.providers.alidns module",
		Long: `
Checks an AliDNS setup before Caddy needs it for a certificate.

  caddy alidns check <domain>
  caddy alidns check --config Caddyfile [--adapter caddyfile] [--json]
      resolves the credentials exactly as the dns.providers.alidns module
      does and says which source won (never printing a secret), finds the
      zone of _acme-challenge.<domain> in DNS (as Caddy does) and in the
      AliDNS account, checks that the zone is delegated to AliDNS, then
      creates a test TXT record, waits until the name servers and the
      resolvers Caddy uses answer it, and deletes it (unless --read-only).
      With --config, every dns.providers.alidns of the config Caddy will
      load is checked for each of its names, with its settings, resolvers
      and propagation settings. Lookups the RAM policy denies are warnings
      naming the action. Each step is reported with the AliDNS error code,
      request id, the RAM action that was denied if any, and what to do.
      Exit status 0: all checks passed (warnings allowed); 1: a check
      failed or the command could not run.

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
			cmd.AddCommand(newCheckCommand(), newZonesCommand(), newEnvironCommand())
			cmd.RunE = caddyRunE(cmd, func(cmd *cobra.Command, args []string) error {
				if len(args) > 0 {
					return fmt.Errorf("unknown subcommand %q: use caddy alidns check <domain> or caddy alidns zones", args[0])
				}
				return cmd.Help()
			})
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
	// ConfigFile is the config the provider's settings were read from
	// (--config); empty when they come from the command line.
	ConfigFile string
}

// checkOptions are the settings of caddy alidns check.
type checkOptions struct {
	commandOptions
	// Domain is the name a certificate is wanted for ("*.example.com"
	// checks example.com, whose challenge name wildcards share).
	Domain string
	// ReadOnly skips creating and deleting the test record.
	ReadOnly bool
	// Resolvers, PropagationDelay and PropagationTimeout are Caddy's DNS
	// challenge settings around the provider (the tls block's or the
	// global ones); no resolvers means the system's, as in Caddy.
	Resolvers                            []string
	PropagationDelay, PropagationTimeout time.Duration
	// Authoritative overrides the zone's authoritative servers ("ip:port")
	// asked for the test record (tests; default: the NS found in DNS).
	Authoritative []string
	// ParentServers overrides the parent zone's name servers ("ip:port")
	// asked for the zone's delegation (tests; default: found in DNS).
	ParentServers []string
	// Source names where the settings came from (--config), for the report.
	Source string
	// Timeout bounds the check of one name (0: the propagation timeout
	// plus defaultCheckSlack). With --config every name gets its own, so
	// a slow name does not starve the next ones.
	Timeout time.Duration
}

// defaultCheckSlack is the time a check gets beyond its propagation
// timeout when --timeout is not given: for the steps before the wait and
// for deleting the test record after it.
const defaultCheckSlack = time.Minute

// errChecksFailed is returned when a check reported a failure; the
// report already says what went wrong.
var errChecksFailed = errors.New("the AliDNS check failed")

// caddyRunE makes run the RunE of cmd the way Caddy registers its own
// subcommands (caddycmd.WrapCommandFuncForCobra, as in caddy v2.11.9's
// reverse-proxy command): an error is logged through Caddy's logger, not
// printed by cobra, and the process exits with Caddy's exit codes:
// caddy.ExitCodeSuccess (0) when run succeeds, caddy.ExitCodeFailedStartup
// (1) when a check failed, a signal stopped it or it could not run.
func caddyRunE(cmd *cobra.Command, run func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return caddycmd.WrapCommandFuncForCobra(func(fl caddycmd.Flags) (int, error) {
		if err := run(cmd, fl.Args()); err != nil {
			return caddy.ExitCodeFailedStartup, err
		}
		return caddy.ExitCodeSuccess, nil
	})
}

// commandFlags are the flags shared by the subcommands: one per option
// of settingsTable, and the command's own.
type commandFlags struct {
	envFiles []string
	text     map[string]*string        // by option key
	durs     map[string]*durationValue // by option key
	timeout  time.Duration
	debug    bool
}

// register adds the flags; the options named in skip get none (they do
// nothing for that command).
func (f *commandFlags) register(fs *pflag.FlagSet, timeout time.Duration, timeoutUsage string, skip ...string) {
	fs.StringSliceVar(&f.envFiles, "envfile", nil, "environment file(s) of KEY=VALUE lines to load first (like caddy run --envfile)")
	f.text = make(map[string]*string)
	f.durs = make(map[string]*durationValue)
	for _, row := range settingsTable {
		if row.flag == "" || slices.Contains(skip, row.key) {
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
	fs.DurationVar(&f.timeout, "timeout", timeout, timeoutUsage)
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
		warnings, err := loadEnvFile(name)
		if err != nil {
			return commandOptions{}, err
		}
		for _, w := range warnings {
			fmt.Fprintln(stderr, "warning: envfile", w)
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

// interruptible returns the command's context, cancelled by SIGINT or
// SIGTERM, so that caddy alidns check can still delete its test record
// when it is stopped. After the first signal the default handling is
// back: a second Ctrl-C ends the process at once.
func interruptible(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	parent := cmd.Context()
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		defer signal.Stop(ch)
		select {
		case sig := <-ch:
			cause := &interruptedError{sig}
			fmt.Fprintf(cmd.ErrOrStderr(), "%v: stopping; removing the test record if one was created (press Ctrl-C again to quit at once)\n", cause)
			cancel(cause)
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(nil) }
}

// interruptedError is the cause of a context cancelled by a signal.
type interruptedError struct{ sig os.Signal }

func (e *interruptedError) Error() string { return e.sig.String() + " signal received" }

// signalled returns the signal that cancelled ctx, or nil when ctx is
// live or ended otherwise.
func signalled(ctx context.Context) error {
	var ie *interruptedError
	if errors.As(context.Cause(ctx), &ie) {
		return ie
	}
	return nil
}

// interrupted is the command's error after a signal stopped it (nil when
// none did): the process exits non-zero, saying what became of the test
// records.
func interrupted(ctx context.Context, results []*checkResult) error {
	cause := signalled(ctx)
	if cause == nil {
		return nil
	}
	var removed int
	var left []string
	for _, res := range results {
		switch t := res.TestRecord; {
		case t == nil:
		case t.Left != "":
			left = append(left, t.describe())
		default:
			removed++
		}
	}
	switch {
	case len(left) > 0:
		return fmt.Errorf("%w: removing the test record failed; %s", cause, strings.Join(left, "; "))
	case removed > 0:
		return fmt.Errorf("%w: stopped; the test record was removed", cause)
	}
	return fmt.Errorf("%w: stopped before a test record was created; nothing to remove", cause)
}

func newCheckCommand() *cobra.Command {
	var f commandFlags
	var readOnly, asJSON bool
	var configFile, adapter string
	var resolvers, authoritative, parentServers []string
	var propagationTimeout time.Duration
	cmd := &cobra.Command{
		Use:   "check [<domain>] [--config <file> [--adapter <name>]]",
		Short: "Checks that Caddy can solve DNS-01 challenges through AliDNS, API and DNS",
		Long: `Checks what Caddy will do for a certificate through dns.providers.alidns:
resolves the credentials the way the module does, finds the zone of
_acme-challenge.<domain> as Caddy does (the SOA in DNS, through the resolvers
Caddy uses) and in the AliDNS account, checks that public DNS delegates the
zone to AliDNS's name servers, creates a test TXT record, waits until the
zone's name servers and the resolvers answer it (with the time each took),
and deletes it: also when the wait fails, --timeout runs out or Ctrl-C
stops the command (which then exits 1 saying whether the record was
removed). Lookups the RAM policy denies are warnings naming the action;
creating and deleting the record is the proof.

With --config, the config Caddy will load (caddy run --config FILE
--adapter NAME) is read, and every dns.providers.alidns Caddy solves DNS
challenges with (a site's tls block, the global acme_dns option, or the
global dns option as the provider of a challenge that names none) is
checked for each name it gets certificates for, with the automation policy
Caddy picks for the name: exactly its settings and the resolvers,
propagation_delay and propagation_timeout around it. --envfile is read as
caddy run --envfile reads it.

Exit status: 0 when every check passed (warnings allowed); 1 when a check
failed (Caddy would not get a certificate) or the command could not run.`,
		Example: `  $ caddy alidns check --config /etc/caddy/Caddyfile --envfile /etc/caddy/alidns.env
  $ caddy alidns check www.example.com --envfile /etc/caddy/alidns.env --resolvers 223.5.5.5
  $ caddy alidns check '*.example.com' --profile prod --read-only --json`,
		Args: cobra.RangeArgs(0, 1),
	}
	cmd.RunE = caddyRunE(cmd, func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 && configFile == "" {
			return errors.New("give the domain to check, or --config with the Caddyfile/JSON config Caddy runs with")
		}
		if adapter != "" && configFile == "" {
			return errors.New("--adapter needs --config")
		}
		o, err := f.options(cmd.ErrOrStderr())
		if err != nil {
			return err
		}
		ctx, stop := interruptible(cmd)
		defer stop()
		out := cmd.OutOrStdout()
		text := out
		if asJSON {
			text = io.Discard
		}
		co := checkOptions{commandOptions: o, ReadOnly: readOnly, Resolvers: resolvers, PropagationTimeout: propagationTimeout,
			Authoritative: authoritative, ParentServers: parentServers, Timeout: f.timeout}
		var results []*checkResult
		if configFile != "" {
			only := ""
			if len(args) == 1 {
				only = args[0]
			}
			results, err = runConfigCheck(ctx, co, configFile, adapter, only, text)
		} else {
			co.Domain = args[0]
			var res *checkResult
			res, err = runCheckReport(ctx, co, text)
			if res != nil {
				results = append(results, res)
			}
		}
		if asJSON && results != nil {
			enc := json.NewEncoder(out)
			enc.SetIndent("", "  ")
			if jerr := enc.Encode(results); jerr != nil && err == nil {
				err = jerr
			}
		}
		if ierr := interrupted(ctx, results); ierr != nil {
			return ierr
		}
		return err
	})
	f.register(cmd.Flags(), 0, "time limit of the check of each name (default: its propagation timeout + 1m)")
	fs := cmd.Flags()
	fs.BoolVar(&readOnly, "read-only", false, "do not create the test TXT record; only read")
	fs.StringVar(&configFile, "config", "", "the Caddy config to check every dns.providers.alidns of (as caddy run --config)")
	fs.StringVar(&adapter, "adapter", "", "the config adapter of --config (as caddy run --adapter, e.g. caddyfile)")
	fs.BoolVar(&asJSON, "json", false, "print the results as JSON instead of text")
	fs.StringSliceVar(&resolvers, "resolvers", nil, "DNS resolvers to check through (default: the config's resolvers, else as Caddy: /etc/resolv.conf's, else public ones)")
	fs.DurationVar(&propagationTimeout, "propagation-timeout", 0, "how long to wait for the test record to be visible (default: the config's propagation_timeout, else 2m)")
	fs.StringSliceVar(&authoritative, "authoritative", nil, "ip:port of the zone's name servers (default: the NS found in DNS, port 53)")
	_ = fs.MarkHidden("authoritative")
	fs.StringSliceVar(&parentServers, "parent-servers", nil, "ip:port of the parent zone's name servers (default: found in DNS, port 53)")
	_ = fs.MarkHidden("parent-servers")
	return cmd
}

func newZonesCommand() *cobra.Command {
	var f commandFlags
	cmd := &cobra.Command{
		Use:   "zones",
		Short: "Lists the zones hosted in the account with edition and minimum TTL",
		Args:  cobra.NoArgs,
	}
	cmd.RunE = caddyRunE(cmd, func(cmd *cobra.Command, _ []string) error {
		o, err := f.options(cmd.ErrOrStderr())
		if err != nil {
			return err
		}
		ctx, cancel := f.context(cmd)
		defer cancel()
		return runZones(ctx, o, cmd.OutOrStdout())
	})
	// line and ttl only concern records written, which zones never does.
	f.register(cmd.Flags(), 2*time.Minute, "time limit of the whole command", "line", "ttl")
	return cmd
}
