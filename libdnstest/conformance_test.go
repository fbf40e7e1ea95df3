package libdnstest

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/libdns/libdns/libdnstest"

	"github.com/caddy-alidns/alidns"
	"github.com/caddy-alidns/alidns/alidnstest"
	"github.com/caddy-alidns/alidns/internal/api"
)

func TestMain(m *testing.M) {
	// Nothing here may probe the ECS metadata service or read ~/.aliyun.
	os.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	os.Setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
	os.Exit(m.Run())
}

var testRetry = api.RetryPolicy{MaxAttempts: 10, BaseDelay: 5 * time.Millisecond, MaxDelay: 100 * time.Millisecond, MaxWait: 20 * time.Second}

func newProvider(s *alidnstest.Server) *alidns.Provider {
	return &alidns.Provider{
		AccessKeyID:     alidnstest.DefaultAccessKeyID,
		AccessKeySecret: alidnstest.DefaultAccessKeySecret,
		Endpoint:        s.URL,
		Retry:           testRetry,
	}
}

// The suite writes records with a 300 s TTL and expects them back exactly,
// so its zone is on an edition that allows TTLs below 600 s (Free and
// Personal zones would store 600; see TestConformanceFreeEditionTTL).
func TestConformance(t *testing.T) {
	s := alidnstest.NewServer(alidnstest.WithoutDNS())
	t.Cleanup(s.Close)
	s.AddZone("example.test", alidnstest.EditionEnterpriseAdvanced)
	s.AddZone("other.test", alidnstest.EditionFree)

	suite := libdnstest.NewTestSuite(newProvider(s), "example.test.")
	suite.RunTests(t)

	// The suite cleans up names starting with "test-"; SRV and SVCB names
	// start with "_service._proto." and are left by the suite itself.
	for _, r := range s.Records("example.test") {
		if !strings.Contains(r.RR, "test-") {
			t.Errorf("record not created by the suite changed or left: %s %s %s", r.RR, r.Type, r.Value)
		}
	}
	if s.CallCount("DescribeDomains") == 0 {
		t.Fatal("ListZones was not exercised")
	}
}

// The same suite under realistic faults: added latency, throttling, 5xx
// answers and LastOperationNotFinished on writes that follow each other
// closely. The provider's retries must make this invisible.
func TestConformanceUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("fault-injection run of the full suite is slow; -short skips it")
	}
	s := alidnstest.NewServer(alidnstest.WithoutDNS())
	t.Cleanup(s.Close)
	s.AddZone("example.test", alidnstest.EditionEnterpriseAdvanced)
	s.SetFaults(alidnstest.Faults{QPS: 50, ErrorRate: 0.1, Latency: 2 * time.Millisecond, WriteWindow: time.Millisecond, Seed: 11})

	libdnstest.NewTestSuite(newProvider(s), "example.test.").RunTests(t)

	var faults int
	for _, c := range s.Calls() {
		if c.Code != "" {
			faults++
		}
	}
	t.Logf("%d API calls, %d answered with an injected fault", len(s.Calls()), faults)
	if faults == 0 {
		t.Fatal("no fault was injected: the test proves nothing")
	}
}
