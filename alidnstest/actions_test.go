package alidnstest

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// clientVariants covers both schemes, GET/POST and query/form parameters.
func clientVariants(t *testing.T, s *Server) map[string]*tc {
	base := newTC(t, s)
	return map[string]*tc{
		"rpc-post-query": base,
		"rpc-get":        base.with(func(c *tc) { c.method = http.MethodGet }),
		"rpc-post-form":  base.with(func(c *tc) { c.form = true }),
		"v3-post-query":  base.with(func(c *tc) { c.v3 = true }),
		"v3-get":         base.with(func(c *tc) { c.v3 = true; c.method = http.MethodGet }),
		"v3-post-form":   base.with(func(c *tc) { c.v3 = true; c.form = true }),
	}
}

func TestRecordLifecycle(t *testing.T) {
	s := newSim(t)
	for name, c := range clientVariants(t, s) {
		t.Run(name, func(t *testing.T) {
			c.t = t
			rr := "_acme-challenge." + name
			add := mustOK(t, c.call("AddDomainRecord", "DomainName", "example.com", "RR", rr, "Type", "TXT", "Value", "tok en+/=*~é"))
			id := add.str("RecordId")
			if id == "" {
				t.Fatalf("RecordId not a string: %s", add.Raw)
			}
			info := mustOK(t, c.call("DescribeDomainRecordInfo", "RecordId", id))
			if info.str("Value") != "tok en+/=*~é" || info.str("RR") != rr || info.Body["TTL"].(float64) != 600 ||
				info.str("Line") != "default" || info.str("Status") != "ENABLE" || info.str("PunyCode") != "example.com" {
				t.Fatalf("info = %s", info.Raw)
			}
			sub := mustOK(t, c.call("DescribeSubDomainRecords", "SubDomain", rr+".example.com", "DomainName", "example.com", "Type", "txt"))
			if recs := sub.records(); len(recs) != 1 || recs[0]["RecordId"] != id {
				t.Fatalf("sub = %s", sub.Raw)
			}
			mustOK(t, c.call("UpdateDomainRecord", "RecordId", id, "RR", rr, "Type", "TXT", "Value", "v2", "TTL", "1200"))
			mustErr(t, c.call("UpdateDomainRecord", "RecordId", id, "RR", rr, "Type", "TXT", "Value", "v2", "TTL", "1200"), 400, "DomainRecordDuplicate")
			st := mustOK(t, c.call("SetDomainRecordStatus", "RecordId", id, "Status", "Disable"))
			if st.str("Status") != "DISABLE" {
				t.Fatalf("status = %s", st.Raw)
			}
			list := mustOK(t, c.call("DescribeDomainRecords", "DomainName", "example.com", "RRKeyWord", rr))
			if recs := list.records(); len(recs) != 1 || recs[0]["Value"] != "v2" || recs[0]["Status"] != "DISABLE" || recs[0]["TTL"].(float64) != 1200 {
				t.Fatalf("list = %s", list.Raw)
			}
			del := mustOK(t, c.call("DeleteDomainRecord", "RecordId", id))
			if del.str("RecordId") != id {
				t.Fatalf("delete = %s", del.Raw)
			}
			mustErr(t, c.call("DeleteDomainRecord", "RecordId", id), 400, "DomainRecordNotBelongToUser")
		})
	}
	if n := s.CallCount("AddDomainRecord"); n != 6 {
		t.Fatalf("AddDomainRecord count = %d", n)
	}
	for _, call := range s.Calls() {
		if call.Action == "AddDomainRecord" && (call.Params.Get("Type") != "TXT" || call.Params.Has("Signature") || call.Params.Has("Timestamp")) {
			t.Fatalf("call params = %v", call.Params)
		}
	}
}

