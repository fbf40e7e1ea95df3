package alidnstest

import (
	"net/http"
	"strings"
	"testing"
)

// NewUnstartedServer, as httptest's: state can be set up before the
// server answers, and Start/StartTLS start it once.
func TestUnstartedServer(t *testing.T) {
	s := NewUnstartedServer(WithoutDNS())
	defer s.Close()
	s.AddZone("example.com", EditionFree)
	if s.URL != "" {
		t.Fatalf("URL %q before Start", s.URL)
	}
	if err := s.StartTLS(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.URL, "https://127.0.0.1:") {
		t.Fatalf("URL %q", s.URL)
	}
	if err := s.Start(); err == nil {
		t.Fatal("second start succeeded")
	}
	res, err := s.Client().Get(s.URL + "/_sim/zones")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	NewUnstartedServer().Close() // closing a server never started is fine
}
