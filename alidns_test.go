package alidns

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/libdns/libdns"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/caddy-alidns/alidns/alidnstest"
)

// Distinctive fake secrets that must never show up in JSON, logs, errors
// or command output.
const (
	modKeyID     = "LTAI5tModuleTestKeyID"
	modKeySecret = "Mod-Secret-4f9a1c2e7b"
	wrongSecret  = "Wrong-Secret-88d1e0aa"
)

// moduleSim starts a simulator with example.com and registers the test
// key on it.
func moduleSim(t *testing.T) *alidnstest.Server {
	t.Helper()
	s := newSim(t, "example.com")
	s.AddAccessKey(modKeyID, modKeySecret)
	return s
}

func TestProvisionExpandsPlaceholders(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	secretFile := filepath.Join(t.TempDir(), "secret")
	writeFile(t, secretFile, modKeySecret+"\n")
	t.Setenv("T_ALIDNS_ID", modKeyID)
	t.Setenv("T_ALIDNS_ENDPOINT", s.URL)
	t.Setenv("T_ALIDNS_LINE", "default")

	p := &Provider{
		AccessKeyID:     "{env.T_ALIDNS_ID}",
		AccessKeySecret: "{file." + secretFile + "}",
		Endpoint:        "{env.T_ALIDNS_ENDPOINT}",
		Line:            "{env.T_ALIDNS_LINE}",
		Retry:           fastRetry,
	}
	before, _ := json.Marshal(p)
	if err := p.provision(nil, caddy.NewReplacer()); err != nil {
		t.Fatal(err)
	}
	got := p.current()
	if got["access_key_id"] != modKeyID || got["access_key_secret"] != modKeySecret || got["endpoint"] != s.URL || got["line"] != "default" {
		t.Errorf("expanded settings: id %q endpoint %q line %q, secret ok %v", got["access_key_id"], got["endpoint"], got["line"], got["access_key_secret"] == modKeySecret)
	}
	// The exported fields, and so any JSON made from the provisioned
	// module, keep the placeholders.
	after, _ := json.Marshal(p)
	if string(before) != string(after) {
		t.Errorf("json.Marshal changed by Provision:\n before %s\n after  %s", before, after)
	}
	if strings.Contains(string(after), modKeySecret) || !strings.Contains(string(after), "{file.") {
		t.Errorf("json.Marshal of the provisioned provider: %s", after)
	}
	// The expanded credentials sign real calls.
	zones, err := p.ListZones(ctx(t))
	if err != nil || len(zones) != 1 || zones[0].Name != "example.com." {
		t.Fatalf("ListZones: %v %v", zones, err)
	}
}

func TestProvisionOnce(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	t.Setenv("T_ALIDNS_ID", modKeyID)
	t.Setenv("T_ALIDNS_SECRET", modKeySecret)
	p := &Provider{AccessKeyID: "{env.T_ALIDNS_ID}", AccessKeySecret: "{env.T_ALIDNS_SECRET}", Endpoint: s.URL}
	if err := p.provision(nil, caddy.NewReplacer()); err != nil {
		t.Fatal(err)
	}
	c1, creds1 := p.api, p.creds
	// A second Provision changes nothing, even if the environment did.
	t.Setenv("T_ALIDNS_ID", "other")
	if err := p.provision(nil, caddy.NewReplacer()); err != nil {
		t.Fatal(err)
	}
	if p.api != c1 || p.creds != creds1 || p.current()["access_key_id"] != modKeyID {
		t.Error("second Provision redid the setup")
	}
}

