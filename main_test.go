package alidns

import (
	"os"
	"strings"
	"testing"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/caddyserver/certmagic"
)

// commandChildEnv, set in the environment of a child process of the test
// binary, makes it run `caddy` with the arguments it holds (separated by
// U+001F) instead of the tests: a real process to send signals to.
const commandChildEnv = "ALIDNS_TEST_CADDY_ARGS"

// TestMain keeps every test in this package off the network: the
// credential chain must never probe the ECS metadata service or read the
// developer's own ~/.aliyun, and DNS is only asked on loopback.
func TestMain(m *testing.M) {
	os.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	os.Setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
	// caddy alidns check asks DNS too: only the resolvers a test gives,
	// never the machine's or certmagic's public fallback.
	recursiveNameservers = func(configured []string) []string {
		if len(configured) == 0 {
			return nil
		}
		return certmagic.RecursiveNameservers(configured)
	}
	if args, ok := os.LookupEnv(commandChildEnv); ok {
		os.Args = append([]string{"caddy"}, strings.Split(args, "\x1f")...)
		caddycmd.Main() // exits non-zero on failure
		os.Exit(0)
	}
	os.Exit(m.Run())
}
