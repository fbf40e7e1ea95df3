package alidns

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"

	"github.com/caddy-alidns/alidns/alidnstest"
)

// checkWith runs runCheck with the given provider settings and returns
// its error and output, which must never contain a secret.
func checkWith(t *testing.T, p *Provider, domain string, readOnly bool) (string, error) {
	t.Helper()
	if p.Retry.MaxAttempts == 0 {
		p.Retry = fastRetry
	}
	var out bytes.Buffer
	err := runCheck(ctx(t), checkOptions{commandOptions: commandOptions{Provider: p}, Domain: domain, ReadOnly: readOnly}, &out)
	assertNoCommandSecrets(t, out.String())
	if err != nil {
		assertNoCommandSecrets(t, err.Error())
	}
	return out.String(), err
}

func assertNoCommandSecrets(t *testing.T, s string) {
	t.Helper()
	for _, secret := range []string{modKeySecret, wrongSecret, alidnstest.DefaultAccessKeySecret} {
		if strings.Contains(s, secret) {
			t.Errorf("output contains the secret %q:\n%s", secret, s)
		}
	}
}

func wantLines(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func keyProvider(s *alidnstest.Server, secret string) *Provider {
	return &Provider{AccessKeyID: modKeyID, AccessKeySecret: secret, Endpoint: s.URL}
}

func TestCheckSuccess(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	out, err := checkWith(t, keyProvider(s, modKeySecret), "www.example.com", false)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	wantLines(t, out,
		"Checking AliDNS for www.example.com (challenge record _acme-challenge.www.example.com)",
		"✓ settings", "endpoint "+s.URL+" (from --endpoint), line default (default)",
		"✓ credentials    from config, AccessKey ID LTAI…yID",
		"✓ zones          the account hosts 1 zone(s)",
		`✓ hosted zone    example.com holds _acme-challenge.www.example.com (record name "_acme-challenge.www"), Free`,
		"minimum TTL 600 s (from the edition)",
		"✓ existing       no records at _acme-challenge.www.example.com",
		"✓ create TXT     created record", "TTL 600 s", "caddy-alidns-check-",
		"✓ delete TXT     deleted record",
		"All checks passed (0 warning(s))",
	)
	if strings.Contains(out, "✗") {
		t.Errorf("a step failed:\n%s", out)
	}
	if n := len(s.Records("example.com")); n != 0 {
		t.Errorf("%d records left behind", n)
	}
	if s.CallCount("AddDomainRecord") != 1 || s.CallCount("DeleteDomainRecord") != 1 {
		t.Errorf("calls: %d add, %d delete", s.CallCount("AddDomainRecord"), s.CallCount("DeleteDomainRecord"))
	}
}

// A wildcard shares its base name's challenge record; credentials and the
// endpoint come from the environment, as for the module.
func TestCheckFromEnvironment(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	t.Setenv("ALICLOUD_ACCESS_KEY", modKeyID)
	t.Setenv("ALICLOUD_SECRET_KEY", modKeySecret)
	t.Setenv("ALIDNS_ENDPOINT", s.URL)
	out, err := checkWith(t, new(Provider), "*.example.com", false)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	wantLines(t, out,
		"(challenge record _acme-challenge.example.com)",
		"(from ALIDNS_ENDPOINT)",
		"from env ALICLOUD_ACCESS_KEY/ALICLOUD_SECRET_KEY",
		`holds _acme-challenge.example.com (record name "_acme-challenge")`,
		"All checks passed")
}

func TestCheckDeniedAddDomainRecord(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	s.AllowActions(modKeyID, "DescribeDomains", "DescribeSubDomainRecords", "DeleteDomainRecord")
	out, err := checkWith(t, keyProvider(s, modKeySecret), "www.example.com", false)
	if !errors.Is(err, errChecksFailed) {
		t.Fatalf("err = %v\n%s", err, out)
	}
	wantLines(t, out,
		"✗ create TXT     cannot create a TXT record at _acme-challenge.www.example.com",
		"error code: Forbidden.RAM",
		"request id: ",
		"denied RAM action: alidns:AddDomainRecord",
		"what to do: allow alidns:AddDomainRecord to the RAM user or role of this AccessKey",
		"- delete TXT     skipped: nothing was created",
		"1 check(s) failed")
}

// Without DescribeDomains (not needed for certificates) the zone is found
// by probing, with a warning, and the check passes.
func TestCheckWithoutDescribeDomains(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	s.AllowActions(modKeyID, "DescribeSubDomainRecords", "AddDomainRecord", "DeleteDomainRecord")
	out, err := checkWith(t, keyProvider(s, modKeySecret), "a.b.example.com", false)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	wantLines(t, out,
		"! zones          alidns:DescribeDomains is not allowed (optional",
		`✓ hosted zone    example.com holds _acme-challenge.a.b.example.com (record name "_acme-challenge.a.b")`,
		"✓ delete TXT",
		"All checks passed (1 warning(s))")
}

func TestCheckWrongSecret(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	out, err := checkWith(t, keyProvider(s, wrongSecret), "www.example.com", false)
	if !errors.Is(err, errChecksFailed) {
		t.Fatalf("err = %v\n%s", err, out)
	}
	wantLines(t, out,
		"✓ credentials    from config", // resolved, but refused by the API:
		"✗ zones          the API refused the credentials",
		"error code: SignatureDoesNotMatch",
		"what to do: the AccessKey secret does not match the AccessKey ID")
	if s.CallCount("AddDomainRecord") != 0 {
		t.Error("went on writing after the credentials were refused")
	}
}

func TestCheckUnknownZone(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	s.AddZone("example.net", alidnstest.EditionPersonal)
	out, err := checkWith(t, keyProvider(s, modKeySecret), "www.example.org", false)
	if !errors.Is(err, errChecksFailed) {
		t.Fatalf("err = %v\n%s", err, out)
	}
	wantLines(t, out,
		"✗ hosted zone    no zone of this account contains _acme-challenge.www.example.org",
		"the account hosts: example.com, example.net",
		"what to do: add the domain's zone")
	if s.CallCount("AddDomainRecord") != 0 {
		t.Error("tried to write without a zone")
	}
}

func TestCheckReadOnly(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	s.PutRecord("example.com", alidnstest.Record{RR: "_acme-challenge.www", Type: "TXT", Value: "stale"})
	out, err := checkWith(t, keyProvider(s, modKeySecret), "www.example.com", true)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	wantLines(t, out,
		"✓ existing       1 TXT record(s) already at _acme-challenge.www.example.com",
		"- create TXT     skipped (--read-only)",
		"Read-only checks passed")
	for _, c := range s.Calls() {
		if !strings.HasPrefix(c.Action, "Describe") {
			t.Errorf("read-only check called %s", c.Action)
		}
	}
}

// A sub-domain hosted as its own zone: the check uses it and says that
// its parent is hosted too; checking the parent names the sub-zone.
func TestCheckSubZones(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	s.AddZone("sub.example.com", alidnstest.EditionFree)
	out, err := checkWith(t, keyProvider(s, modKeySecret), "www.sub.example.com", true)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	wantLines(t, out,
		"✓ hosted zone    sub.example.com holds _acme-challenge.www.sub.example.com",
		"! sub-zone       sub.example.com is hosted as its own zone, and so is its parent example.com",
		"delegate it")
	out, err = checkWith(t, keyProvider(s, modKeySecret), "example.com", true)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	wantLines(t, out, "✓ sub-zones      hosted as zones of their own: sub.example.com")
}

func TestCheckNoCredentials(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	out, err := checkWith(t, &Provider{Endpoint: s.URL}, "www.example.com", false)
	if !errors.Is(err, errChecksFailed) {
		t.Fatalf("err = %v\n%s", err, out)
	}
	wantLines(t, out, "✗ credentials    none usable", "no Alibaba Cloud credentials found", "ALICLOUD_ACCESS_KEY")
	if s.CallCount("") != 0 {
		t.Error("called the API without credentials")
	}
}

func TestCheckBadSettings(t *testing.T) {
	isolateCredentialEnv(t)
	for _, tc := range []struct {
		p    *Provider
		want string
	}{
		{&Provider{AccessKeyID: modKeyID, AccessKeySecret: modKeySecret, Endpoint: "ftp://x"}, `✗ settings       give endpoint as https://host[:port], or remove it for the default: endpoint "ftp://x": scheme "ftp" is not supported`},
		{&Provider{AccessKeyID: modKeyID}, "✗ settings       set access_key_secret, or remove access_key_id to use ALICLOUD_ACCESS_KEY/ALICLOUD_SECRET_KEY: access_key_id is set but access_key_secret is empty"},
		{&Provider{AccessKeyID: modKeyID, AccessKeySecret: "{env.T_ALIDNS_UNSET_SECRET}"}, "✗ settings       set the variable in Caddy's environment (caddy run --envfile FILE, or Environment= in a systemd unit): access_key_secret: evaluated placeholder {env.T_ALIDNS_UNSET_SECRET} is empty"},
	} {
		out, err := checkWith(t, tc.p, "example.com", false)
		if !errors.Is(err, errChecksFailed) {
			t.Fatalf("err = %v\n%s", err, out)
		}
		wantLines(t, out, tc.want)
	}
	if _, err := checkWith(t, new(Provider), "localhost", false); err == nil || !strings.Contains(err.Error(), "is not a domain name") {
		t.Errorf("single-label domain: %v", err)
	}
}

func TestZones(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	s.AddZone("ultimate.example.net", alidnstest.EditionEnterpriseAdvanced)
	s.AddZone("例子.中国", alidnstest.EditionPersonal)
	s.PutRecord("example.com", alidnstest.Record{RR: "www", Type: "A", Value: "192.0.2.1"})
	var out bytes.Buffer
	if err := runZones(ctx(t), commandOptions{Provider: keyProvider(s, modKeySecret)}, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	wantLines(t, out.String(),
		"3 zone(s):",
		"ZONE", "EDITION", "MIN TTL", "RECORDS",
		"example.com", "(mianfei)", "600 s (from DescribeDomainInfo)",
		"ultimate.example.net", "(version_enterprise_advanced)", "1 s (from DescribeDomainInfo)",
		"例子.中国 (xn--fsqu00a.xn--fiqs8s)", "(version_personal)")
	assertNoCommandSecrets(t, out.String())
	for _, c := range s.Calls() { // the IDN zone is asked for by its Unicode name
		if c.Action == "DescribeDomainInfo" && c.Code != "" {
			t.Errorf("DescribeDomainInfo %s answered %s", c.Params.Get("DomainName"), c.Code)
		}
	}

	// Without DescribeDomainInfo the minimum comes from the edition.
	s.AllowActions(modKeyID, "DescribeDomains")
	out.Reset()
	if err := runZones(ctx(t), commandOptions{Provider: keyProvider(s, modKeySecret)}, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	wantLines(t, out.String(), "600 s (from edition)", "1 s (from edition)", "denied RAM action: alidns:DescribeDomainInfo")

	// Without DescribeDomains there is nothing to list.
	s.AllowActions("sim-access-key-id") // deny everything to the default key
	out.Reset()
	err := runZones(ctx(t), commandOptions{Provider: &Provider{AccessKeyID: alidnstest.DefaultAccessKeyID, AccessKeySecret: alidnstest.DefaultAccessKeySecret, Endpoint: s.URL}}, &out)
	if !errors.Is(err, errChecksFailed) {
		t.Fatalf("err = %v", err)
	}
	wantLines(t, out.String(), "✗ zones", "denied RAM action: alidns:DescribeDomains")
}

// The registered cobra command, run in-process as caddy alidns … would.
func TestCobraCommand(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	envFile := filepath.Join(t.TempDir(), "alidns.env")
	writeFile(t, envFile, "# credentials for caddy\nexport ALICLOUD_ACCESS_KEY="+modKeyID+"\nALICLOUD_SECRET_KEY=\""+modKeySecret+"\"\n")
	unsetenv(t, "ALICLOUD_ACCESS_KEY")
	unsetenv(t, "ALICLOUD_SECRET_KEY")

	reg, ok := caddycmd.Commands()["alidns"]
	if !ok {
		t.Fatal("caddy alidns is not registered")
	}
	run := func(args ...string) (string, error) {
		root := &cobra.Command{Use: "caddy", SilenceUsage: true}
		sub := &cobra.Command{Use: "alidns " + reg.Usage, Short: reg.Short, Long: reg.Long}
		reg.CobraFunc(sub)
		root.AddCommand(sub)
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs(args)
		err := root.ExecuteContext(ctx(t))
		assertNoCommandSecrets(t, out.String())
		return out.String(), err
	}

	out, err := run("alidns", "check", "www.example.com", "--envfile", envFile, "--endpoint", s.URL)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	wantLines(t, out, "from env ALICLOUD_ACCESS_KEY/ALICLOUD_SECRET_KEY", "✓ delete TXT", "All checks passed")

	out, err = run("alidns", "zones", "--endpoint", s.URL)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	wantLines(t, out, "1 zone(s):", "example.com")

	// A failed check: non-zero exit (an error from Execute), the report,
	// and no extra "Error:" line.
	out, err = run("alidns", "check", "www.example.org", "--endpoint", s.URL, "--read-only")
	if !errors.Is(err, errChecksFailed) {
		t.Fatalf("err = %v\n%s", err, out)
	}
	if strings.Contains(out, "Error:") {
		t.Errorf("cobra printed the error again:\n%s", out)
	}

	// Usage errors are reported by cobra.
	if _, err := run("alidns", "check"); err == nil {
		t.Error("check without a domain succeeded")
	}
	if _, err := run("alidns", "check", "example.com", "--envfile", filepath.Join(t.TempDir(), "missing.env")); err == nil || !strings.Contains(err.Error(), "envfile") {
		t.Errorf("missing envfile: %v", err)
	}
	if _, err := run("alidns", "chek", "example.com"); err == nil || !strings.Contains(err.Error(), `unknown subcommand "chek"`) {
		t.Errorf("unknown subcommand: %v", err)
	}
	out, err = run("alidns", "--help")
	if err != nil {
		t.Fatal(err)
	}
	wantLines(t, out, "check", "zones", "--envfile")
}

// Env files are read as caddy run --envfile reads them (Caddy's own
// quirks included; the e2e TestEnvFileParity compares with caddy environ),
// and the lines Caddy reads differently from how they look are warned of.
func TestLoadEnvFileLikeCaddy(t *testing.T) {
	name := filepath.Join(t.TempDir(), "test.env")
	writeFile(t, name, "\ufeffT_BOM=1\r\n"+`# comment
ALICLOUD_ACCESS_KEY=LTAIabc

export ALICLOUD_SECRET_KEY=s3cr3t  # trailing comment
T_QUOTED="a b # cut by Caddy"
T_HASH=pa#ss
T_SINGLE='x=y'
T_MULTI="line1
line2"
T_EMPTY=
T_TWICE=1
T_TWICE=2
`)
	b, _ := os.ReadFile(name)
	got, err := parseCaddyEnvFile(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"\ufeffT_BOM":         "1",
		"ALICLOUD_ACCESS_KEY": "LTAIabc",
		"ALICLOUD_SECRET_KEY": "s3cr3t",
		"T_QUOTED":            "a b",
		"T_HASH":              "pa",
		"T_SINGLE":            "x=y",
		"T_MULTI":             "line1\nline2",
		"T_EMPTY":             "",
		"T_TWICE":             "2",
	}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%q: got %q, want %q", k, got[k], v)
		}
	}

	// Variables already set win, as with caddy run --envfile.
	t.Setenv("ALICLOUD_ACCESS_KEY", "from-process")
	for k := range want {
		if k != "ALICLOUD_ACCESS_KEY" {
			unsetenv(t, k)
		}
	}
	warnings, err := loadEnvFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("ALICLOUD_ACCESS_KEY") != "from-process" || os.Getenv("ALICLOUD_SECRET_KEY") != "s3cr3t" {
		t.Errorf("env after load: %q %q", os.Getenv("ALICLOUD_ACCESS_KEY"), os.Getenv("ALICLOUD_SECRET_KEY"))
	}
	all := strings.Join(warnings, "\n")
	for _, w := range []string{"byte order mark", "line 6: Caddy cuts the value of T_QUOTED", "line 7: Caddy cuts the value of T_HASH"} {
		if !strings.Contains(all, w) {
			t.Errorf("warnings lack %q:\n%s", w, all)
		}
	}
	if strings.Contains(all, "s3cr3t") || strings.Contains(all, "pa#ss") || strings.Contains(all, "SECRET_KEY") {
		t.Errorf("warnings name a value or a line without a problem:\n%s", all)
	}

	bad := filepath.Join(t.TempDir(), "bad.env")
	writeFile(t, bad, "OK=1\nnot a pair\n")
	if _, err := loadEnvFile(bad); err == nil || !strings.Contains(err.Error(), "bad.env") || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("malformed line: %v", err)
	}
	writeFile(t, bad, "K= secretvalue\n")
	if _, err := loadEnvFile(bad); err == nil || strings.Contains(err.Error(), "secretvalue") {
		t.Errorf("whitespace before value: %v", err)
	}
}

