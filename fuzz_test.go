package alidns

import (
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// Fuzz targets for the parsers that take server or user input (record
// values have their own, FuzzToAPI). `make fuzz` runs each briefly; the
// seed corpora are in testdata/fuzz/<name>.

// FuzzPages: any first page (JSON as AliDNS would send it, decoded as the
// client decodes it) and any sizes of the later pages: paging never
// panics, never has more than pageConcurrency pages in flight, reads at
// most maxPages, stops at the first short page, refuses a page holding
// more than PageSize entries, and returns only full pages before the last.
func FuzzPages(f *testing.F) {
	for _, s := range []struct {
		first string
		sizes []byte
	}{
		{`{"RequestId":"R","TotalCount":4e18,"DomainRecords":{"Record":[]}}`, nil},
		{`{"RequestId":"R","TotalCount":500000,"DomainRecords":{"Record":[]}}`, nil},
		{`{"RequestId":"R","TotalCount":35,"DomainRecords":{"Record":[{},{},{},{},{},{},{},{},{},{}]}}`, []byte{10, 10, 5}},
		{`{"RequestId":"R","TotalCount":-5,"DomainRecords":{"Record":[{}]}}`, []byte{10}},
		{`{"RequestId":"R","TotalCount":9223372036854775807,"DomainRecords":{"Record":[{},{},{},{},{},{},{},{},{},{}]}}`, []byte{10, 10, 10, 0}},
		{`{"TotalCount":"12"}`, nil},
	} {
		f.Add([]byte(s.first), s.sizes)
	}
	const pageSize = 10
	f.Fuzz(func(t *testing.T, first, sizes []byte) {
		var p1 recordsPage
		if json.Unmarshal(first, &p1) != nil {
			return // the client reports an undecodable page as an error
		}
		var calls, inFlight, peak atomic.Int64
		fetch := func(page int) (recordsPage, error) {
			calls.Add(1)
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			if page == 1 {
				return p1, nil
			}
			var pg recordsPage
			pg.TotalCount = p1.TotalCount
			if i := page - 2; i < len(sizes) {
				pg.DomainRecords.Record = make([]apiRecord, int(sizes[i])%(pageSize+1))
			}
			return pg, nil
		}
		pages, err := fetchPages(pageSize, fetch, func(p recordsPage) int64 { return p.TotalCount })
		if peak.Load() > pageConcurrency || calls.Load() > maxPages {
			t.Fatalf("%d calls, %d in flight at once", calls.Load(), peak.Load())
		}
		// Past the first short page, at most the pages already in flight.
		if short := firstShort(p1, sizes, pageSize); short > 0 && calls.Load() > int64(short+pageConcurrency) {
			t.Fatalf("%d calls; page %d was short", calls.Load(), short)
		}
		if p1.entries() > pageSize && err == nil {
			t.Fatalf("a first page of %d entries (PageSize %d) was accepted", p1.entries(), pageSize)
		}
		if err != nil {
			return
		}
		for i, pg := range pages[:len(pages)-1] {
			if pg.entries() != pageSize {
				t.Fatalf("page %d of %d has %d entries: only the last may be short", i+1, len(pages), pg.entries())
			}
		}
	})
}

// firstShort is the number of the first page with fewer than pageSize
// entries (0: none within sizes).
func firstShort(p1 recordsPage, sizes []byte, pageSize int) int {
	if p1.entries() < pageSize {
		return 1
	}
	for i, s := range sizes {
		if int(s)%(pageSize+1) < pageSize {
			return i + 2
		}
	}
	return len(sizes) + 2 // every later page is empty
}

// FuzzZoneNames: zone and record names from users (Caddyfile, libdns
// callers, certmagic): no panic; a zone of dots and spaces is "empty"; an
// accepted zone has no empty label and is stable; an accepted name is a
// non-empty relative name.
func FuzzZoneNames(f *testing.F) {
	for _, s := range []string{"", ".", "..", " . ", "example.com.", "xn--.com", "xn--zz.", "xn--fsqu00a.xn--fiqs8s.", "\xff\xfe.com",
		strings.Repeat("a", 300) + ".com", "a..b", "*.example.com", "_acme-challenge.example.com.", "EXAMPLE.COM", "例子.测试", "xn--ls8h.la"} {
		f.Add(s, "www")
	}
	f.Add("example.com.", "_acme-challenge.www.example.com.")
	f.Add("example.com", "@")
	f.Fuzz(func(t *testing.T, zone, name string) {
		z, err := apiZone(zone)
		_ = asciiName(zone)
		_ = unicodeName(zone)
		if strings.Trim(zone, ". ") == "" {
			if err == nil || !strings.Contains(err.Error(), "zone is empty") {
				t.Fatalf("zone %q: %q, %v; want \"zone is empty\"", zone, z, err)
			}
			return
		}
		if err != nil {
			return
		}
		if z == "" || strings.HasPrefix(z, ".") || strings.HasSuffix(z, ".") || strings.Contains(z, "..") {
			t.Fatalf("zone %q accepted as %q", zone, z)
		}
		if z2, err := apiZone(z); err != nil || z2 != z {
			t.Fatalf("apiZone not stable: %q -> %q -> %q, %v", zone, z, z2, err)
		}
		rel, err := relativeName(name, z)
		if err == nil && rel == "" {
			t.Fatalf("relativeName(%q, %q) = empty", name, z)
		}
		_ = subDomain(rel, z)
		_ = closestZones(z, []hostedZone{{DomainName: z}, {PunyCode: zone}})
	})
}

// FuzzEnvFile: env files as `caddy run --envfile` reads them (envfile.go
// follows Caddy's parser; the e2e test TestEnvFileParity compares the two
// on a corpus with a real caddy). No panic; an error never quotes a value;
// every key read is non-empty without spaces; a plain KEY=VALUE line reads
// as itself.
func FuzzEnvFile(f *testing.F) {
	for _, s := range []string{
		"# a comment\n  # indented comment\nT_A=1\nT_B=2 # trailing comment\nT_C=3\t# tab before it\n",
		"T_PASS=pa#ss\nT_QD=\"a#b\"\nT_QS='x # y'\nT_URL=https://h/#frag\n",
		"T_D=\"double quoted\"\nT_S='single quoted'\nT_ESC=\"say \\\"hi\\\"\"\nT_MULTI=\"line one\nline two\"\nT_MIX='it''s'\nT_HALF=\"open\n",
		"export T_E=1\nexport T_E3=\"q\"\n", "T_EMPTY=\nT_EMPTYQ=\"\"\nT_EQ=a=b=c\n\n\n", "T_CR1=one\r\nT_CR2=\"two\"\r\n# c\r\nT_CR3=three # c\r\n",
		"\ufeffT_BOM=first\nT_AFTER=second\n", "T_DUP=first\nT_DUP=second\n", "  T_IND=indented  \nT_TRAIL=trailing   \n",
		"T_OK=1\nnot a pair\n", "T_K EY=1\n", "T_V= SECRETVALUE\n", "export  T_E2=2\n", "=value\n",
		"ALICLOUD_SECRET_KEY= SECRETVALUE\n", "ALICLOUD_ACCESS_KEY=LTAIabc\nALICLOUD_SECRET_KEY=\"SECRETVALUE\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, content string) {
		got, err := parseCaddyEnvFile(strings.NewReader(content))
		_ = envFileWarnings(content)
		if err != nil {
			// Values may be secrets: an error names the line, never a
			// value. (Keys are quoted, so only text after an "=" counts.)
			for _, line := range strings.Split(content, "\n") {
				_, val, ok := strings.Cut(line, "=")
				// Only a value found nowhere else in the file: "0 T_Iabc"
				// is a key (quoted by design) holding line 1's value.
				if v := strings.TrimSpace(val); ok && len(v) >= 6 && strings.Count(content, v) == 1 &&
					strings.Contains(err.Error(), v) {
					t.Fatalf("error quotes the value %q: %v", v, err)
				}
			}
			return
		}
		for k := range got {
			if k == "" || strings.Contains(k, " ") {
				t.Fatalf("key %q read from %q", k, content)
			}
		}
		// A file of one plain line reads as that line says.
		line := strings.TrimSpace(strings.TrimSuffix(content, "\n"))
		key, val, ok := strings.Cut(line, "=")
		if ok && !strings.ContainsAny(content, "\n\r#\"'") && key != "" && !strings.ContainsAny(key, " \t") &&
			!strings.HasPrefix(key, "export") && !strings.HasPrefix(val, " ") && !strings.HasPrefix(val, "\t") && utf8.ValidString(content) {
			if len(got) != 1 || got[key] != val {
				t.Fatalf("%q read as %q, want %s=%q", content, got, key, val)
			}
		}
	})
}

