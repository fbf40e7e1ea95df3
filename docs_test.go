package alidns

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// The README is read in five minutes (issue 16): its first screen holds
// everything needed to get a certificate, and it stays short by linking
// the guides in docs/.
const (
	readmeMaxLines     = 350
	readmeFirstScreen  = 80 // lines within which the quick start must be complete
	readmeTroubleTable = "\n| Error text |"
)

func readDoc(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// docFiles are the README and every guide under docs/.
func docFiles(t *testing.T) []string {
	t.Helper()
	guides, err := filepath.Glob("docs/*.md")
	if err != nil || len(guides) == 0 {
		t.Fatalf("no guides in docs/ (%v)", err)
	}
	return append([]string{"README.md"}, guides...)
}

// TestReadmeFirstScreen pins the quick start: module name, xcaddy line,
// env file, Caddyfile, JSON and run command within the first screen, the
// Caddyfile and JSON being the tested examples/ files, and the env file
// naming the variables the credentials code reads.
func TestReadmeFirstScreen(t *testing.T) {
	readme := readDoc(t, "README.md")
	lines := strings.Split(strings.TrimRight(readme, "\n"), "\n")
	if len(lines) > readmeMaxLines {
		t.Errorf("README has %d lines, want at most %d: move details to docs/", len(lines), readmeMaxLines)
	}
	first := strings.Join(lines[:min(len(lines), readmeFirstScreen)], "\n")
	for _, want := range []string{
		"dns.providers.alidns",
		"xcaddy build --with github.com/caddy-alidns/alidns\n",
		envAliCloudAccessKey + "=",
		envAliCloudSecretKey + "=",
		"```caddyfile\n",
		"```json\n",
		"caddy run --config Caddyfile --envfile alidns.env\n",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("the README's first %d lines lack %q", readmeFirstScreen, strings.TrimSpace(want))
		}
	}

	// The quick start's Caddyfile is examples/Caddyfile, which the e2e
	// tests adapt, validate and compare with examples/caddy.json.
	quick := fencedBlock(t, readme, "caddyfile")
	example := stripCaddyfileComments(readDoc(t, "examples/Caddyfile"))
	if normalizeCaddyfile(quick) != example {
		t.Errorf("the README's quick-start Caddyfile is not examples/Caddyfile (comments aside):\n%s\nwant:\n%s", normalizeCaddyfile(quick), example)
	}

	// The JSON snippet is the issuer of examples/caddy.json.
	var snippet, config any
	if err := json.Unmarshal([]byte(fencedBlock(t, readme, "json")), &snippet); err != nil {
		t.Fatalf("the README's first JSON block does not parse: %v", err)
	}
	if err := json.Unmarshal([]byte(readDoc(t, "examples/caddy.json")), &config); err != nil {
		t.Fatal(err)
	}
	issuer := jsonPath(config, "apps", "tls", "automation", "policies", 0, "issuers", 0)
	if !reflect.DeepEqual(snippet, issuer) {
		t.Errorf("the README's JSON snippet %v is not the issuer of examples/caddy.json %v", snippet, issuer)
	}

	// The env file of the quick start works as it is: the credentials
	// code reads these names, and the example file sets them.
	env := readDoc(t, "examples/alidns.env.example")
	for _, k := range []string{envAliCloudAccessKey, envAliCloudSecretKey} {
		if !strings.Contains(first, "\n       "+k+"=<") || !strings.Contains(env, "\n"+k+"=") {
			t.Errorf("%s= is not set in both the README's env file and examples/alidns.env.example", k)
		}
	}

	// The two commands a fresh checkout runs, each said for what.
	makefile := readDoc(t, "Makefile")
	for target, purpose := range map[string]string{"demo": "live demo", "test": "all tests"} {
		if !strings.Contains(makefile, "\n"+target+":") {
			t.Errorf("the Makefile has no %s target", target)
		}
		if !regexp.MustCompile(`(?m)^    make ` + target + ` +# ` + purpose).MatchString(readme) {
			t.Errorf("the README does not list `make %s` as the %s", target, purpose)
		}
	}

	// Timings belong in BENCHMARKS.md, where they carry their date and machine.
	if d := regexp.MustCompile(`\b20\d\d-\d\d-\d\d\b`).FindString(readme); d != "" {
		t.Errorf("the README quotes a dated measurement (%s): put it in BENCHMARKS.md", d)
	}
}

