package alidns

import (
	"strings"
	"testing"
)

// fixVerbs are the words a load error may start with: each says what to
// do.
var fixVerbs = []string{"set", "remove", "swap", "save", "unset", "give", "check", "start", "add", "pass", "write", "lower", "round", "use"}

// leadsWithFix fails the test unless msg starts with what to do.
func leadsWithFix(t *testing.T, msg string) {
	t.Helper()
	first, _, _ := strings.Cut(msg, " ")
	for _, v := range fixVerbs {
		if first == v {
			return
		}
	}
	t.Errorf("does not start with the fix (one of %v): %s", fixVerbs, msg)
}

// Every error that refuses a config when Caddy loads it starts with the
// fix and stays short: Caddy puts about 350 characters of module path in
// front of it, so what matters must come first (issue 15, item 15). The
// errors are taken from caddy.Validate on whole configs, as caddy
// validate, caddy run and caddy reload see them.
func TestLoadErrorsLeadWithTheFix(t *testing.T) {
	s := moduleSim(t)
	ep := `,"endpoint":"` + s.URL + `"`
	const (
		id     = `"access_key_id":"{env.T_ALIDNS_ID}"`
		secret = `"access_key_secret":"{env.T_ALIDNS_SECRET}"`
	)
	for _, tc := range []struct {
		name string
		raw  string // the provider's JSON
		env  map[string]string
		max  int // length limit of our part (0: 200)
	}{
		{name: "no credentials", raw: `{"name":"alidns"` + ep + `}`, max: 250},
		{name: "env id only", raw: `{"name":"alidns"` + ep + `}`, env: map[string]string{"ALICLOUD_ACCESS_KEY": modKeyID}},
		{name: "env secret only", raw: `{"name":"alidns"` + ep + `}`, env: map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_SECRET": modKeySecret}},
		{name: "env token only", raw: `{"name":"alidns"` + ep + `}`, env: map[string]string{"ALICLOUD_SECURITY_TOKEN": "tok"}},
		{name: "env file with BOM", raw: `{"name":"alidns"` + ep + `}`, env: map[string]string{"\ufeffALICLOUD_ACCESS_KEY": modKeyID, "ALICLOUD_SECRET_KEY": modKeySecret}},
		{name: "env swapped", raw: `{"name":"alidns"` + ep + `}`, env: map[string]string{"ALICLOUD_ACCESS_KEY": modKeySecret, "ALICLOUD_SECRET_KEY": modKeyID}},
		{name: "config swapped", raw: `{"name":"alidns","access_key_id":"{env.T_ALIDNS_SECRET}","access_key_secret":"{env.T_ALIDNS_ID}"` + ep + `}`},
		{name: "config id only", raw: `{"name":"alidns",` + id + ep + `}`},
		{name: "config secret only", raw: `{"name":"alidns",` + secret + ep + `}`},
		{name: "config token only", raw: `{"name":"alidns","security_token":"t"` + ep + `}`},
		{name: "keys and role", raw: `{"name":"alidns",` + id + `,` + secret + `,"ram_role":"r"` + ep + `}`},
		{name: "role and profile", raw: `{"name":"alidns","ram_role":"r","profile":"p"` + ep + `}`},
		{name: "role without metadata service", raw: `{"name":"alidns","ram_role":"r"` + ep + `}`},
		{name: "unset placeholder", raw: `{"name":"alidns",` + id + `,"access_key_secret":"{env.T_ALIDNS_NOPE}"` + ep + `}`},
		{name: "missing file", raw: `{"name":"alidns",` + id + `,"access_key_secret":"{file./nonexistent/x}"` + ep + `}`},
		{name: "unknown placeholder", raw: `{"name":"alidns",` + id + `,"access_key_secret":"{T_ALIDNS_SECRET}"` + ep + `}`},
		{name: "white space", raw: `{"name":"alidns","access_key_id":"LTAI x",` + secret + ep + `}`},
		{name: "endpoint", raw: `{"name":"alidns",` + id + `,` + secret + `,"endpoint":"ftp://x"}`},
		{name: "ALIDNS_ENDPOINT", raw: `{"name":"alidns",` + id + `,` + secret + `}`, env: map[string]string{"ALIDNS_ENDPOINT": "https://x/y"}},
		{name: "nanosecond ttl", raw: `{"name":"alidns","ttl":600}`},
		{name: "negative ttl", raw: `{"name":"alidns","ttl":"-10m"}`},
		{name: "oversize ttl", raw: `{"name":"alidns","ttl":"48h"}`},
		{name: "fractional ttl", raw: `{"name":"alidns","ttl":"1500ms"}`},
		{name: "negative http_timeout", raw: `{"name":"alidns","http_timeout":"-1s"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isolateCredentialEnv(t)
			t.Setenv("T_ALIDNS_ID", modKeyID)
			t.Setenv("T_ALIDNS_SECRET", modKeySecret)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			err := validateConfig(t, replaceProvider(t, caddyConfig(t, false, "alidns"), tc.raw))
			if err == nil {
				t.Fatal("config accepted")
			}
			const module = "provision dns.providers.alidns: "
			full := err.Error()
			i := strings.Index(full, module)
			if i < 0 {
				t.Fatalf("not a provisioning error of the module: %v", err)
			}
			msg := full[i+len(module):]
			t.Logf("%d + %d bytes: %s", i+len(module), len(msg), msg)
			leadsWithFix(t, msg)
			limit := tc.max
			if limit == 0 {
				limit = 200
			}
			if len(msg) > limit {
				t.Errorf("%d bytes, want at most %d", len(msg), limit)
			}
			if strings.Contains(full, modKeySecret) {
				t.Error("the error contains the secret")
			}
		})
	}
}