// FuzzCaddyfile: any body after "alidns" is parsed or refused, never
// panics, and a refusal never quotes the secret or the token given.
func FuzzCaddyfile(f *testing.F) {
	for _, s := range []string{"", "LTAIid SECRETVALUE", "{\n access_key_id id\n access_key_secret SECRETVALUE\n}", "LTAIid SECRETVALUE {\n ttl 10m\n}",
		"{\n ttl\n}", "{\n endpoint \"https://x y\"\n}", "{\n line a b\n}", "{\n ttl {\n }\n}", "a b c", "{\n}\n}", "{\n http_timeout -1s\n}",
		"{\n access_key_secret \"sec ret value\"\n}", "{\n endpoint {env.X}\n}", "{\n ttl 99999999999999999999\n}",
		"{\n access_key_secret SECRETVALUE SECOND\n}", "{\n security_token TOKENVALUE\n}", "{\n access_key_secret SECRETVALUE {\n }\n}",
		"{\n access_key_secret SECRETVALUE\n access_key_secret SECRETVALUE2\n}", "id SECRETVALUE {\n access_key_id other\n}\nSECRETVALUE",
		"{\n access_key_id LTAIid\n Xy7kQ2mN9pL4rT8vW1zA3bC6dE0fG5\n}", "{\n}\nXy7kQ2mN9pL4rT8vW1zA3bC6dE0fG5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		if !utf8.ValidString(body) {
			return
		}
		toks, err := caddyfile.Tokenize([]byte("alidns "+body), "Caddyfile")
		if err != nil || len(toks) == 0 {
			return
		}
		p := new(Provider)
		err = p.UnmarshalCaddyfile(caddyfile.NewDispenser(toks))
		if err == nil {
			_ = p.Validate()
			_ = p.checkDurations()
			return
		}
		// The error quotes a secret if it changes with it: the same body
		// with the secret replaced gives an error holding the replacement.
		for _, secret := range caddyfileSecrets(toks) {
			if len(secret) < 6 || !strings.Contains(err.Error(), secret) {
				continue
			}
			other := strings.Repeat("QZ7", len(secret))[:len(secret)]
			toks2, terr := caddyfile.Tokenize([]byte("alidns "+strings.ReplaceAll(body, secret, other)), "Caddyfile")
			if terr != nil {
				continue
			}
			if err2 := new(Provider).UnmarshalCaddyfile(caddyfile.NewDispenser(toks2)); err2 != nil && strings.Contains(err2.Error(), other) {
				t.Fatalf("error quotes the secret %q: %v", secret, err)
			}
		}
	})
}