// check says where the endpoint came from, and its region_id hint tells a
// --config user to set endpoint in that config, not a flag (issue 15, 16).
func TestCheckConfigNamesWhereSettingsAreSet(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	t.Setenv("ALICLOUD_ACCESS_KEY", modKeyID)
	t.Setenv("ALICLOUD_SECRET_KEY", modKeySecret)
	caddyfile := filepath.Join(t.TempDir(), "Caddyfile")
	writeFile(t, caddyfile, "{\n\tacme_dns alidns {\n\t\tendpoint "+s.URL+"\n\t\tregion_id cn-shanghai\n\t}\n}\nwww.example.com {\n\trespond \"hi\"\n}\n")
	out, err := run(t, "alidns", "check", "--config", caddyfile, "--read-only")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	wantLines(t, out, "endpoint "+s.URL+" (from endpoint in "+caddyfile+")",
		"region_id cn-shanghai does not select the endpoint; to use that region's, set endpoint https://alidns.cn-shanghai.aliyuncs.com in "+caddyfile)
	if strings.Contains(out, "--endpoint") {
		t.Errorf("names a flag the config does not use:\n%s", out)
	}
	// From the command line, the flag is named.
	out, err = run(t, "alidns", "check", "www.example.com", "--endpoint", s.URL, "--region-id", "cn-shanghai", "--read-only")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	wantLines(t, out, "(from --endpoint)", "set --endpoint https://alidns.cn-shanghai.aliyuncs.com")
}

