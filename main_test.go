package alidns

import (
	"os"
	"testing"
)

// TestMain keeps every test in this package off the network: the
// credential chain must never probe the ECS metadata service or read the
// developer's own ~/.aliyun.
func TestMain(m *testing.M) {
	os.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	os.Setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
	os.Exit(m.Run())
}
