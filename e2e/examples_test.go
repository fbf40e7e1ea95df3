package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/caddy-alidns/alidns/e2e/harness"
)

func examplePath(name string) string { return filepath.Join(tools.Root, "examples", name) }

func readExample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(examplePath(name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestExamplesCaddyfile adapts examples/Caddyfile with the built caddy and
// checks that examples/caddy.json is its JSON equivalent.
func TestExamplesCaddyfile(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, logs, err := harness.CaddyAdapt(ctx, tools, t.TempDir(), examplePath("Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs, `"level":"warn"`) {
		t.Errorf("caddy adapt warns about examples/Caddyfile:\n%s", logs)
	}
	var adapted, example any
	if err := json.Unmarshal([]byte(out), &adapted); err != nil {
		t.Fatalf("caddy adapt printed no JSON: %v\n%s", err, out)
	}
	if err := json.Unmarshal([]byte(readExample(t, "caddy.json")), &example); err != nil {
		t.Fatalf("examples/caddy.json: %v", err)
	}
	if !reflect.DeepEqual(adapted, example) {
		t.Errorf("examples/caddy.json is not the adapted examples/Caddyfile; caddy adapt gives:\n%s", out)
	}
	if !strings.Contains(out, `"name":"alidns"`) {
		t.Errorf("the adapted Caddyfile does not use the alidns provider:\n%s", out)
	}
}

// TestExamplesValidate runs `caddy validate` on the examples with the
// placeholder credentials of alidns.env.example: the configs load and the
// provider provisions (no API call is made).
func TestExamplesValidate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	envFile := examplePath("alidns.env.example")
	for _, args := range [][]string{
		{"validate", "--config", examplePath("Caddyfile"), "--envfile", envFile},
		{"validate", "--config", examplePath("caddy.json"), "--envfile", envFile},
	} {
		out, _, err := harness.CaddyCommand(ctx, tools, t.TempDir(), nil, args...)
		if err != nil {
			t.Errorf("%v\n%s", err, lastLines(out, 10))
		} else if !strings.Contains(out, "Valid configuration") {
			t.Errorf("caddy %s: %s", strings.Join(args, " "), lastLines(out, 5))
		}
	}
}

// TestExamplesNoRealKeys checks that no example holds something that looks
// like a real AccessKey id.
func TestExamplesNoRealKeys(t *testing.T) {
	realKey := regexp.MustCompile(`LTAI[0-9A-Za-z]{12,}`)
	err := filepath.WalkDir(filepath.Join(tools.Root, "examples"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if m := realKey.Find(b); m != nil {
			t.Errorf("%s contains %q, which looks like a real AccessKey id", path, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	env := readExample(t, "alidns.env.example")
	for _, k := range []string{"ALICLOUD_ACCESS_KEY=", "ALICLOUD_SECRET_KEY="} {
		if !strings.Contains(env, "\n"+k) {
			t.Errorf("alidns.env.example lacks %s", k)
		}
	}
}

// TestExamplesDockerfile checks what can be checked without a Docker
// engine: the official base images, and an xcaddy line that builds this
// module into the Caddy version `make build` uses.
func TestExamplesDockerfile(t *testing.T) {
	df := readExample(t, "Dockerfile")
	for _, from := range []string{"FROM caddy:2.11-builder AS builder", "FROM caddy:2.11\n", "COPY --from=builder /usr/bin/caddy /usr/bin/caddy"} {
		if !strings.Contains(df, from) {
			t.Errorf("Dockerfile lacks %q", strings.TrimSpace(from))
		}
	}
	gomod, err := os.ReadFile(filepath.Join(tools.Root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	module := regexp.MustCompile(`(?m)^module\s+(\S+)`).FindSubmatch(gomod)
	if module == nil || string(module[1]) != harness.Module {
		t.Fatalf("go.mod declares module %q, the harness builds %s", module, harness.Module)
	}
	line := regexp.MustCompile(`(?m)^RUN xcaddy build (v\S+) --with (\S+?)@(\S+)\s*$`).FindStringSubmatch(df)
	if line == nil {
		t.Fatalf("Dockerfile has no `RUN xcaddy build <version> --with <module>@<version>` line")
	}
	if line[1] != harness.CaddyVersion || line[2] != harness.Module {
		t.Errorf("Dockerfile builds caddy %s with %s, want %s with %s", line[1], line[2], harness.CaddyVersion, harness.Module)
	}

	// make build runs the same xcaddy build, with the local checkout.
	mk, err := os.ReadFile(filepath.Join(tools.Root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"CADDY_VERSION  ?= " + harness.CaddyVersion,
		"XCADDY_VERSION ?= " + harness.XcaddyVersion,
		"MODULE  := " + harness.Module,
		"xcaddy build $(CADDY_VERSION) --with $(MODULE)@v0.0.0=$(CURDIR)",
	} {
		if !strings.Contains(string(mk), want) {
			t.Errorf("Makefile lacks %q (the Dockerfile and the e2e harness assume it)", want)
		}
	}
	args := strings.Join(harness.XcaddyArgs("ROOT", "OUT"), " ")
	if want := "build " + harness.CaddyVersion + " --with " + harness.Module + "@v0.0.0=ROOT"; !strings.HasPrefix(args, want) {
		t.Errorf("the harness runs xcaddy %s, want it to start with %s", args, want)
	}
}

// TestExamplesSystemdUnit checks the unit's credential handling.
func TestExamplesSystemdUnit(t *testing.T) {
	unit := readExample(t, "caddy-alidns.service")
	for _, want := range []string{"\nEnvironmentFile=", "\nExecStart=/usr/bin/caddy run --config /etc/caddy/Caddyfile\n", "[Install]"} {
		if !strings.Contains(unit, want) {
			t.Errorf("caddy-alidns.service lacks %q", strings.TrimSpace(want))
		}
	}
	for _, l := range strings.Split(unit, "\n") {
		if strings.HasPrefix(l, "Exec") && strings.Contains(l, "--environ") {
			t.Errorf("%s: --environ would print the AccessKey secret to the journal", l)
		}
	}
}