func TestRecordErrors(t *testing.T) {
	s := newSim(t)
	s.AddForeignZone("other.com")
	s.AddZone("ent.com", EditionEnterpriseAdvanced)
	c := newTC(t, s)
	add := func(kv ...string) resp { return c.call("AddDomainRecord", kv...) }
	mustOK(t, add("DomainName", "example.com", "RR", "www", "Type", "A", "Value", "192.0.2.1"))
	mustOK(t, add("DomainName", "example.com", "RR", "alias", "Type", "CNAME", "Value", "www.example.com"))
	locked := s.PutRecord("example.com", Record{RR: "locked", Type: "A", Value: "192.0.2.9", Locked: true})
	foreign := s.PutRecord("other.com", Record{RR: "x", Type: "A", Value: "192.0.2.9"})

	cases := []struct {
		name   string
		r      resp
		status int
		code   string
	}{
		{"no zone", add("DomainName", "nope.com", "RR", "a", "Type", "A", "Value", "192.0.2.1"), 400, "InvalidDomainName.NoExist"},
		{"foreign zone", add("DomainName", "other.com", "RR", "a", "Type", "A", "Value", "192.0.2.1"), 400, "IncorrectDomainUser"},
		{"bad zone", add("DomainName", "exa mple.com", "RR", "a", "Type", "A", "Value", "192.0.2.1"), 400, "InvalidDomainName.Format"},
		{"missing zone", add("RR", "a", "Type", "A", "Value", "192.0.2.1"), 400, "MissingParameter"},
		{"duplicate", add("DomainName", "example.com", "RR", "WWW", "Type", "A", "Value", "192.0.2.1"), 400, "DomainRecordDuplicate"},
		{"cname conflict", add("DomainName", "example.com", "RR", "www", "Type", "CNAME", "Value", "x.example.net"), 400, "DomainRecordConflict"},
		{"conflict with cname", add("DomainName", "example.com", "RR", "alias", "Type", "TXT", "Value", "x"), 400, "DomainRecordConflict"},
		{"ttl low", add("DomainName", "example.com", "RR", "t", "Type", "A", "Value", "192.0.2.1", "TTL", "599"), 400, "QuotaExceeded.TTL"},
		{"ttl high", add("DomainName", "ent.com", "RR", "t", "Type", "A", "Value", "192.0.2.1", "TTL", "86401"), 400, "QuotaExceeded.TTL"},
		{"ttl nan", add("DomainName", "example.com", "RR", "t", "Type", "A", "Value", "192.0.2.1", "TTL", "x"), 400, "InvalidParameter"},
		{"bad type", add("DomainName", "example.com", "RR", "t", "Type", "PTR", "Value", "x"), 400, "InvalidParameter"},
		{"bad A", add("DomainName", "example.com", "RR", "t", "Type", "A", "Value", "::1"), 400, "InvalidParameter"},
		{"bad AAAA", add("DomainName", "example.com", "RR", "t", "Type", "AAAA", "Value", "192.0.2.1"), 400, "InvalidParameter"},
		{"mx no prio", add("DomainName", "example.com", "RR", "@", "Type", "MX", "Value", "mx.example.com"), 400, "MissingParameter"},
		{"https prio", add("DomainName", "example.com", "RR", "h", "Type", "HTTPS", "Value", ".", "Priority", "70000"), 400, "InvalidParameter"},
		{"https no target", add("DomainName", "example.com", "RR", "h", "Type", "HTTPS", "Value", "1"), 400, "InvalidParameter"},
		{"mx prio 51", add("DomainName", "example.com", "RR", "@", "Type", "MX", "Value", "mx.example.com", "Priority", "51"), 400, "InvalidParameter"},
		{"rr empty label", add("DomainName", "example.com", "RR", "a..b", "Type", "A", "Value", "192.0.2.1"), 400, "InvalidRR.Format"},
		{"rr hyphen", add("DomainName", "example.com", "RR", "-a", "Type", "A", "Value", "192.0.2.1"), 400, "InvalidRR.Format"},
		{"rr char", add("DomainName", "example.com", "RR", "a!b", "Type", "A", "Value", "192.0.2.1"), 400, "InvalidRR.Format"},
		{"rr long label", add("DomainName", "example.com", "RR", strings.Repeat("a", 64), "Type", "A", "Value", "192.0.2.1"), 400, "InvalidRR.Format"},
		{"missing value", add("DomainName", "example.com", "RR", "a", "Type", "A"), 400, "MissingParameter"},
		{"update unknown", c.call("UpdateDomainRecord", "RecordId", "42", "RR", "a", "Type", "A", "Value", "192.0.2.1"), 400, "DomainRecordNotBelongToUser"},
		{"update foreign", c.call("UpdateDomainRecord", "RecordId", foreign.RecordID, "RR", "a", "Type", "A", "Value", "192.0.2.1"), 400, "DomainRecordNotBelongToUser"},
		{"info foreign", c.call("DescribeDomainRecordInfo", "RecordId", foreign.RecordID), 400, "DomainRecordNotBelongToUser"},
		{"update locked", c.call("UpdateDomainRecord", "RecordId", locked.RecordID, "RR", "locked", "Type", "A", "Value", "192.0.2.2"), 400, "DomainRecordLocked"},
		{"delete locked", c.call("DeleteDomainRecord", "RecordId", locked.RecordID), 400, "DomainRecordLocked"},
		{"status locked", c.call("SetDomainRecordStatus", "RecordId", locked.RecordID, "Status", "DISABLE"), 400, "DomainRecordLocked"},
		{"status bad", c.call("SetDomainRecordStatus", "RecordId", locked.RecordID, "Status", "off"), 400, "InvalidParameter"},
		{"list foreign", c.call("DescribeDomainRecords", "DomainName", "other.com"), 400, "IncorrectDomainUser"},
		{"list page size", c.call("DescribeDomainRecords", "DomainName", "example.com", "PageSize", "501"), 400, "InvalidParameter"},
		{"sub page size", c.call("DescribeSubDomainRecords", "SubDomain", "www.example.com", "PageSize", "101"), 400, "InvalidParameter"},
		{"domains page size", c.call("DescribeDomains", "PageSize", "101"), 400, "InvalidParameter"},
		{"bad search mode", c.call("DescribeDomainRecords", "DomainName", "example.com", "SearchMode", "FUZZY"), 400, "InvalidParameter"},
		{"unknown action", c.call("DescribeNothing"), 404, "InvalidAction.NotFound"},
	}
	for _, tc := range cases {
		if tc.r.Status != tc.status || tc.r.code() != tc.code {
			t.Errorf("%s: want %d %s, got %d %s", tc.name, tc.status, tc.code, tc.r.Status, tc.r.Raw)
		}
	}
	msg := add("DomainName", "example.com", "RR", "t", "Type", "A", "Value", "192.0.2.1", "TTL", "1")
	if got := msg.str("Message"); got != "The specified TTL is invalid. A valid TTL must be in the range of 600 to 86400." {
		t.Fatalf("TTL message = %q", got)
	}
	// Enterprise Ultimate accepts TTL 1; MX with priority works.
	mustOK(t, add("DomainName", "ent.com", "RR", "t", "Type", "A", "Value", "192.0.2.1", "TTL", "1"))
	mustOK(t, add("DomainName", "example.com", "RR", "@", "Type", "MX", "Value", "mx.example.com", "Priority", "10"))
	for _, typ := range []struct{ t, v string }{
		{"SRV", "10 5 443 target.example.com"}, {"CAA", `0 issue "letsencrypt.org"`}, {"HTTPS", "1 . alpn=h2"}, {"SVCB", "svc.example.net port=8443"},
		{"NS", "ns.example.net"}, {"AAAA", "2001:db8::1"}, {"REDIRECT_URL", "https://example.net/"},
	} {
		mustOK(t, add("DomainName", "example.com", "RR", "types", "Type", typ.t, "Value", typ.v))
	}
	// Wildcard and unicode RRs are accepted.
	mustOK(t, add("DomainName", "example.com", "RR", "*.wild", "Type", "A", "Value", "192.0.2.1"))
	mustOK(t, add("DomainName", "example.com", "RR", "测试", "Type", "A", "Value", "192.0.2.1"))
}

