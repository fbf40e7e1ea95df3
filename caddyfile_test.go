package alidns

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	_ "github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile" // the Caddyfile adapter
	_ "github.com/caddyserver/caddy/v2/modules/caddytls"          // tls, acme_dns, dns, ech
	_ "github.com/caddyserver/caddy/v2/modules/filestorage"       // storage file_system
	_ "github.com/caddyserver/caddy/v2/modules/logging"           // log writer file, json encoder
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/caddyfile")

// adapt runs the real Caddyfile adapter, as caddy adapt and caddy run do.
func adapt(t *testing.T, body string) ([]byte, []caddyconfig.Warning, error) {
	t.Helper()
	return caddyconfig.GetAdapter("caddyfile").Adapt([]byte(body), map[string]any{"filename": "Caddyfile"})
}

// Every form of testdata/caddyfile/*.caddyfile adapts to the JSON next to
// it (go test -run TestCaddyfileGolden -update rewrites the JSON).
func TestCaddyfileGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "caddyfile", "*.caddyfile"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".caddyfile")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			out, warnings, err := adapt(t, string(src))
			if err != nil {
				t.Fatalf("adapt: %v", err)
			}
			for _, w := range warnings {
				t.Errorf("adapter warning: %s", w)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, out, "", "\t"); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			golden := strings.TrimSuffix(in, ".caddyfile") + ".json"
			if *update {
				if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestCaddyfileGolden -update)", err)
			}
			if !bytes.Equal(pretty.Bytes(), want) {
				t.Errorf("adapted JSON differs from %s (go test -run TestCaddyfileGolden -update rewrites it):\n%s", golden, pretty.String())
			}

			// Each provider object decodes strictly into a Provider, and
			// placeholders reach the JSON unexpanded.
			provs := findProviders(t, out)
			if len(provs) == 0 {
				t.Fatal("no alidns provider in the adapted JSON")
			}
			for _, raw := range provs {
				var p Provider
				if err := caddy.StrictUnmarshalJSON(caddy.RemoveMetaFields(withoutName(t, raw)), &p); err != nil {
					t.Errorf("provider JSON %s: %v", raw, err)
				}
				if err := p.Validate(); err != nil {
					t.Errorf("adapted provider does not validate: %v", err)
				}
			}
			for _, ph := range []string{"{env.", "{file."} {
				if strings.Contains(string(src), ph) && !strings.Contains(string(out), ph) {
					t.Errorf("placeholder %s… was expanded by the adapter", ph)
				}
			}
		})
	}
}

// findProviders returns every JSON object with "name": "alidns".
func findProviders(t *testing.T, cfg []byte) []json.RawMessage {
	t.Helper()
	var v any
	if err := json.Unmarshal(cfg, &v); err != nil {
		t.Fatal(err)
	}
	var out []json.RawMessage
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["name"] == "alidns" {
				b, _ := json.Marshal(x)
				out = append(out, b)
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(v)
	return out
}

func withoutName(t *testing.T, raw json.RawMessage) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "name")
	b, _ := json.Marshal(m)
	return b
}

// The places a DNS provider goes, and what each adapts to.
func TestCaddyfilePlacement(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		path       []string // path to the provider object in the JSON
	}{
		{"tls dns", "tls_inline", []string{"apps", "tls", "automation", "policies", "0", "issuers", "0", "challenges", "dns", "provider"}},
		{"global dns", "global_dns", []string{"apps", "tls", "dns"}},
		{"acme_dns", "acme_dns", []string{"apps", "tls", "automation", "policies", "0", "issuers", "0", "challenges", "dns", "provider"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata", "caddyfile", tc.file+".caddyfile"))
			if err != nil {
				t.Fatal(err)
			}
			out, _, err := adapt(t, string(src))
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(out, &v); err != nil {
				t.Fatal(err)
			}
			for _, k := range tc.path {
				switch x := v.(type) {
				case map[string]any:
					v = x[k]
				case []any:
					i := int(k[0] - '0')
					if i >= len(x) {
						t.Fatalf("no element %s in %v", k, x)
					}
					v = x[i]
				default:
					t.Fatalf("no %s in JSON %s", k, out)
				}
			}
			m, ok := v.(map[string]any)
			if !ok || m["name"] != "alidns" {
				t.Fatalf("at %s: %v, want the alidns provider; JSON %s", strings.Join(tc.path, "."), v, out)
			}
		})
	}
}