// TestReadmeLinksResolve checks every relative link of the README and the
// guides (file and #anchor), that every guide is linked from the README,
// and that the README sections named by error messages exist.
func TestReadmeLinksResolve(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, doc := range append(docFiles(t), "BENCHMARKS.md") {
		text := readDoc(t, doc)
		for _, m := range link.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, anchor, _ := strings.Cut(target, "#")
			path := doc
			if file != "" {
				path = filepath.Join(filepath.Dir(doc), file)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s links to %s, which does not exist", doc, target)
				continue
			}
			if anchor != "" && !slices.Contains(headingAnchors(t, path), anchor) {
				t.Errorf("%s links to %s: %s has no heading with anchor #%s", doc, target, path, anchor)
			}
		}
	}

	readme := readDoc(t, "README.md")
	for _, guide := range docFiles(t)[1:] {
		if !strings.Contains(readme, "]("+filepath.ToSlash(guide)+")") {
			t.Errorf("the README does not link %s", guide)
		}
	}

	// Error messages send users to these README sections.
	_, credAnchor, _ := strings.Cut(readmeCredentials, "#")
	anchors := headingAnchors(t, "README.md")
	for _, a := range []string{credAnchor, "least-privilege-ram-policy"} {
		if !slices.Contains(anchors, a) {
			t.Errorf("the README has no section #%s, which error messages point to", a)
		}
	}
}

// TestReadmeTroubleshootingKeys: every key of the troubleshooting table
// (the backticked texts of its first column) is text a user really sees:
// part of an error message of this module, a code the AliDNS simulator
// answers as AliDNS does, or an error of the Caddy or certmagic version
// this module builds with. In a key, "…" stands for a varying part.
func TestReadmeTroubleshootingKeys(t *testing.T) {
	readme := readDoc(t, "README.md")
	_, table, ok := strings.Cut(readme, readmeTroubleTable)
	if !ok {
		t.Fatalf("the README has no troubleshooting table headed %q", strings.TrimSpace(readmeTroubleTable))
	}
	table, _, _ = strings.Cut(table, "\n\n")
	var keys []string
	for _, row := range strings.Split(table, "\n")[2:] {
		cells := strings.Split(strings.ReplaceAll(row, `\|`, "\x00"), "|")
		if len(cells) < 4 {
			t.Fatalf("malformed row %q", row)
		}
		row := regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(cells[1], -1)
		if len(row) == 0 {
			t.Errorf("row %q has no error text in its first column", cells[1])
		}
		for _, m := range row {
			keys = append(keys, m[1])
		}
	}
	if len(keys) < 15 {
		t.Fatalf("%d keys in the troubleshooting table, want at least 15: %q", len(keys), keys)
	}

	dirs := []string{".", "internal/api", "alidnstest"}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/caddyserver/caddy/v2", "github.com/caddyserver/certmagic").Output()
	if err != nil {
		t.Fatalf("go list -m (to find Caddy's and certmagic's sources): %v", err)
	}
	mods := strings.Fields(string(out))
	if len(mods) != 2 {
		t.Fatalf("go list -m: %q", out)
	}
	dirs = append(dirs, mods[0], filepath.Join(mods[0], "caddyconfig", "caddyfile"), mods[1])
	lits := stringLiterals(t, dirs)

	for _, key := range keys {
		if !slices.ContainsFunc(lits, func(l string) bool { return renders(l, key) }) {
			t.Errorf("troubleshooting key %q appears in no error text of this module, the simulator, Caddy or certmagic", key)
		}
	}
}

// TestDocCaddyfileSnippets parses every complete `dns alidns` directive
// shown in the README and the guides, in code blocks and inline, with the
// module's Caddyfile parser; the ones with <placeholders> or "…" are
// templates, not configs.
func TestDocCaddyfileSnippets(t *testing.T) {
	inline := regexp.MustCompile("`(dns alidns[^`]*)`")
	checked := 0
	for _, doc := range docFiles(t) {
		var snippets []string
		lines := strings.Split(readDoc(t, doc), "\n")
		for i := 0; i < len(lines); i++ {
			for _, m := range inline.FindAllStringSubmatch(lines[i], -1) {
				snippets = append(snippets, m[1])
			}
			line := strings.TrimSpace(lines[i])
			if !strings.HasPrefix(line, "dns alidns") {
				continue
			}
			// The directive ends where its braces close ({env.X} and
			// {file./x} placeholders open and close on one line).
			snippet := []string{line}
			for depth := strings.Count(line, "{") - strings.Count(line, "}"); depth > 0 && i+1 < len(lines); {
				i++
				snippet = append(snippet, lines[i])
				depth += strings.Count(lines[i], "{") - strings.Count(lines[i], "}")
			}
			snippets = append(snippets, strings.Join(snippet, "\n"))
		}
		for _, s := range snippets {
			if strings.ContainsAny(s, "<…") {
				continue
			}
			if err := new(Provider).UnmarshalCaddyfile(caddyfile.NewTestDispenser(strings.TrimPrefix(s, "dns "))); err != nil {
				t.Errorf("%s: %q: %v", doc, s, err)
			}
			checked++
		}
	}
	if checked < 5 {
		t.Errorf("checked %d `dns alidns` snippets, want at least 5", checked)
	}
}