func TestProvisionPlaceholderErrors(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	os.Unsetenv("T_ALIDNS_UNSET")
	t.Setenv("T_ALIDNS_SECRET", modKeySecret)
	t.Setenv("T_ALIDNS_EMPTY", "")
	for _, tc := range []struct {
		name string
		p    *Provider
		want []string
	}{
		{"unset env", &Provider{AccessKeyID: "{env.T_ALIDNS_UNSET}", AccessKeySecret: "{env.T_ALIDNS_SECRET}"},
			[]string{"access_key_id", "{env.T_ALIDNS_UNSET} is empty", "set the variable in Caddy's environment", "--envfile"}},
		{"empty env", &Provider{AccessKeyID: modKeyID, AccessKeySecret: "{env.T_ALIDNS_EMPTY}"},
			[]string{"access_key_secret", "{env.T_ALIDNS_EMPTY} is empty"}},
		{"missing file", &Provider{AccessKeyID: modKeyID, AccessKeySecret: "{file./nonexistent/alidns-secret}"},
			[]string{"access_key_secret", "{file./nonexistent/alidns-secret}", "check that the file exists"}},
		{"unknown placeholder", &Provider{AccessKeyID: modKeyID, AccessKeySecret: "{ALIDNS_SECRET}"},
			[]string{"access_key_secret", "unrecognized placeholder {ALIDNS_SECRET}", "{env.NAME}"}},
		{"endpoint", &Provider{AccessKeyID: modKeyID, AccessKeySecret: modKeySecret, Endpoint: "{env.T_ALIDNS_UNSET}"},
			[]string{"endpoint", "{env.T_ALIDNS_UNSET} is empty"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			if p.Endpoint == "" {
				p.Endpoint = s.URL
			}
			err := p.provision(nil, caddy.NewReplacer())
			if err == nil {
				t.Fatal("provisioned")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), modKeySecret) {
				t.Errorf("error contains the secret: %v", err)
			}
			if p.provisioned || p.api != nil {
				t.Error("a failed Provision left the provider set up")
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    *Provider
		want string // "" = valid
	}{
		{"empty", &Provider{}, ""},
		{"pair", &Provider{AccessKeyID: "id", AccessKeySecret: "s"}, ""},
		{"sts", &Provider{AccessKeyID: "id", AccessKeySecret: "s", SecurityToken: "t"}, ""},
		{"placeholders", &Provider{AccessKeyID: "{env.A}", AccessKeySecret: "{file./x}"}, ""},
		{"all else", &Provider{RegionID: "cn-hangzhou", Endpoint: "https://alidns.cn-hangzhou.aliyuncs.com", Line: "oversea",
			TTL: caddy.Duration(time.Hour), HTTPTimeout: caddy.Duration(time.Minute)}, ""},
		{"profile", &Provider{Profile: "prod"}, ""},
		{"ram role", &Provider{RAMRole: "caddy"}, ""},
		{"id only", &Provider{AccessKeyID: "id"}, "access_key_id is set but access_key_secret is empty"},
		{"secret only", &Provider{AccessKeySecret: "s"}, "access_key_secret is set but access_key_id is empty"},
		{"token only", &Provider{SecurityToken: "t"}, "or remove security_token: security_token is set without them"},
		{"keys and role", &Provider{AccessKeyID: "id", AccessKeySecret: "s", RAMRole: "r"}, "remove access_key_id or ram_role"},
		{"keys and profile", &Provider{AccessKeyID: "id", AccessKeySecret: "s", Profile: "p"}, "remove access_key_id or profile"},
		{"role and profile", &Provider{RAMRole: "r", Profile: "p"}, "remove ram_role or profile"},
		{"space in id", &Provider{AccessKeyID: "id x", AccessKeySecret: "s"}, "remove the white space from access_key_id"},
		{"newline in secret", &Provider{AccessKeyID: "id", AccessKeySecret: "s\nx"}, "remove the white space from access_key_secret"},
		{"endpoint scheme", &Provider{Endpoint: "ftp://alidns.aliyuncs.com"}, `scheme "ftp" is not supported`},
		{"endpoint path", &Provider{Endpoint: "https://alidns.aliyuncs.com/api"}, "must be only scheme://host[:port]"},
		{"endpoint port", &Provider{Endpoint: "https://alidns.aliyuncs.com:99999"}, "invalid port"},
		{"negative ttl", &Provider{TTL: caddy.Duration(-time.Second)}, "remove ttl to use the default of 600 s, or set a value between 1 s and 86400 s: ttl -1s is negative"},
		{"oversize ttl", &Provider{TTL: caddy.Duration(25 * time.Hour)}, "above AliDNS's maximum of 86400 s"},
		{"nanosecond ttl", &Provider{TTL: 600}, `write "600s"`},
		{"fractional ttl", &Provider{TTL: caddy.Duration(1500 * time.Millisecond)}, "not a whole number of seconds"},
		{"negative timeout", &Provider{HTTPTimeout: caddy.Duration(-time.Second)}, "remove http_timeout to use the default of 10s, or set a positive duration such as 10s: http_timeout -1s is negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && err == nil:
				t.Errorf("accepted, want %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

// Caddy's own module loading (ctx.LoadModuleByID) provisions and
// validates the module. (The logger's name is checked in
// TestCaddyLoadAdminConfigKeepsPlaceholders: without a running config
// Caddy hands out a development logger.)
func TestLoadModuleThroughCaddy(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	t.Setenv("T_ALIDNS_SECRET", modKeySecret)
	cctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	raw := fmt.Sprintf(`{"access_key_id":%q,"access_key_secret":"{env.T_ALIDNS_SECRET}","endpoint":%q,"ttl":"10m"}`, modKeyID, s.URL)
	mod, err := cctx.LoadModuleByID("dns.providers.alidns", json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	p := mod.(*Provider)
	if !p.provisioned || p.logger == nil {
		t.Errorf("provisioned %v, logger %v", p.provisioned, p.logger)
	}
	if p.defaultTTL() != 600 {
		t.Errorf("default TTL %d", p.defaultTTL())
	}
	if b, _ := json.Marshal(p); strings.Contains(string(b), modKeySecret) {
		t.Errorf("provisioned module marshals its secret: %s", b)
	}
}

// caddyConfig adapts a Caddyfile whose sites use the provider with the
// given settings, with admin off and storage in a temporary directory.
func caddyConfig(t *testing.T, globalDNS bool, providerBlock string) []byte {
	t.Helper()
	storage := t.TempDir()
	var b strings.Builder
	fmt.Fprintf(&b, "{\n\tadmin off\n\tpersist_config off\n\tstorage file_system %s\n", storage)
	if globalDNS {
		fmt.Fprintf(&b, "\tdns %s\n}\nexample.com {\n\ttls {\n\t\tdns\n\t}\n", providerBlock)
	} else {
		fmt.Fprintf(&b, "}\nexample.com {\n\ttls {\n\t\tdns %s\n\t}\n", providerBlock)
	}
	b.WriteString("\trespond \"hello\"\n}\n")
	out, _, err := adapt(t, b.String())
	if err != nil {
		t.Fatalf("adapt: %v\n%s", err, b.String())
	}
	return out
}

// validateConfig runs caddy.Validate (what caddy validate and
// caddy adapt --validate do) on a JSON config.
func validateConfig(t *testing.T, cfgJSON []byte) error {
	t.Helper()
	var cfg caddy.Config
	if err := caddy.StrictUnmarshalJSON(cfgJSON, &cfg); err != nil {
		t.Fatalf("decoding config: %v", err)
	}
	return caddy.Validate(&cfg)
}

// Whole configs through caddy.Validate: good ones provision, bad ones
// are refused at load with text that says what to do.
func TestCaddyValidate(t *testing.T) {
	s := moduleSim(t)
	block := func(lines ...string) string {
		return "alidns {\n\t\t\t" + strings.Join(append(lines, "endpoint "+s.URL), "\n\t\t\t") + "\n\t\t}"
	}
	creds := []string{"access_key_id {env.T_ALIDNS_ID}", "access_key_secret {env.T_ALIDNS_SECRET}"}
	for _, tc := range []struct {
		name      string
		globalDNS bool
		provider  string
		rawJSON   string // replaces the provider object when set
		env       map[string]string
		want      []string // nil: valid
	}{
		{name: "placeholders", provider: block(creds...)},
		{name: "global dns", globalDNS: true, provider: block(creds...)},
		{name: "env only (ALICLOUD_*)", provider: block(), env: map[string]string{"ALICLOUD_ACCESS_KEY": modKeyID, "ALICLOUD_SECRET_KEY": modKeySecret}},
		{name: "env only (ALIBABA_CLOUD_*)", provider: block("ttl 900"), env: map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": modKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": modKeySecret}},
		{name: "endpoint from ALIDNS_ENDPOINT", provider: "alidns {env.T_ALIDNS_ID} {env.T_ALIDNS_SECRET}", env: map[string]string{"ALIDNS_ENDPOINT": s.URL}},
		{name: "no credentials", provider: block(), want: []string{"no Alibaba Cloud credentials found", "ALICLOUD_ACCESS_KEY"}},
		{name: "half env pair", provider: block(), env: map[string]string{"ALICLOUD_ACCESS_KEY": modKeyID},
			want: []string{"ALICLOUD_ACCESS_KEY is set but ALICLOUD_SECRET_KEY is empty"}},
		{name: "half pair in JSON", rawJSON: `{"name":"alidns","access_key_id":"x"}`,
			want: []string{"access_key_id is set but access_key_secret is empty", "set access_key_secret"}},
		{name: "unset placeholder", provider: block("access_key_id {env.T_ALIDNS_ID}", "access_key_secret {env.T_ALIDNS_NOPE}"),
			want: []string{"access_key_secret", "{env.T_ALIDNS_NOPE} is empty"}},
		{name: "bad endpoint in JSON", rawJSON: `{"name":"alidns","access_key_id":"{env.T_ALIDNS_ID}","access_key_secret":"{env.T_ALIDNS_SECRET}","endpoint":"ftp://x"}`,
			want: []string{`scheme "ftp" is not supported`}},
		{name: "bad ALIDNS_ENDPOINT", provider: "alidns {env.T_ALIDNS_ID} {env.T_ALIDNS_SECRET}", env: map[string]string{"ALIDNS_ENDPOINT": "https://x/y"},
			want: []string{"ALIDNS_ENDPOINT", "must be only scheme://host[:port]"}},
		{name: "nanosecond TTL in JSON", rawJSON: `{"name":"alidns","ttl":600}`, want: []string{"ttl 600ns is below 1 s", `write "600s"`}},
		{name: "negative TTL in JSON", rawJSON: `{"name":"alidns","ttl":"-10m"}`, want: []string{"ttl -10m0s is negative"}},
		{name: "oversize TTL in JSON", rawJSON: `{"name":"alidns","ttl":"48h"}`, want: []string{"above AliDNS's maximum of 86400 s"}},
		{name: "unknown field in JSON", rawJSON: `{"name":"alidns","access_key":"x"}`, want: []string{"access_key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isolateCredentialEnv(t)
			t.Setenv("T_ALIDNS_ID", modKeyID)
			t.Setenv("T_ALIDNS_SECRET", modKeySecret)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			provider := tc.provider
			if provider == "" {
				provider = "alidns"
			}
			cfg := caddyConfig(t, tc.globalDNS, provider)
			if tc.rawJSON != "" {
				cfg = replaceProvider(t, cfg, tc.rawJSON)
			}
			err := validateConfig(t, cfg)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("valid config refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("config accepted:\n%s", cfg)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), modKeySecret) {
				t.Error("error contains the secret")
			}
		})
	}
}

// replaceProvider swaps every alidns provider object of cfg for raw.
func replaceProvider(t *testing.T, cfg []byte, raw string) []byte {
	t.Helper()
	var repl any
	if err := json.Unmarshal([]byte(raw), &repl); err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(cfg, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			if x["name"] == "alidns" {
				return repl
			}
			for k, c := range x {
				x[k] = walk(c)
			}
		case []any:
			for i, c := range x {
				x[i] = walk(c)
			}
		}
		return v
	}
	out, err := json.Marshal(walk(v))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// caddy.Load runs a config like caddy run: the admin API then returns the
// config as given, with placeholders, and never the expanded secret; the
// module logs through Caddy's logger named dns.providers.alidns, and no
// log line holds the secret.
func TestCaddyLoadAdminConfigKeepsPlaceholders(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	t.Setenv("T_ALIDNS_SECRET", modKeySecret)
	dir, err := os.MkdirTemp("", "alidns-admin")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "admin.sock")
	logFile := filepath.Join(t.TempDir(), "caddy.log")
	provider := fmt.Sprintf(`{"name":"alidns","access_key_id":%q,"access_key_secret":"{env.T_ALIDNS_SECRET}","endpoint":%q}`, modKeyID, s.URL)
	// Only the TLS app (no HTTP server, no certificate to obtain), so
	// nothing listens but the admin socket.
	cfg := fmt.Sprintf(`{
		"admin": {"listen": "unix/%s", "config": {"persist": false}},
		"logging": {"logs": {"default": {"level": "DEBUG", "writer": {"output": "file", "filename": %q}, "encoder": {"format": "json"}}}},
		"storage": {"module": "file_system", "root": %q},
		"apps": {"tls": {
			"dns": %s,
			"automation": {"policies": [{"subjects": ["example.com"], "issuers": [{"module": "acme", "challenges": {"dns": {"provider": %s}}}]}]}
		}}
	}`, sock, logFile, t.TempDir(), provider, provider)
	if err := caddy.Load([]byte(cfg), true); err != nil {
		t.Fatalf("caddy.Load: %v", err)
	}
	t.Cleanup(func() {
		_ = caddy.Load([]byte(`{"admin":{"disabled":true,"config":{"persist":false}}}`), true)
		_ = caddy.Stop()
	})
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}}
	resp, err := client.Get("http://localhost/config/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /config/: %d %s", resp.StatusCode, body)
	}
	if strings.Contains(string(body), modKeySecret) {
		t.Fatalf("admin API returns the expanded secret: %s", body)
	}
	if strings.Count(string(body), "{env.T_ALIDNS_SECRET}") != 2 {
		t.Errorf("admin API config lost the placeholders: %s", body)
	}
	logs, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(logs), modKeySecret) {
		t.Error("Caddy's log contains the secret")
	}
	if n := strings.Count(string(logs), `"logger":"dns.providers.alidns","msg":"provisioned"`); n != 2 {
		t.Errorf("%d provisioned lines from logger dns.providers.alidns, want 2 (one per instance):\n%s", n, logs)
	}
}

// The logs: one debug line per API call with its fields, one info line
// per record created or deleted, and no secret anywhere.
func TestLogging(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	core, logs := observer.New(zap.DebugLevel)
	p := &Provider{AccessKeyID: modKeyID, AccessKeySecret: modKeySecret, Endpoint: s.URL, Retry: fastRetry}
	if err := p.provision(zap.New(core).Named("dns.providers.alidns"), caddy.NewReplacer()); err != nil {
		t.Fatal(err)
	}
	created, err := p.AppendRecords(ctx(t), "example.com.", []libdns.Record{libdns.RR{Type: "TXT", Name: "_acme-challenge.www", Data: "token-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DeleteRecords(ctx(t), "example.com.", created); err != nil {
		t.Fatal(err)
	}
	// A record deleted by name (looked up first).
	if _, err := p.AppendRecords(ctx(t), "example.com.", []libdns.Record{libdns.TXT{Name: "_acme-challenge", Text: "token-2"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.DeleteRecords(ctx(t), "example.com.", []libdns.Record{libdns.TXT{Name: "_acme-challenge", Text: "token-2"}}); err != nil {
		t.Fatal(err)
	}
	// A failing call, signed with a wrong secret.
	bad := &Provider{AccessKeyID: modKeyID, AccessKeySecret: wrongSecret, Endpoint: s.URL, Retry: fastRetry}
	if err := bad.provision(zap.New(core), caddy.NewReplacer()); err != nil {
		t.Fatal(err)
	}
	if _, err := bad.GetRecords(ctx(t), "example.com."); err == nil {
		t.Fatal("wrong secret accepted")
	}

	for _, e := range logs.All() {
		line := e.Message + " " + fmt.Sprint(e.ContextMap())
		if strings.Contains(line, modKeySecret) || strings.Contains(line, wrongSecret) {
			t.Errorf("log entry contains a secret: %s", line)
		}
	}

	calls := logs.FilterMessage("api call").All()
	if len(calls) != s.CallCount("") {
		t.Errorf("%d api call log entries for %d API calls", len(calls), s.CallCount(""))
	}
	add := findEntry(t, calls, "action", "AddDomainRecord")
	wantFields(t, add, zapcore.DebugLevel, map[string]any{"zone": "example.com", "name": "_acme-challenge.www", "type": "TXT", "attempts": int64(1), "retries": int64(0)})
	for _, k := range []string{"duration", "request_id"} {
		if _, ok := add.ContextMap()[k]; !ok {
			t.Errorf("api call entry lacks %s: %v", k, add.ContextMap())
		}
	}
	if add.LoggerName != "dns.providers.alidns" {
		t.Errorf("logger name %q", add.LoggerName)
	}
	// DeleteDomainRecord's request names only the record id; its line
	// says what it deletes too, like every other call's (issue 15, 16).
	info, _ := infoOf(created[0])
	del := findEntry(t, calls, "action", "DeleteDomainRecord")
	wantFields(t, del, zapcore.DebugLevel, map[string]any{"zone": "example.com", "name": "_acme-challenge.www", "type": "TXT", "record_id": info.RecordID})
	failed := findEntry(t, calls, "action", "DescribeDomainRecords")
	if msg, _ := failed.ContextMap()["error"].(string); !strings.Contains(msg, "SignatureDoesNotMatch") {
		t.Errorf("failed call logged without its error: %v", failed.ContextMap())
	}

	createdLogs := logs.FilterMessage("record created").All()
	deletedLogs := logs.FilterMessage("record deleted").All()
	if len(createdLogs) != 2 || len(deletedLogs) != 2 {
		t.Fatalf("%d created and %d deleted info lines, want 2 and 2", len(createdLogs), len(deletedLogs))
	}
	for _, e := range append(createdLogs, deletedLogs...) {
		wantFields(t, e, zapcore.InfoLevel, map[string]any{"zone": "example.com", "type": "TXT"})
		m := e.ContextMap()
		if m["record_id"] == "" || m["record_id"] == nil || m["name"] == nil {
			t.Errorf("%s: %v", e.Message, m)
		}
	}
	if n := deletedLogs[0].ContextMap()["name"]; n != "_acme-challenge.www" {
		t.Errorf("deleted-by-id name %v", n)
	}
}

func findEntry(t *testing.T, entries []observer.LoggedEntry, key, value string) observer.LoggedEntry {
	t.Helper()
	for _, e := range entries {
		if e.ContextMap()[key] == value {
			return e
		}
	}
	t.Fatalf("no log entry with %s=%s", key, value)
	return observer.LoggedEntry{}
}

func wantFields(t *testing.T, e observer.LoggedEntry, level zapcore.Level, want map[string]any) {
	t.Helper()
	if e.Level != level {
		t.Errorf("%q logged at %s, want %s", e.Message, e.Level, level)
	}
	m := e.ContextMap()
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%q: %s = %#v, want %#v (all: %v)", e.Message, k, m[k], v, m)
		}
	}
}