// caddyfileSecrets are the values given as a secret or token in toks
// (the second inline argument, access_key_secret, security_token) that
// appear nowhere else in them.
func caddyfileSecrets(toks []caddyfile.Token) []string {
	var out []string
	add := func(s string) {
		// Only a value no other token holds, whole or in part: the
		// check replaces it in the body ("099999" after "ttl 0999999"
		// once changed the ttl quoted in the error too).
		n := 0
		for _, tok := range toks {
			if strings.Contains(tok.Text, s) {
				n++
			}
		}
		if n == 1 {
			out = append(out, s)
		}
	}
	if len(toks) >= 3 && toks[1].Line == toks[0].Line && toks[2].Line == toks[0].Line && toks[1].Text != "{" && toks[2].Text != "{" {
		add(toks[2].Text)
	}
	for i := 0; i+1 < len(toks); i++ {
		if toks[i].Text == "access_key_secret" || toks[i].Text == "security_token" {
			add(toks[i+1].Text)
		}
	}
	// A value where a subdirective name belongs (first on its line): a
	// secret written without its setting name.
	for i := 1; i < len(toks); i++ {
		if toks[i].Line != toks[i-1].Line && !nameLike.MatchString(toks[i].Text) && toks[i].Text != "{" && toks[i].Text != "}" {
			add(toks[i].Text)
		}
	}
	return out
}
