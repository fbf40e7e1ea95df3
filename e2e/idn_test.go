package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/caddy-alidns/alidns/e2e/harness"
)

// idnZone is a Chinese-character zone; Caddy, certmagic and the CA see it
// in punycode, AliDNS knows it by its Unicode name only.
const (
	idnZone      = "例子.中国"
	idnZoneASCII = "xn--fsqu00a.xn--fiqs8s"
)

// TestIDNZone obtains certificates for the apex and a wildcard of a
// Chinese-character zone, with the simulator answering a punycode
// DomainName with InvalidDomainName.NoExist as AliDNS does: every record
// call must carry the Unicode DomainName, and the challenge still costs
// two calls (AddDomainRecord, DeleteDomainRecord).
func TestIDNZone(t *testing.T) {
	e := setup(t, 3*time.Minute, setupOptions{zones: []string{idnZone}})
	p := e.caddyPorts()
	cfg := e.globals(p) + fmt.Sprintf("\n%s:%d, *.%s:%d {\n\treverse_proxy 127.0.0.1:%d\n%s}\n",
		idnZoneASCII, p.https, idnZoneASCII, p.https, e.backend.Port, e.dnsTLS())
	caddy := e.startCaddy(harness.CaddyOptions{Config: e.writeCaddyfile("caddy", cfg), EnvFile: e.keyEnvFile()})
	apex := e.waitHTTPS(caddy, fmt.Sprintf("https://%s:%d/", idnZoneASCII, p.https))
	sub := e.waitHTTPS(caddy, fmt.Sprintf("https://www.%s:%d/", idnZoneASCII, p.https))
	e.checkIssuedByPebble(apex, idnZoneASCII)
	e.checkIssuedByPebble(sub, "www."+idnZoneASCII)
	if err := e.sim.WaitNoChallengeRecords(e.ctx, idnZone); err != nil {
		t.Error(err)
	}
	calls := e.calls()
	requireCalls(t, calls, map[string]int{"AddDomainRecord": 2, "DeleteDomainRecord": 2})
	for _, c := range calls {
		if dn := c.Params.Get("DomainName"); dn != "" && dn != idnZone {
			t.Errorf("%s sent DomainName %q (answered %q), want %q", c.Action, dn, c.Code, idnZone)
		}
		if !c.OK() {
			t.Errorf("%s failed: %d %s", c.Action, c.Status, c.Code)
		}
	}
	if n := len(calls); n != 4 {
		t.Errorf("%d API calls for two challenges, want 4: %v", n, harness.CountCodes(calls))
	}
	e.checkNoSecret(e.secret)
}
