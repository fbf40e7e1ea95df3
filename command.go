package alidns

import (
	"context"
	"errors"
	"fmt"
	"io"
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
			cmd.AddCommand(newCheckCommand(), newZonesCommand(), newEnvironCommand())
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
	// Resolvers, PropagationDelay and PropagationTimeout are Caddy's DNS
	// challenge settings around the provider (the tls block's or the
	// global ones); no resolvers means the system's, as in Caddy.
	Resolvers                            []string
	PropagationDelay, PropagationTimeout time.Duration
	// Authoritative overrides the zone's authoritative servers ("ip:port")
	// asked for the test record (tests; default: the NS found in DNS).
	Authoritative []string
	// Source names where the settings came from (--config), for the report.
	Source string
}

// errChecksFailed is returned when a check reported a failure; the
// report already says what went wrong.
var errChecksFailed = errors.New("the AliDNS check failed")

// commandFlags are the flags shared by the subcommands.
type commandFlags struct {
	envFiles                                 []string
	accessKeyID, accessKeySecret, stsToken   string
	profile, ramRole, endpoint, line, region string
	httpTimeout, timeout                     time.Duration
	debug                                    bool
}

func (f *commandFlags) register(fs *pflag.FlagSet) {
	fs.StringSliceVar(&f.envFiles, "envfile", nil, "environment file(s) of KEY=VALUE lines to load first (like caddy run --envfile)")
	fs.StringVar(&f.accessKeyID, "access-key-id", "", "AccessKey ID (Caddyfile: access_key_id)")
	fs.StringVar(&f.accessKeySecret, "access-key-secret", "", "AccessKey secret (access_key_secret); prefer {env.NAME}, {file.PATH} or the environment")
	fs.StringVar(&f.stsToken, "security-token", "", "STS security token (security_token)")
	fs.StringVar(&f.profile, "profile", "", "profile of ~/.aliyun/config.json or ~/.alibabacloud/credentials (profile)")
	fs.StringVar(&f.ramRole, "ram-role", "", "RAM role of this ECS instance (ram_role)")
	fs.StringVar(&f.endpoint, "endpoint", "", "API endpoint (endpoint; default $ALIDNS_ENDPOINT, then https://alidns.aliyuncs.com)")
	fs.StringVar(&f.line, "line", "", "resolution line of the test record (line; default \"default\")")
	fs.StringVar(&f.region, "region-id", "", "region_id, accepted for compatibility; it does not select the endpoint")
	fs.DurationVar(&f.httpTimeout, "http-timeout", 0, "timeout of each HTTP request (http_timeout; default 10s)")
	fs.DurationVar(&f.timeout, "timeout", 2*time.Minute, "time limit of the whole command")
	fs.BoolVar(&f.debug, "debug", false, "log every API call (action, zone, request id, duration) to stderr")
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
	o := commandOptions{Provider: &Provider{
		AccessKeyID:     f.accessKeyID,
		AccessKeySecret: f.accessKeySecret,
		SecurityToken:   f.stsToken,
		Profile:         f.profile,
		RAMRole:         f.ramRole,
		RegionID:        f.region,
		Endpoint:        f.endpoint,
		Line:            f.line,
	}}
	o.Provider.HTTPTimeout = caddy.Duration(f.httpTimeout)
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
