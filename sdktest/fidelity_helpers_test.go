package sdktest

import (
	"net/url"
	"strings"
	"testing"

	"github.com/caddy-alidns/alidns/alidnstest"
)

// newSim starts a simulator (API only, no DNS listener) closed at the end
// of the test.
func newSim(t *testing.T) *alidnstest.Server {
	t.Helper()
	s := alidnstest.NewServer(alidnstest.WithoutDNS())
	t.Cleanup(s.Close)
	return s
}

// simHost is the simulator's "127.0.0.1:port", the form both SDKs take as
// their endpoint.
func simHost(t *testing.T, s *alidnstest.Server) string {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil || u.Host == "" {
		t.Fatalf("simulator URL %q: %v", s.URL, err)
	}
	return u.Host
}

// lastCall returns the simulator's log entry for the latest call.
func lastCall(t *testing.T, s *alidnstest.Server) alidnstest.Call {
	t.Helper()
	calls := s.Calls()
	if len(calls) == 0 {
		t.Fatal("simulator logged no call")
	}
	return calls[len(calls)-1]
}

// findRecord returns the simulator's record with id.
func findRecord(t *testing.T, s *alidnstest.Server, zone, id string) (alidnstest.Record, bool) {
	t.Helper()
	for _, r := range s.Records(zone) {
		if r.RecordID == id {
			return r, true
		}
	}
	return alidnstest.Record{}, false
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// txtValues returns n generated TXT values: valid UTF-8 (JSON responses
// cannot carry other bytes), never blank, with every awkward character.
func txtValues(seed uint64, n int) []string {
	g := newGen(seed)
	out := make([]string, n)
	for i := range out {
		out[i] = "v" + strings.ToValidUTF8(g.value(8), "")
	}
	return out
}