// zones lists no flags that do nothing there (--line and --ttl concern
// records written); check keeps them (issue 15, 16).
func TestZonesHelpListsOnlyItsFlags(t *testing.T) {
	out, err := run(t, "alidns", "zones", "--help")
	if err != nil {
		t.Fatal(err)
	}
	wantLines(t, out, "--endpoint", "--envfile", "--access-key-id")
	for _, f := range []string{"--line", "--ttl"} {
		if strings.Contains(out, f) {
			t.Errorf("zones --help lists %s:\n%s", f, out)
		}
	}
	out, err = run(t, "alidns", "check", "--help")
	if err != nil {
		t.Fatal(err)
	}
	wantLines(t, out, "--line", "--ttl")
}

// A sub-zone that DNS delegates is reported as the zone used, without the
// warning that its records are never seen, which the visibility step
// would contradict (issue 15, 16); without DNS the warning stays
// conditional.
func TestCheckDelegatedSubZoneIsNotWarnedAbout(t *testing.T) {
	isolateCredentialEnv(t)
	s := dnsSim(t, "example.com", "sub.example.com")
	out, _, err := dnsCheck(t, s, "www.sub.example.com", checkOptions{Authoritative: []string{s.DNSAddr}})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	wantLines(t, out,
		"✓ sub-zone       sub.example.com is hosted as its own zone, and so is its parent example.com; DNS delegates sub.example.com, so Caddy writes the challenge there",
		"✓ visibility     authoritative "+s.DNSAddr+" answers the test record")
	if strings.Contains(out, "not seen") || strings.Contains(out, "never seen") || strings.Contains(out, "! sub-zone") {
		t.Errorf("warns about a sub-zone that works:\n%s", out)
	}
}
