package alidns

import (
	"errors"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/libdns/libdns"
)

// An AccessKey ID and secret given the wrong way round (dns alidns
// <secret> <id>, or the two variables swapped) are refused when Caddy
// loads the config, not at the first certificate, and the error quotes
// neither (issue 15, item 12).
func TestSwappedKeysRefusedAtLoad(t *testing.T) {
	s := moduleSim(t)
	for _, tc := range []struct {
		name string
		raw  string
		env  map[string]string
		want string
	}{
		{name: "literal values", raw: `{"name":"alidns","access_key_id":"` + modKeySecret + `","access_key_secret":"` + modKeyID + `","endpoint":"` + s.URL + `"}`,
			want: "swap access_key_id and access_key_secret"},
		{name: "placeholders", raw: `{"name":"alidns","access_key_id":"{env.T_ALIDNS_SECRET}","access_key_secret":"{env.T_ALIDNS_ID}","endpoint":"` + s.URL + `"}`,
			want: "swap access_key_id and access_key_secret"},
		{name: "STS key", raw: `{"name":"alidns","access_key_id":"` + modKeySecret + `","access_key_secret":"STS.NUgYrLnoC","security_token":"t","endpoint":"` + s.URL + `"}`,
			want: "swap access_key_id and access_key_secret"},
		{name: "environment", raw: `{"name":"alidns","endpoint":"` + s.URL + `"}`,
			env: map[string]string{"ALICLOUD_ACCESS_KEY": modKeySecret, "ALICLOUD_SECRET_KEY": modKeyID}, want: "swap the values of ALICLOUD_ACCESS_KEY and ALICLOUD_SECRET_KEY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isolateCredentialEnv(t)
			t.Setenv("T_ALIDNS_ID", modKeyID)
			t.Setenv("T_ALIDNS_SECRET", modKeySecret)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			err := validateConfig(t, replaceProvider(t, caddyConfig(t, false, "alidns"), tc.raw))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), modKeySecret) || strings.Contains(err.Error(), modKeyID) {
				t.Errorf("the error quotes a key: %v", err)
			}
		})
	}
	// The Caddyfile's two-argument form is refused when adapted.
	err := new(Provider).UnmarshalCaddyfile(caddyfile.NewTestDispenser("alidns " + modKeySecret + " " + modKeyID))
	if err == nil || !strings.Contains(err.Error(), "swap access_key_id and access_key_secret") || strings.Contains(err.Error(), modKeySecret) {
		t.Errorf("Caddyfile: %v", err)
	}
	// Keys in the right order, and IDs of other forms (the simulator's),
	// are accepted.
	for _, pair := range [][2]string{{modKeyID, modKeySecret}, {"STS.NUgYrLnoC", modKeySecret}, {"sim-access-key-id", "sim-access-key-secret"}} {
		if swappedKeys(pair[0], pair[1]) {
			t.Errorf("%v taken as swapped", pair)
		}
	}
}

// The check shows the AccessKey ID only when it has an ID's form: an ID
// that may be a secret given in its place is not shown, not even in part
// (issue 15, item 12: it printed 7 characters of the secret).
func TestCheckNeverShowsPartOfASecretAsID(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	const secretLike = "Xy7kQ2mZpL8vRt4NbW6cHs9dG0"
	out, _ := checkWith(t, &Provider{AccessKeyID: secretLike, AccessKeySecret: "not-an-id-either", Endpoint: s.URL}, "www.example.com", true)
	wantLines(t, out, "AccessKey ID not shown (it does not start with LTAI or STS. as AccessKey IDs do)")
	for _, part := range []string{secretLike[:4], secretLike[len(secretLike)-3:]} {
		if strings.Contains(out, part) {
			t.Errorf("output shows %q of the value:\n%s", part, out)
		}
	}
	out, _ = checkWith(t, keyProvider(s, modKeySecret), "www.example.com", true)
	wantLines(t, out, "AccessKey ID LTAI…yID")
}

// An env file saved with a byte order mark (Windows Notepad) makes its
// first variable's name start with U+FEFF: the load error names the BOM,
// in caddy run (caddy.Validate here, on the environment caddy run
// --envfile leaves) as in check (issue 15, item 13).
func TestEnvFileBOMNamedAtLoad(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	t.Setenv("\ufeffALICLOUD_ACCESS_KEY", modKeyID)
	t.Setenv("ALICLOUD_SECRET_KEY", modKeySecret)
	err := validateConfig(t, caddyConfig(t, false, "alidns {\n\t\t\tendpoint "+s.URL+"\n\t\t}"))
	if err == nil {
		t.Fatal("config accepted")
	}
	for _, w := range []string{"save the env file as UTF-8 without BOM", "U+FEFFALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY is set but ALICLOUD_ACCESS_KEY is empty"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q: %v", w, err)
		}
	}
	out, _ := checkWith(t, &Provider{Endpoint: s.URL}, "www.example.com", true)
	wantLines(t, out, "✗ credentials", "save the env file as UTF-8 without BOM")
}

// A key or signature error says that caddy reload does not re-read
// --envfile, so a fixed key needs a restart (issue 15, item 14).
func TestKeyErrorsSayRestartNeeded(t *testing.T) {
	isolateCredentialEnv(t)
	s := moduleSim(t)
	for _, p := range []*Provider{
		keyProvider(s, wrongSecret), // SignatureDoesNotMatch
		{AccessKeyID: "LTAI5tUnknownKeyID00", AccessKeySecret: modKeySecret, Endpoint: s.URL}, // InvalidAccessKeyId.NotFound
	} {
		p.Retry = fastRetry
		_, err := p.AppendRecords(ctx(t), "example.com.", []libdns.Record{libdns.TXT{Name: "_acme-challenge", Text: "x"}})
		if err == nil || !strings.Contains(err.Error(), "restart Caddy: caddy reload does not re-read them") {
			t.Errorf("error: %v", err)
		}
		assertNoCommandSecrets(t, err.Error())
	}
	out, err := checkWith(t, keyProvider(s, wrongSecret), "www.example.com", true)
	if !errors.Is(err, errChecksFailed) {
		t.Fatal(err)
	}
	wantLines(t, out, "what to do: the AccessKey secret does not match the AccessKey ID", "restart Caddy: caddy reload does not re-read them")
}