func TestDeleteSubDomainRecords(t *testing.T) {
	s := newSim(t)
	c := newTC(t, s)
	for i := 0; i < 3; i++ {
		mustOK(t, c.call("AddDomainRecord", "DomainName", "example.com", "RR", "_acme-challenge", "Type", "TXT", "Value", fmt.Sprint("v", i)))
	}
	mustOK(t, c.call("AddDomainRecord", "DomainName", "example.com", "RR", "_acme-challenge", "Type", "A", "Value", "192.0.2.1"))
	s.PutRecord("example.com", Record{RR: "_acme-challenge", Type: "TXT", Value: "locked", Locked: true})
	r := mustOK(t, c.call("DeleteSubDomainRecords", "DomainName", "example.com", "RR", "_acme-challenge", "Type", "TXT"))
	if r.Body["TotalCount"] != "3" || r.str("RR") != "_acme-challenge" {
		t.Fatalf("resp = %s", r.Raw)
	}
	if n := len(s.Records("example.com")); n != 2 {
		t.Fatalf("left %d records", n)
	}
	r = mustOK(t, c.call("DeleteSubDomainRecords", "DomainName", "example.com", "RR", "_acme-challenge"))
	if r.Body["TotalCount"] != "1" {
		t.Fatalf("resp = %s", r.Raw)
	}
	mustErr(t, c.call("DeleteSubDomainRecords", "DomainName", "example.com"), 400, "MissingParameter")
}

