package alidns

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/spf13/pflag"
)

// The README's option table, the Caddyfile subdirectives and the
// subcommands' flags all come from settingsTable: this keeps the README
// in step and checks each row reaches every place.
func TestSettingsTableDrivesEverything(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	// The table whose header starts "| Caddyfile / JSON".
	_, table, ok := strings.Cut(string(readme), "\n| Caddyfile / JSON")
	if !ok {
		t.Fatal("README has no option table headed \"| Caddyfile / JSON\"")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	var documented []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|").FindAllStringSubmatch(table, -1) {
		documented = append(documented, m[1])
	}
	if strings.Join(documented, " ") != strings.Join(settingKeys(), " ") {
		t.Errorf("README's option table lists %v, settingsTable has %v (same order)", documented, settingKeys())
	}

	var f commandFlags
	fs := pflag.NewFlagSet("check", pflag.ContinueOnError)
	f.register(fs, 0, "time limit")
	for _, row := range settingsTable {
		// Every option is a Caddyfile subdirective...
		p := new(Provider)
		val := "v"
		if row.dur != nil {
			val = "7s"
		} else if row.check != nil {
			val = "https://alidns.example"
		}
		// (credential options need their counterparts to be complete)
		block := row.key + " " + val + "\n" + credentialCompanions[row.key]
		d := caddyfile.NewTestDispenser("alidns {\n" + block + "}")
		if err := p.UnmarshalCaddyfile(d); err != nil {
			t.Errorf("subdirective %s: %v", row.key, err)
		} else if row.text != nil && *row.text(p) != val {
			t.Errorf("subdirective %s did not set its field", row.key)
		}
		// ...and a flag of the subcommands, which sets the same field.
		if row.flag == "" {
			continue
		}
		if err := fs.Set(row.flag, val); err != nil {
			t.Errorf("flag --%s: %v", row.flag, err)
			continue
		}
		o, err := f.options(os.Stderr)
		if err != nil {
			t.Fatal(err)
		}
		if row.text != nil && *row.text(o.Provider) != val {
			t.Errorf("--%s did not set %s", row.flag, row.key)
		}
		if row.dur != nil && time.Duration(*row.dur(o.Provider)) != 7*time.Second {
			t.Errorf("--%s did not set %s: %v", row.flag, row.key, *row.dur(o.Provider))
		}
	}
}

// credentialCompanions complete a credential option in a Caddyfile block.
var credentialCompanions = map[string]string{
	"access_key_id":     "access_key_secret other\n",
	"access_key_secret": "access_key_id other\n",
	"security_token":    "access_key_id other\naccess_key_secret other\n",
}