// fencedBlock is the body of the first ```lang block of text, without the
// list indentation it may carry.
func fencedBlock(t *testing.T, text, lang string) string {
	t.Helper()
	m := regexp.MustCompile("(?ms)^( *)```" + lang + "\n(.*?)^ *```$").FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no ```%s block", lang)
	}
	var b strings.Builder
	for _, l := range strings.SplitAfter(m[2], "\n") {
		b.WriteString(strings.TrimPrefix(l, m[1]))
	}
	return b.String()
}

// stripCaddyfileComments drops comment lines and normalizes the rest.
func stripCaddyfileComments(s string) string {
	var kept []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			kept = append(kept, l)
		}
	}
	return normalizeCaddyfile(strings.Join(kept, "\n"))
}

// normalizeCaddyfile indents with tabs (as caddy fmt does), and drops
// trailing spaces and blank lines at the ends.
func normalizeCaddyfile(s string) string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		l = strings.TrimRight(l, " \t")
		body := strings.TrimLeft(l, " \t")
		indent := strings.Count(l[:len(l)-len(body)], "\t") + strings.Count(l[:len(l)-len(body)], " ")/4
		out = append(out, strings.Repeat("\t", indent)+body)
	}
	return strings.Join(out, "\n")
}

// jsonPath follows keys (string) and indexes (int) into a decoded JSON value.
func jsonPath(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// headingAnchors are the anchors GitHub gives the headings of a Markdown
// file: lower case, punctuation other than - and _ dropped, spaces as -.
func headingAnchors(t *testing.T, path string) []string {
	t.Helper()
	var anchors []string
	inFence := false
	for _, l := range strings.Split(readDoc(t, path), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			inFence = !inFence
		}
		if inFence || !strings.HasPrefix(l, "#") {
			continue
		}
		title := strings.TrimSpace(strings.TrimLeft(l, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(title) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
				b.WriteRune(r)
			}
		}
		anchors = append(anchors, b.String())
	}
	return anchors
}

// stringLiterals returns the string literals of the non-test Go files in
// dirs (not their subdirectories).
func stringLiterals(t *testing.T, dirs []string) []string {
	t.Helper()
	var lits []string
	fset := token.NewFileSet()
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s (%v)", dir, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil {
						lits = append(lits, s)
					}
				}
				return true
			})
		}
	}
	return lits
}

// fmtVerb is a verb of a format string; what it prints varies.
var fmtVerb = regexp.MustCompile(`%[-+# 0]*[0-9]*(?:\.[0-9]+)?[a-zA-Z]`)

// renders reports whether text can be part of what the format string
// lit prints, with at least half of text coming from lit itself (so that
// "%s" does not match everything). A verb stands for a word (an error,
// %v or %w, for any text); a "…" in text stands for any part of lit.
func renders(lit, text string) bool {
	if strings.Contains(lit, text) {
		return true
	}
	if !strings.ContainsAny(lit+text, "%…") {
		return false
	}
	// The pattern as runes, verbs as -1 (a word) or -2 (any text). A
	// state is a position in it holding the most runes of text matched by
	// lit's own runes so far (-1: not reached); text may start and end
	// anywhere in the pattern.
	var pat []rune
	last := 0
	for _, m := range fmtVerb.FindAllStringIndex(lit, -1) {
		pat = append(pat, []rune(lit[last:m[0]])...)
		if verb := lit[m[1]-1]; verb == 'v' || verb == 'w' {
			pat = append(pat, -2)
		} else {
			pat = append(pat, -1)
		}
		last = m[1]
	}
	pat = append(pat, []rune(lit[last:])...)
	states := make([]int, len(pat)+1)
	n := 0
	for _, r := range text {
		next := make([]int, len(pat)+1)
		for i := range next {
			next[i] = -1
		}
		if r == '…' {
			// Skips any part of the pattern, verbs included.
			best := -1
			for i := range states {
				best = max(best, states[i])
				next[i] = best
			}
			states = next
			continue
		}
		n++
		moved := false
		for i := 0; i < len(pat); i++ {
			if states[i] < 0 {
				continue
			}
			switch pat[i] {
			case -1, -2:
				// The verb prints r, and maybe more; or it ended before r.
				if pat[i] == -2 || !unicode.IsSpace(r) {
					next[i] = max(next[i], states[i])
				}
				if i+1 < len(pat) && pat[i+1] == r {
					next[i+2] = max(next[i+2], states[i]+1)
				}
				moved = true
			case r:
				next[i+1] = max(next[i+1], states[i]+1)
				moved = true
			}
		}
		if !moved {
			return false
		}
		states = next
	}
	return slices.Max(states)*2 >= n
}
