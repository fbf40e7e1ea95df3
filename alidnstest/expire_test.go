package alidnstest

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

func TestExpireSTSEndpoint(t *testing.T) {
	s := newSim(t)
	old := s.IssueSTS(time.Hour)
	c := newTC(t, s).with(func(c *tc) { c.id, c.secret, c.token = old.AccessKeyID, old.AccessKeySecret, old.SecurityToken })
	mustOK(t, c.call("DescribeDomains"))

	res, err := http.Post(s.URL+"/_sim/expire-sts", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct{ Expired int }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK || out.Expired != 1 {
		t.Fatalf("expire-sts: status %d, %+v, %v", res.StatusCode, out, err)
	}
	mustErr(t, c.call("DescribeDomains"), http.StatusBadRequest, "InvalidSecurityToken.Expired")

	// Credentials issued afterwards, and permanent keys, still work.
	fresh := s.IssueSTS(time.Hour)
	mustOK(t, newTC(t, s).with(func(c *tc) { c.id, c.secret, c.token = fresh.AccessKeyID, fresh.AccessKeySecret, fresh.SecurityToken }).call("DescribeDomains"))
	mustOK(t, newTC(t, s).call("DescribeDomains"))
	if n := s.ExpireSTS(); n != 1 {
		t.Fatalf("second ExpireSTS expired %d credentials, want 1 (the fresh one)", n)
	}
}
