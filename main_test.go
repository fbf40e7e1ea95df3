package alidns

import (
	"os"
	"strings"
	"sync"
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

// concurrently runs subtests of one test all at once, at most limit at a
// time, each in its own goroutine. Subtests that call t.Parallel instead
// wait for go test's -parallel slots (GOMAXPROCS: 2 on CI), which
// serialises subtests that spend their time waiting on injected delays
// and whole-second clocks. Wait must be called before the test returns.
type concurrently struct {
	t   *testing.T
	wg  sync.WaitGroup
	sem chan struct{}
}

func newConcurrently(t *testing.T, limit int) *concurrently {
	return &concurrently{t: t, sem: make(chan struct{}, limit)}
}

// Run starts f as the subtest name.
func (c *concurrently) Run(name string, f func(t *testing.T)) {
	c.wg.Go(func() {
		c.sem <- struct{}{}
		defer func() { <-c.sem }()
		c.t.Run(name, f)
	})
}

// Wait returns when every subtest started has ended.
func (c *concurrently) Wait() { c.wg.Wait() }
