package alidns

import (
	"context"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/libdns/libdns"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// Provision registers the API metrics with Caddy's metrics registry; a
// challenge, a throttled and retried call and a refused call are counted
// by action and code, and two providers of one config share the metrics.
func TestMetricsRegisteredWithCaddy(t *testing.T) {
	s := newSim(t, "example.com")
	cctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	reg := cctx.GetMetricsRegistry()
	p, p2 := newProvider(s), newProvider(s)
	for _, pr := range []*Provider{p, p2} {
		if err := pr.Provision(cctx); err != nil {
			t.Fatal(err)
		}
	}
	got, err := p.AppendRecords(ctx(t), "example.com.", []libdns.Record{libdns.TXT{Name: "_acme-challenge", Text: "v"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p2.DeleteRecords(ctx(t), "example.com.", got); err != nil {
		t.Fatal(err)
	}
	s.FailNext("AddDomainRecord", "Throttling.User", 429)
	if _, err := p.AppendRecords(ctx(t), "example.com.", []libdns.Record{libdns.TXT{Name: "_acme-challenge", Text: "w"}}); err != nil {
		t.Fatal(err)
	}
	_, _ = p.GetRecords(ctx(t), "missing.example.")

	want := `
# HELP caddy_alidns_api_requests_total AliDNS API calls by action and final outcome (OK or the error code).
# TYPE caddy_alidns_api_requests_total counter
caddy_alidns_api_requests_total{action="AddDomainRecord",code="OK"} 2
caddy_alidns_api_requests_total{action="DeleteDomainRecord",code="OK"} 1
caddy_alidns_api_requests_total{action="DescribeDomainRecords",code="InvalidDomainName.NoExist"} 1
caddy_alidns_api_requests_total{action="DescribeDomains",code="OK"} 1
# HELP caddy_alidns_api_retries_total AliDNS API requests sent again after a transient failure or throttling.
# TYPE caddy_alidns_api_retries_total counter
caddy_alidns_api_retries_total{action="AddDomainRecord"} 1
# HELP caddy_alidns_api_throttled_total AliDNS API requests answered with a throttling error (Throttling.User, HTTP 429).
# TYPE caddy_alidns_api_throttled_total counter
caddy_alidns_api_throttled_total{action="AddDomainRecord"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"caddy_alidns_api_requests_total", "caddy_alidns_api_retries_total", "caddy_alidns_api_throttled_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(p.metrics.Load().duration); n != 4 {
		t.Errorf("duration histogram has %d series, want one per action (4)", n)
	}
	if p.metrics.Load() != p2.metrics.Load() && p.metrics.Load().requests != p2.metrics.Load().requests {
		t.Error("the two providers do not share the counters")
	}
}
