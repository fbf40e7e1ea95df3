package alidns

import (
	"os"
	"testing"
)

// TestMain keeps every test in this package off the network: the
// credential chain must never probe the ECS metadata service or read the
// developer's own ~/.aliyun, and DNS is only asked on loopback.
func TestMain(m *testing.M) {
	os.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	os.Setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
	// caddy alidns check asks DNS too: never the machine's resolvers.
	systemResolvers = func() []string { return nil }
	os.Exit(m.Run())
}
