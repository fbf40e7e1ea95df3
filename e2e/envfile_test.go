package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddy-alidns/alidns/e2e/harness"
)

// envCorpus are env files with the forms users write and Caddy reads in
// its own way. Keys start with T_ so they can be told apart from the rest
// of the environment (a BOM makes the first one "\ufeffT_...").
var envCorpus = map[string]string{
	"comments":       "# a comment\n  # indented comment\nT_A=1\nT_B=2 # trailing comment\nT_C=3\t# tab before it\n",
	"hash in values": "T_PASS=pa#ss\nT_QD=\"a#b\"\nT_QS='x # y'\nT_URL=https://h/#frag\n",
	"quotes":         "T_D=\"double quoted\"\nT_S='single quoted'\nT_ESC=\"say \\\"hi\\\"\"\nT_MULTI=\"line one\nline two\"\nT_MIX='it''s'\nT_HALF=\"open\n",
	"export":         "export T_E=1\nexport T_E3=\"q\"\n",
	"blank values":   "T_EMPTY=\nT_EMPTYQ=\"\"\nT_EQ=a=b=c\n\n\n",
	"crlf":           "T_CR1=one\r\nT_CR2=\"two\"\r\n# c\r\nT_CR3=three # c\r\n",
	"bom":            "\ufeffT_BOM=first\nT_AFTER=second\n",
	"duplicates":     "T_DUP=first\nT_DUP=second\n",
	"preset":         "T_PRESET=from-file\nT_NEW=new\n",
	"spaces":         "  T_IND=indented  \nT_TRAIL=trailing   \n",
	// Files Caddy refuses: both must refuse them.
	"bad no equals":          "T_OK=1\nnot a pair\n",
	"bad space in key":       "T_K EY=1\n",
	"bad space before value": "T_V= value\n",
	"bad export two spaces":  "export  T_E2=2\n",
	"bad empty key":          "=value\n",
}

// TestEnvFileParity proves that caddy alidns check reads an env file
// exactly as caddy run does: for every file of the corpus, the
// environment `caddy alidns environ --envfile` (check's loader) reports
// equals what `caddy environ --envfile` (Caddy's own loader) prints, and a
// file one refuses the other refuses too.
func TestEnvFileParity(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	base := map[string]string{"T_PRESET": "from-process"}
	run := func(args ...string) (stdout string, err error) {
		cmd := exec.CommandContext(ctx, tools.Caddy, args...)
		cmd.Dir = dir
		cmd.Env = harness.CaddyEnv(dir, base)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err = cmd.Run()
		if err != nil {
			t.Logf("caddy %s: %v: %s", strings.Join(args, " "), err, errOut.String())
		}
		return out.String(), err
	}
	for name, content := range envCorpus {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".env")
			if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			caddyOut, caddyErr := run("environ", "--envfile", file)
			checkOut, checkErr := run("alidns", "environ", "--envfile", file)
			if strings.HasPrefix(name, "bad ") {
				if caddyErr == nil || checkErr == nil {
					t.Fatalf("caddy environ error %v, caddy alidns environ error %v: want both to refuse the file", caddyErr, checkErr)
				}
				return
			}
			if caddyErr != nil || checkErr != nil {
				t.Fatalf("caddy environ error %v, caddy alidns environ error %v", caddyErr, checkErr)
			}
			var check map[string]string
			if err := json.Unmarshal([]byte(checkOut), &check); err != nil {
				t.Fatalf("caddy alidns environ output: %v\n%s", err, checkOut)
			}
			got := parseEnviron(caddyOut, check)
			want := map[string]string{}
			for k, v := range check {
				if isCorpusKey(k) {
					want[k] = v
				}
			}
			if len(got) != len(want) {
				t.Errorf("caddy environ has %d T_ variables %q, check has %d %q", len(got), got, len(want), want)
			}
			for k, v := range want {
				if cv, ok := got[k]; !ok || cv != v {
					t.Errorf("%q: caddy environ %q (set %v), check %q", k, cv, ok, v)
				}
			}
			if len(want) == 0 {
				t.Errorf("no variable read from %s", name)
			}
		})
	}
}

func isCorpusKey(k string) bool {
	return strings.HasPrefix(strings.TrimPrefix(k, "\ufeff"), "T_")
}

// parseEnviron reads the KEY=VALUE part of `caddy environ` (after its
// first blank line). A line starts a new variable when its name is one of
// known's; any other line continues the previous (multi-line) value.
func parseEnviron(out string, known map[string]string) map[string]string {
	_, env, _ := strings.Cut(out, "\n\n")
	got := map[string]string{}
	cur := ""
	for _, line := range strings.Split(strings.TrimSuffix(env, "\n"), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			if _, isKey := known[k]; isKey {
				cur = k
				if isCorpusKey(k) {
					got[k] = v
				}
				continue
			}
		}
		if isCorpusKey(cur) {
			got[cur] += "\n" + line
		}
	}
	return got
}