func TestUnmarshalCaddyfileFields(t *testing.T) {
	d := caddyfile.NewTestDispenser(`alidns {
		access_key_id     id1
		access_key_secret secret1
		security_token    token1
		region_id         cn-hangzhou
		endpoint          http://127.0.0.1:8081
		ttl               900
		line              telecom
		http_timeout      30s
	}`)
	var p Provider
	if err := p.UnmarshalCaddyfile(d); err != nil {
		t.Fatal(err)
	}
	if p.AccessKeyID != "id1" || p.AccessKeySecret != "secret1" || p.SecurityToken != "token1" ||
		p.RegionID != "cn-hangzhou" || p.Endpoint != "http://127.0.0.1:8081" || p.Line != "telecom" ||
		time.Duration(p.TTL) != 900*time.Second || time.Duration(p.HTTPTimeout) != 30*time.Second {
		t.Errorf("got %+v", &p)
	}

	for _, tc := range []struct {
		in   string
		want *Provider
	}{
		{"alidns", &Provider{}},
		{"alidns id2 secret2", &Provider{AccessKeyID: "id2", AccessKeySecret: "secret2"}},
		{"alidns {\n profile prod\n}", &Provider{Profile: "prod"}},
		{"alidns {\n ram_role caddy\n}", &Provider{RAMRole: "caddy"}},
		{"alidns {\n ttl 1h\n}", &Provider{TTL: caddy.Duration(time.Hour)}},
		{"alidns {\n ttl 86400\n}", &Provider{TTL: caddy.Duration(86400 * time.Second)}},
		{"alidns {\n ttl 0\n}", &Provider{}},
		{"alidns {\n}", &Provider{}},
		{"alidns {env.ID} {env.SECRET}", &Provider{AccessKeyID: "{env.ID}", AccessKeySecret: "{env.SECRET}"}},
	} {
		var p Provider
		if err := p.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tc.in)); err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if p.AccessKeyID != tc.want.AccessKeyID || p.AccessKeySecret != tc.want.AccessKeySecret ||
			p.Profile != tc.want.Profile || p.RAMRole != tc.want.RAMRole || p.TTL != tc.want.TTL {
			t.Errorf("%q: got %+v", tc.in, &p)
		}
	}
}

// Mistakes are refused by the adapter with the file and line, and a
// message that names the subdirective and says what to do.
func TestCaddyfileErrors(t *testing.T) {
	site := func(provider string) string {
		return "example.com {\n\ttls {\n\t\tdns " + provider + "\n\t}\n}\n"
	}
	for _, tc := range []struct {
		name, caddyfile string
		want            []string
	}{
		{"unknown subdirective", site("alidns {\n\t\t\taccess_key id\n\t\t}"), []string{`unrecognized alidns subdirective "access_key"`, "access_key_id", "Caddyfile:4"}},
		{"one inline argument", site("alidns onlyid"), []string{"no arguments or exactly two", "got 1", "Caddyfile:3"}},
		{"three inline arguments", site("alidns a b c"), []string{"got 3", "Caddyfile:3"}},
		{"missing value", site("alidns {\n\t\t\taccess_key_id\n\t\t\taccess_key_secret s\n\t\t}"), []string{"access_key_id needs a value", "Caddyfile:4"}},
		{"two values", site("alidns {\n\t\t\tregion_id cn-hangzhou cn-shanghai\n\t\t}"), []string{"region_id takes exactly one value", "Caddyfile:4"}},
		{"empty value", site("alidns {\n\t\t\taccess_key_id \"\"\n\t\t\taccess_key_secret s\n\t\t}"), []string{"access_key_id has an empty value", "Caddyfile:4"}},
		{"given twice", site("alidns id secret {\n\t\t\taccess_key_id other\n\t\t}"), []string{"access_key_id is already set (line 3)", "Caddyfile:4"}},
		{"half pair", site("alidns {\n\t\t\taccess_key_id id\n\t\t\tregion_id cn-hangzhou\n\t\t}"), []string{"access_key_secret is not", "Caddyfile:"}},
		{"secret only", site("alidns {\n\t\t\taccess_key_secret s\n\t\t}"), []string{"access_key_id is not", "Caddyfile:"}},
		{"token only", site("alidns {\n\t\t\tsecurity_token t\n\t\t}"), []string{"security_token is set without", "Caddyfile:"}},
		{"negative ttl", site("alidns {\n\t\t\tttl -5\n\t\t}"), []string{`ttl "-5" is negative`, "Caddyfile:4"}},
		{"oversize ttl", site("alidns {\n\t\t\tttl 90000\n\t\t}"), []string{`ttl "90000" is above AliDNS's maximum of 86400 s`, "Caddyfile:4"}},
		{"oversize ttl duration", site("alidns {\n\t\t\tttl 48h\n\t\t}"), []string{"above AliDNS's maximum", "Caddyfile:4"}},
		{"sub-second ttl", site("alidns {\n\t\t\tttl 500ms\n\t\t}"), []string{"below 1 s", "Caddyfile:4"}},
		{"bad ttl", site("alidns {\n\t\t\tttl soon\n\t\t}"), []string{`ttl "soon" is neither whole seconds`, "Caddyfile:4"}},
		{"bad http_timeout", site("alidns {\n\t\t\thttp_timeout -1s\n\t\t}"), []string{"http_timeout", "positive duration", "Caddyfile:4"}},
		{"bad endpoint", site("alidns {\n\t\t\tendpoint ftp://alidns.aliyuncs.com\n\t\t}"), []string{`scheme "ftp" is not supported`, "Caddyfile:4"}},
		{"endpoint with path", site("alidns {\n\t\t\tendpoint https://alidns.aliyuncs.com/v1\n\t\t}"), []string{"without path or query", "Caddyfile:4"}},
		{"nested block", site("alidns {\n\t\t\tline x {\n\t\t\t\ty\n\t\t\t}\n\t\t}"), []string{"line does not take a block", "Caddyfile:4"}},
		{"global dns", "{\n\tdns alidns {\n\t\tfoo bar\n\t}\n}\nexample.com {\n}\n", []string{`unrecognized alidns subdirective "foo"`, "Caddyfile:3"}},
		{"acme_dns", "{\n\tacme_dns alidns x\n}\nexample.com {\n}\n", []string{"got 1", "Caddyfile:2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := adapt(t, tc.caddyfile)
			if err == nil {
				t.Fatalf("adapted without error:\n%s", tc.caddyfile)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
