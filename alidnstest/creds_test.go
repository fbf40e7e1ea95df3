package alidnstest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func getJSON(t *testing.T, hc *http.Client, req *http.Request) map[string]string {
	t.Helper()
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("%s: %d %s", req.URL, res.StatusCode, b)
	}
	var m map[string]string
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCredentialsURI(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s := newSim(t, WithClock(clk.Now))
	s.SetSTSTTL(30 * time.Minute)
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/credentials-uri", nil)
	m := getJSON(t, s.Client(), req)
	if m["Code"] != "Success" || m["Expiration"] != "2026-01-02T03:34:05Z" || m["SecurityToken"] == "" {
		t.Fatalf("credentials = %v", m)
	}
	c := newTC(t, s).with(func(c *tc) {
		c.v3 = true
		c.id, c.secret, c.token = m["AccessKeyId"], m["AccessKeySecret"], m["SecurityToken"]
	})
	mustOK(t, c.call("DescribeDomains"))
	m2 := getJSON(t, s.Client(), req)
	if m2["AccessKeyId"] == m["AccessKeyId"] {
		t.Fatal("credentials not fresh")
	}
	clk.Add(31 * time.Minute)
	mustErr(t, c.call("DescribeDomains"), 400, "InvalidSecurityToken.Expired")
}

func TestIMDS(t *testing.T) {
	s := newSim(t)
	hc := s.Client()
	put, _ := http.NewRequest(http.MethodPut, s.URL+"/latest/api/token", nil)
	put.Header.Set("X-aliyun-ecs-metadata-token-ttl-seconds", "21600")
	res, err := hc.Do(put)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("token: %v %v", err, res)
	}
	tok, _ := io.ReadAll(res.Body)
	res.Body.Close()

	get := func(path, token string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
		if token != "" {
			req.Header.Set("X-aliyun-ecs-metadata-token", token)
		}
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	code, role := get("/latest/meta-data/ram/security-credentials/", string(tok))
	if code != 200 || role != DefaultIMDSRole {
		t.Fatalf("role: %d %q", code, role)
	}
	if code, _ := get("/latest/meta-data/ram/security-credentials/", "bogus"); code != 401 {
		t.Fatalf("bad token accepted: %d", code)
	}
	code, body := get("/latest/meta-data/ram/security-credentials/"+role, "") // IMDSv1
	var m map[string]string
	if code != 200 || json.Unmarshal([]byte(body), &m) != nil || m["Code"] != "Success" || m["LastUpdated"] == "" ||
		!strings.HasSuffix(m["Expiration"], "Z") {
		t.Fatalf("credentials: %d %s", code, body)
	}
	if code, _ := get("/latest/meta-data/ram/security-credentials/other-role", ""); code != 404 {
		t.Fatalf("unknown role: %d", code)
	}
	mustOK(t, newTC(t, s).with(func(c *tc) { c.id, c.secret, c.token = m["AccessKeyId"], m["AccessKeySecret"], m["SecurityToken"] }).call("DescribeDomains"))
}

func TestTLSServer(t *testing.T) {
	s := NewTLSServer()
	defer s.Close()
	s.AddZone("example.com", EditionFree)
	if !strings.HasPrefix(s.URL, "https://") || s.Certificate() == nil || len(s.CertificatePEM()) == 0 {
		t.Fatalf("URL %s cert %v", s.URL, s.Certificate())
	}
	for _, v3 := range []bool{false, true} {
		mustOK(t, newTC(t, s).with(func(c *tc) { c.v3 = v3 }).call("DescribeDomains"))
	}
	if _, err := http.Get(s.URL + "/"); err == nil {
		t.Fatal("default client trusted the self-signed certificate")
	}
	s.SetFaults(Faults{DropRate: 1})
	if _, err := rawCall(s, "DescribeDomains"); err == nil {
		t.Fatal("TLS drop did not fail")
	}
}
