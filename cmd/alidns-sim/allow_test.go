package main

import (
	"context"
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/caddy-alidns/alidns/internal/api"
)

// TestAllowActions starts the simulator with -allow-actions and checks,
// through its call log, that a listed action passes the RAM check while
// another one is refused with Forbidden.RAM.
func TestAllowActions(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := lineWriter{make(chan string, 64)}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-zone", "example.test", "-no-dns", "-key", "extra-id:extra-secret",
			"-allow-actions", "AddDomainRecord, DeleteDomainRecord"}, out, io.Discard)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	vals := map[string]string{}
	for vals["READY"] != "1" {
		select {
		case l := <-out.ch:
			k, v, _ := strings.Cut(l, "=")
			vals[k] = v
		case err := <-done:
			t.Fatalf("run exited early: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("timeout waiting for READY")
		}
	}
	// The RAM check runs after authentication, so the requests are signed
	// by the project's API client.
	for _, tc := range []struct {
		id, secret, action, wantCode string
	}{
		{vals["ACCESS_KEY_ID"], vals["ACCESS_KEY_SECRET"], "DescribeDomains", "Forbidden.RAM"},
		{vals["ACCESS_KEY_ID"], vals["ACCESS_KEY_SECRET"], "DeleteDomainRecord", "DomainRecordNotBelongToUser"},
		{"extra-id", "extra-secret", "DescribeDomainRecords", "Forbidden.RAM"},
	} {
		code := signedCall(t, vals["API_URL"], tc.id, tc.secret, tc.action, url.Values{"RecordId": {"1"}})
		if code != tc.wantCode {
			t.Errorf("%s with %s: code %q, want %q", tc.action, tc.id, code, tc.wantCode)
		}
	}
}

func TestAllowActionsEmpty(t *testing.T) {
	if err := run(context.Background(), []string{"-allow-actions", " , "}, io.Discard, io.Discard); err == nil {
		t.Fatal("no error for an empty -allow-actions list")
	}
}

type staticCred api.Credential

func (c staticCred) Credential(context.Context) (api.Credential, error) {
	return api.Credential(c), nil
}

// signedCall sends one signed request and returns the error code of the
// answer ("" on success).
func signedCall(t *testing.T, endpoint, id, secret, action string, params url.Values) string {
	t.Helper()
	c := &api.Client{Endpoint: endpoint, Credentials: staticCred{AccessKeyID: id, AccessKeySecret: secret}, Retry: api.NoRetry}
	err := c.Do(context.Background(), action, params, nil)
	if err == nil {
		return ""
	}
	var apiErr *api.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("%s: %v", action, err)
	}
	return apiErr.Code
}