func TestPaging(t *testing.T) {
	s := newSim(t)
	for i := 0; i < 1234; i++ {
		s.PutRecord("example.com", Record{RR: fmt.Sprintf("h%04d", i), Type: "A", Value: "192.0.2.1"})
	}
	c := newTC(t, s).with(func(c *tc) { c.v3 = true })
	seen := map[string]bool{}
	var first string
	for page := 1; page <= 3; page++ {
		r := mustOK(t, c.call("DescribeDomainRecords", "DomainName", "example.com", "PageSize", "500", "PageNumber", fmt.Sprint(page)))
		if r.Body["TotalCount"].(float64) != 1234 || r.Body["PageSize"].(float64) != 500 || r.Body["PageNumber"].(float64) != float64(page) {
			t.Fatalf("envelope = %v %v %v", r.Body["TotalCount"], r.Body["PageSize"], r.Body["PageNumber"])
		}
		recs := r.records()
		want := map[int]int{1: 500, 2: 500, 3: 234}[page]
		if len(recs) != want {
			t.Fatalf("page %d has %d records", page, len(recs))
		}
		if page == 1 {
			first = recs[0]["RR"].(string)
		}
		for _, rec := range recs {
			seen[rec["RecordId"].(string)] = true
		}
	}
	if len(seen) != 1234 {
		t.Fatalf("saw %d distinct records", len(seen))
	}
	if first != "h1233" {
		t.Fatalf("not newest first: %s", first)
	}
	asc := mustOK(t, c.call("DescribeDomainRecords", "DomainName", "example.com", "Direction", "ASC", "PageSize", "1"))
	if asc.records()[0]["RR"] != "h0000" {
		t.Fatalf("Direction=ASC: %v", asc.records())
	}
	r := mustOK(t, c.call("DescribeDomainRecords", "DomainName", "example.com", "PageNumber", "99"))
	if len(r.records()) != 0 || r.Body["PageSize"].(float64) != 20 {
		t.Fatalf("beyond last page: %s", r.Raw[:200])
	}
}

func TestSearchModes(t *testing.T) {
	s := newSim(t)
	s.PutRecord("example.com", Record{RR: "_acme-challenge", Type: "TXT", Value: "Token-ABC"})
	s.PutRecord("example.com", Record{RR: "_acme-challenge.www", Type: "TXT", Value: "other"})
	s.PutRecord("example.com", Record{RR: "www", Type: "A", Value: "192.0.2.10"})
	s.PutRecord("example.com", Record{RR: "mail", Type: "CNAME", Value: "acme.example.net", Status: "DISABLE"})
	c := newTC(t, s)
	count := func(kv ...string) int {
		r := mustOK(t, c.call("DescribeDomainRecords", append([]string{"DomainName", "example.com"}, kv...)...))
		return len(r.records())
	}
	checks := []struct {
		kv   []string
		want int
	}{
		{nil, 4},
		{[]string{"RRKeyWord", "ACME"}, 2},
		{[]string{"ValueKeyWord", "token"}, 1},
		{[]string{"RRKeyWord", "acme", "TypeKeyWord", "txt"}, 2},
		{[]string{"TypeKeyWord", "tx"}, 0},
		{[]string{"Type", "A"}, 1},
		{[]string{"Status", "Disable"}, 1},
		{[]string{"Line", "default"}, 4},
		{[]string{"Line", "telecom"}, 0},
		{[]string{"KeyWord", "acme"}, 3},
		{[]string{"KeyWord", "acme", "SearchMode", "LIKE", "Type", "A"}, 3},
		{[]string{"KeyWord", "www", "SearchMode", "EXACT"}, 1},
		{[]string{"KeyWord", "token-abc", "SearchMode", "EXACT"}, 1},
		{[]string{"RRKeyWord", "acme", "SearchMode", "ADVANCED"}, 2},
		{[]string{"RRKeyWord", "_acme-challenge", "SearchMode", "COMBINATION"}, 1},
		{[]string{"RRKeyWord", "_acme-challenge", "ValueKeyWord", "token-abc", "Type", "TXT", "SearchMode", "combination"}, 1},
		{[]string{"RRKeyWord", "acme", "SearchMode", "COMBINATION"}, 0},
	}
	for _, ch := range checks {
		if got := count(ch.kv...); got != ch.want {
			t.Errorf("%v: got %d, want %d", ch.kv, got, ch.want)
		}
	}
}

