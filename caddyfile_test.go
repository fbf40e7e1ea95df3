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

var update = flag.Bool("update", false, "rewrite the expected JSON of the cases in testdata/caddyfile")

// adapt runs the real Caddyfile adapter, as caddy adapt and caddy run do.
func adapt(t *testing.T, body string) ([]byte, []caddyconfig.Warning, error) {
	t.Helper()
	return caddyconfig.GetAdapter("caddyfile").Adapt([]byte(body), map[string]any{"filename": "Caddyfile"})
}

const (
	caseJSON  = "----------\n"       // separates a case's Caddyfile from the JSON it adapts to
	caseError = "---------- error\n" // ... or from substrings its error must contain
)

// adapterCase is one file of testdata/caddyfile: a Caddyfile, then either
// the JSON it adapts to or the substrings its adapter error contains.
type adapterCase struct {
	path, caddyfile, json string
	errs                  []string
}

func readAdapterCase(t *testing.T, path string) adapterCase {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := adapterCase{path: path}
	if in, want, ok := strings.Cut(string(b), caseError); ok {
		c.caddyfile = in
		c.errs = strings.Split(strings.TrimRight(want, "\n"), "\n")
		return c
	}
	in, want, ok := strings.Cut(string(b), caseJSON)
	if !ok {
		t.Fatalf("%s: no %q or %q line", path, strings.TrimSpace(caseJSON), strings.TrimSpace(caseError))
	}
	c.caddyfile, c.json = in, want
	return c
}

// Every case of testdata/caddyfile adapts to the JSON it holds (go test
// -run TestCaddyfileAdapt -update rewrites that JSON), or fails with an
// error that names the cause and the Caddyfile line.
func TestCaddyfileAdapt(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "caddyfile", "*.txt"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, path := range paths {
		c := readAdapterCase(t, path)
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			out, warnings, err := adapt(t, c.caddyfile)
			if c.errs != nil {
				if err == nil {
					t.Fatalf("adapted without error:\n%s", c.caddyfile)
				}
				for _, w := range c.errs {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("adapt: %v", err)
			}
			for _, w := range warnings {
				t.Errorf("adapter warning: %s", w)
			}
			checkAdapted(t, c, out)
		})
	}
}

// checkAdapted compares adapted JSON with the case's, and checks each
// provider object in it.
func checkAdapted(t *testing.T, c adapterCase, out []byte) {
	t.Helper()
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, out, "", "\t"); err != nil {
		t.Fatal(err)
	}
	pretty.WriteByte('\n')
	if *update {
		if err := os.WriteFile(c.path, []byte(c.caddyfile+caseJSON+pretty.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if pretty.String() != c.json {
		t.Errorf("adapted JSON differs from %s (go test -run TestCaddyfileAdapt -update rewrites it):\n%s", c.path, pretty.String())
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
		if strings.Contains(c.caddyfile, ph) && !strings.Contains(string(out), ph) {
			t.Errorf("placeholder %s… was expanded by the adapter", ph)
		}
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
			c := readAdapterCase(t, filepath.Join("testdata", "caddyfile", tc.file+".txt"))
			out, _, err := adapt(t, c.caddyfile)
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
