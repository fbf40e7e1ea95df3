package alidns

import (
	"encoding/json"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// newEnvironCommand is `caddy alidns environ --envfile FILE`: the
// environment as `caddy alidns check` sees it after loading the env files,
// as JSON. It is hidden: it exists to prove (TestEnvFileParity) and to
// show when troubleshooting that check reads an env file exactly like
// `caddy environ --envfile` / `caddy run --envfile`. Like caddy environ,
// it prints secrets.
func newEnvironCommand() *cobra.Command {
	var files []string
	cmd := &cobra.Command{
		Use:    "environ [--envfile <path>]",
		Short:  "Prints the environment as caddy alidns check sees it, as JSON",
		Hidden: true,
		Args:   cobra.NoArgs,
	}
	cmd.RunE = caddyRunE(cmd, func(cmd *cobra.Command, _ []string) error {
		for _, f := range files {
			warnings, err := loadEnvFile(f)
			if err != nil {
				return err
			}
			for _, w := range warnings {
				cmd.PrintErrln("warning: envfile", w)
			}
		}
		env := map[string]string{}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(env)
	})
	cmd.Flags().StringSliceVar(&files, "envfile", nil, "environment file(s) to load, as caddy run --envfile")
	return cmd
}