func TestSubDomainZoneDerivation(t *testing.T) {
	s := newSim(t)
	s.AddZone("sub.example.org", EditionFree)
	s.AddZone("example.com.cn", EditionFree)
	s.PutRecord("example.com", Record{RR: "a.www", Type: "TXT", Value: "x"})
	s.PutRecord("example.com", Record{RR: "@", Type: "TXT", Value: "apex"})
	s.PutRecord("example.com.cn", Record{RR: "www", Type: "A", Value: "192.0.2.1"})
	c := newTC(t, s)
	if recs := mustOK(t, c.call("DescribeSubDomainRecords", "SubDomain", "a.www.example.com")).records(); len(recs) != 1 {
		t.Fatalf("derived zone: %v", recs)
	}
	if recs := mustOK(t, c.call("DescribeSubDomainRecords", "SubDomain", "example.com")).records(); len(recs) != 1 || recs[0]["RR"] != "@" {
		t.Fatalf("apex: %v", recs)
	}
	if recs := mustOK(t, c.call("DescribeSubDomainRecords", "SubDomain", "www.example.com.cn")).records(); len(recs) != 1 {
		t.Fatalf("com.cn: %v", recs)
	}
	mustErr(t, c.call("DescribeSubDomainRecords", "SubDomain", "x.sub.example.org"), 400, "IncorrectDomainUser")
	mustOK(t, c.call("DescribeSubDomainRecords", "SubDomain", "x.sub.example.org", "DomainName", "sub.example.org"))
	mustErr(t, c.call("DescribeSubDomainRecords", "SubDomain", "x.nowhere.net"), 400, "InvalidDomainName.NoExist")
	mustErr(t, c.call("DescribeSubDomainRecords", "SubDomain", "x.example.net", "DomainName", "example.com"), 400, "InvalidParameter")
}

