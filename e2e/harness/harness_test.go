package harness

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteBenchmarksKeepsOtherSections(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	before := "# Benchmarks\n\n## Unit\n\nsome figures\n\n"
	after := "## Later section\n\nmore figures\n"
	if err := os.WriteFile(path, []byte(before+after), 0o644); err != nil {
		t.Fatal(err)
	}
	r := []Result{{Order: 2, Scenario: "b", Seconds: -1}, {Order: 1, Scenario: "a", Certs: 1, Seconds: 2.25,
		Calls: map[string]int{"DeleteDomainRecord": 1, "AddDomainRecord": 3}, Failed: map[string]int{"AddDomainRecord": 2}}}
	if err := WriteBenchmarks(path, r, "first run"); err != nil {
		t.Fatal(err)
	}
	if err := WriteBenchmarks(path, r, "second run"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	doc := string(b)
	if !strings.HasPrefix(doc, before) || !strings.Contains(doc, after) {
		t.Fatalf("other sections changed:\n%s", doc)
	}
	if strings.Count(doc, "## End-to-end") != 1 || strings.Contains(doc, "first run") || !strings.Contains(doc, "second run") {
		t.Fatalf("section not replaced:\n%s", doc)
	}
	want := "| a | 1 | 2.2 | AddDomainRecord 3 (2 failed), DeleteDomainRecord 1 |"
	if !strings.Contains(doc, want) || strings.Index(doc, "| a |") > strings.Index(doc, "| b | 0 | – |") {
		t.Fatalf("table rows wrong, want %q first:\n%s", want, doc)
	}
}

func TestPluginFiles(t *testing.T) {
	root, err := FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, err := PluginFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	has := map[string]bool{}
	for _, f := range files {
		has[filepath.ToSlash(f)] = true
		if strings.HasSuffix(f, "_test.go") || strings.HasPrefix(f, "e2e/") || strings.HasPrefix(f, "alidnstest/") || strings.HasPrefix(f, "cmd/") {
			t.Errorf("%s should not be in the caddy hash", f)
		}
	}
	for _, f := range []string{"go.mod", "go.sum", "provider.go", "alidns.go"} {
		if !has[f] {
			t.Errorf("%s missing from the caddy hash (have %v)", f, files)
		}
	}
}