func TestDomains(t *testing.T) {
	s := newSim(t)
	s.AddZone("bücher.example", EditionPersonal)
	s.AddZone("xn--caf-dma.test", EditionEnterpriseAdvanced)
	s.AddZone("ent.com", EditionEnterpriseBasic)
	s.AddForeignZone("other.com")
	s.PutRecord("example.com", Record{RR: "www", Type: "A", Value: "192.0.2.1"})
	c := newTC(t, s)
	r := mustOK(t, c.call("DescribeDomains"))
	doms := r.Body["Domains"].(map[string]any)["Domain"].([]any)
	if r.Body["TotalCount"].(float64) != 4 || len(doms) != 4 {
		t.Fatalf("domains = %s", r.Raw)
	}
	d0 := doms[0].(map[string]any)
	if d0["DomainName"] != "example.com" || d0["RecordCount"].(float64) != 1 || d0["VersionCode"] != "mianfei" || d0["DomainId"] == "" {
		t.Fatalf("domain = %v", d0)
	}
	if ns := d0["DnsServers"].(map[string]any)["DnsServer"].([]any); len(ns) != 2 {
		t.Fatalf("dns servers = %v", ns)
	}
	d1 := doms[1].(map[string]any)
	if d1["DomainName"] != "bücher.example" || d1["PunyCode"] != "xn--bcher-kva.example" {
		t.Fatalf("IDN domain = %v", d1)
	}
	d2 := doms[2].(map[string]any)
	if d2["DomainName"] != "café.test" || d2["PunyCode"] != "xn--caf-dma.test" {
		t.Fatalf("IDN domain from punycode = %v", d2)
	}
	for kw, want := range map[string]float64{"bücher": 1, "xn--bcher": 1, "example": 2, "COM": 2} {
		if got := mustOK(t, c.call("DescribeDomains", "KeyWord", kw)).Body["TotalCount"].(float64); got != want {
			t.Errorf("KeyWord %s: %v", kw, got)
		}
	}
	if got := mustOK(t, c.call("DescribeDomains", "KeyWord", "example", "SearchMode", "EXACT")).Body["TotalCount"].(float64); got != 0 {
		t.Errorf("EXACT example: %v", got)
	}
	if got := mustOK(t, c.call("DescribeDomains", "KeyWord", "xn--bcher-kva.example", "SearchMode", "EXACT")).Body["TotalCount"].(float64); got != 1 {
		t.Errorf("EXACT puny: %v", got)
	}
	if got := mustOK(t, c.call("DescribeDomains", "PageSize", "2", "PageNumber", "2")).Body["Domains"].(map[string]any)["Domain"].([]any); len(got) != 2 {
		t.Errorf("page 2: %v", got)
	}
	for zone, min := range map[string]float64{"example.com": 600, "bücher.example": 600, "ent.com": 60, "café.test": 1} {
		info := mustOK(t, c.call("DescribeDomainInfo", "DomainName", zone, "NeedDetailAttributes", "true"))
		if info.Body["MinTtl"].(float64) != min {
			t.Errorf("%s MinTtl = %v", zone, info.Body["MinTtl"])
		}
	}
	mustErr(t, c.call("DescribeDomainInfo", "DomainName", "other.com"), 400, "IncorrectDomainUser")
	// Records in an IDN zone: AliDNS knows the zone by its Unicode
	// DomainName only; the punycode form is an unknown domain on every
	// record action (DescribeDomains still lists and finds both forms).
	for _, call := range [][]string{
		{"AddDomainRecord", "DomainName", "xn--bcher-kva.example", "RR", "www", "Type", "A", "Value", "192.0.2.1"},
		{"DescribeDomainRecords", "DomainName", "xn--bcher-kva.example"},
		{"DescribeSubDomainRecords", "DomainName", "xn--bcher-kva.example", "SubDomain", "www.bücher.example"},
		{"DeleteSubDomainRecords", "DomainName", "XN--BCHER-KVA.example", "RR", "www"},
		{"DescribeDomainInfo", "DomainName", "xn--bcher-kva.example."},
	} {
		mustErr(t, c.call(call[0], call[1:]...), 400, "InvalidDomainName.NoExist")
	}
	add := mustOK(t, c.call("AddDomainRecord", "DomainName", "bücher.example", "RR", "www", "Type", "A", "Value", "192.0.2.1"))
	info := mustOK(t, c.call("DescribeDomainRecordInfo", "RecordId", add.str("RecordId")))
	if info.str("DomainName") != "bücher.example" || info.str("PunyCode") != "xn--bcher-kva.example" {
		t.Fatalf("IDN record info = %s", info.Raw)
	}
	if n := len(mustOK(t, c.call("DescribeDomainRecords", "DomainName", "bücher.example")).records()); n != 1 {
		t.Fatalf("IDN list = %d", n)
	}
	if n := len(mustOK(t, c.call("DescribeSubDomainRecords", "SubDomain", "www.bücher.example")).records()); n != 1 {
		t.Fatalf("IDN sub list = %d", n)
	}
}

func TestGetMainDomainName(t *testing.T) {
	s := newSim(t)
	c := newTC(t, s)
	for in, want := range map[string][3]any{
		"www.example.com":         {"example.com", "www", float64(2)},
		"a.b.example.com":         {"example.com", "a.b", float64(3)},
		"example.com":             {"example.com", "@", float64(1)},
		"shop.example.com.cn":     {"example.com.cn", "shop", float64(2)},
		"_acme-challenge.x.co.uk": {"x.co.uk", "_acme-challenge", float64(2)},
	} {
		r := mustOK(t, c.call("GetMainDomainName", "InputString", in))
		if r.str("DomainName") != want[0] || r.str("RR") != want[1] || r.Body["DomainLevel"] != want[2] {
			t.Errorf("%s: %s", in, r.Raw)
		}
	}
	mustErr(t, c.call("GetMainDomainName", "InputString", "com"), 400, "InvalidDomainName.Format")
	mustErr(t, c.call("GetMainDomainName"), 400, "MissingParameter")
}
