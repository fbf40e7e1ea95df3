package sdktest

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	alidnsv2 "github.com/alibabacloud-go/alidns-20150109/v4/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"

	"github.com/caddy-alidns/alidns/alidnstest"
)

// The V2 SDK (alidns-20150109 generated on darabonba) signs with V3
// ACS3-HMAC-SHA256, sends every parameter in the query with an empty body,
// and decodes into pointer-typed models. As with V1, every test has its
// own client (the SDK rewrites shared client state on each call).

func newV2(t *testing.T, s *alidnstest.Server, id, secret, token string) *alidnsv2.Client {
	t.Helper()
	cfg := &openapiutil.Config{
		AccessKeyId:     dara.String(id),
		AccessKeySecret: dara.String(secret),
		Endpoint:        dara.String(simHost(t, s)),
		Protocol:        dara.String("http"),
		RegionId:        dara.String("cn-hangzhou"),
		ReadTimeout:     dara.Int(10000),
	}
	if token != "" {
		cfg.SecurityToken = dara.String(token)
	}
	c, err := alidnsv2.NewClient(cfg)
	if err != nil {
		t.Fatalf("V2 NewClient: %v", err)
	}
	return c
}

func newV2Default(t *testing.T, s *alidnstest.Server) *alidnsv2.Client {
	return newV2(t, s, alidnstest.DefaultAccessKeyID, alidnstest.DefaultAccessKeySecret, "")
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func rt() *dara.RuntimeOptions { return &dara.RuntimeOptions{} }

// v2Error asserts err is the SDK's *tea.SDKError with the code, HTTP
// status and RequestId the simulator logged for its last call, and that
// the rest of the error body (HostId, Recommend) reached Data.
func v2Error(t *testing.T, s *alidnstest.Server, err error, code string, status int) *tea.SDKError {
	t.Helper()
	var se *tea.SDKError
	if !errors.As(err, &se) {
		t.Fatalf("want *tea.SDKError %s, got %T %v", code, err, err)
	}
	call := lastCall(t, s)
	eq(t, "SDKError.Code", dara.StringValue(se.Code), code)
	eq(t, "SDKError.StatusCode", dara.IntValue(se.StatusCode), status)
	eq(t, "call.Code", call.Code, code)
	if !strings.Contains(dara.StringValue(se.Message), "request id: "+call.RequestID) {
		t.Errorf("SDKError.Message %q lacks request id %s", dara.StringValue(se.Message), call.RequestID)
	}
	var data map[string]any
	if err := json.Unmarshal([]byte(dara.StringValue(se.Data)), &data); err != nil {
		t.Fatalf("SDKError.Data %q: %v", dara.StringValue(se.Data), err)
	}
	eq(t, "Data.RequestId", data["RequestId"], any(call.RequestID))
	eq(t, "Data.Code", data["Code"], any(code))
	for _, k := range []string{"HostId", "Message", "Recommend"} {
		if v, _ := data[k].(string); v == "" {
			t.Errorf("SDKError.Data.%s missing in %v", k, data)
		}
	}
	return se
}

func v2Add(t *testing.T, c *alidnsv2.Client, zone, rr, typ, value string, ttl int64) *alidnsv2.AddDomainRecordResponse {
	t.Helper()
	req := (&alidnsv2.AddDomainRecordRequest{}).SetDomainName(zone).SetRR(rr).SetType(typ).SetValue(value)
	if ttl != 0 {
		req.SetTTL(ttl)
	}
	resp, err := c.AddDomainRecordWithContext(ctxT(t), req, rt())
	if err != nil {
		t.Fatalf("V2 AddDomainRecord %s %s %q: %v", rr, typ, value, err)
	}
	if dara.Int32Value(resp.StatusCode) != 200 || dara.StringValue(resp.Body.RecordId) == "" || dara.StringValue(resp.Body.RequestId) == "" {
		t.Fatalf("V2 AddDomainRecord decoded %v", resp)
	}
	return resp
}

func TestV2RecordActions(t *testing.T) {
	s := newSim(t)
	s.AddZone("example.com", alidnstest.EditionFree)
	c := newV2Default(t, s)
	ctx := ctxT(t)

	add := v2Add(t, c, "example.com", "_acme-challenge", "TXT", "token-1 with spaces/+=*~ é中😀", 600)
	id := dara.StringValue(add.Body.RecordId)
	eq(t, "RequestId matches the simulator's", dara.StringValue(add.Body.RequestId), lastCall(t, s).RequestID)
	eq(t, "scheme", lastCall(t, s).Scheme, "V3")
	if r, ok := findRecord(t, s, "example.com", id); !ok || r.Value != "token-1 with spaces/+=*~ é中😀" {
		t.Errorf("simulator record = %+v (found %v)", r, ok)
	}
	mx, err := c.AddDomainRecordWithContext(ctx, (&alidnsv2.AddDomainRecordRequest{}).SetDomainName("example.com").
		SetRR("@").SetType("MX").SetValue("mx1.example.com").SetPriority(10).SetTTL(1200), rt())
	if err != nil {
		t.Fatalf("V2 AddDomainRecord MX: %v", err)
	}
	mxID := dara.StringValue(mx.Body.RecordId)

	info, err := c.DescribeDomainRecordInfoWithContext(ctx, (&alidnsv2.DescribeDomainRecordInfoRequest{}).SetRecordId(mxID), rt())
	if err != nil {
		t.Fatalf("V2 DescribeDomainRecordInfo: %v", err)
	}
	b := info.Body
	eq(t, "info.RecordId", dara.StringValue(b.RecordId), mxID)
	eq(t, "info.DomainName", dara.StringValue(b.DomainName), "example.com")
	eq(t, "info.PunyCode", dara.StringValue(b.PunyCode), "example.com")
	eq(t, "info.RR", dara.StringValue(b.RR), "@")
	eq(t, "info.Type", dara.StringValue(b.Type), "MX")
	eq(t, "info.Value", dara.StringValue(b.Value), "mx1.example.com")
	eq(t, "info.TTL", dara.Int64Value(b.TTL), 1200)
	eq(t, "info.Priority", dara.Int64Value(b.Priority), 10)
	eq(t, "info.Line", dara.StringValue(b.Line), "default")
	eq(t, "info.Status", dara.StringValue(b.Status), "ENABLE")
	eq(t, "info.Locked", dara.BoolValue(b.Locked), false)
	if dara.StringValue(b.DomainId) == "" {
		t.Error("info.DomainId empty")
	}

	up, err := c.UpdateDomainRecordWithContext(ctx, (&alidnsv2.UpdateDomainRecordRequest{}).SetRecordId(id).
		SetRR("_acme-challenge").SetType("TXT").SetValue("token-2").SetTTL(900), rt())
	if err != nil {
		t.Fatalf("V2 UpdateDomainRecord: %v", err)
	}
	eq(t, "update.RecordId", dara.StringValue(up.Body.RecordId), id)
	if r, ok := findRecord(t, s, "example.com", id); !ok || r.Value != "token-2" || r.TTL != 900 {
		t.Errorf("simulator record after update = %+v (found %v)", r, ok)
	}

	st, err := c.SetDomainRecordStatusWithContext(ctx, (&alidnsv2.SetDomainRecordStatusRequest{}).SetRecordId(id).SetStatus("Disable"), rt())
	if err != nil {
		t.Fatalf("V2 SetDomainRecordStatus: %v", err)
	}
	eq(t, "status.RecordId", dara.StringValue(st.Body.RecordId), id)
	eq(t, "status.Status", dara.StringValue(st.Body.Status), "DISABLE")

	sub, err := c.DescribeSubDomainRecordsWithContext(ctx, (&alidnsv2.DescribeSubDomainRecordsRequest{}).
		SetSubDomain("_acme-challenge.example.com").SetDomainName("example.com").SetType("TXT"), rt())
	if err != nil {
		t.Fatalf("V2 DescribeSubDomainRecords: %v", err)
	}
	eq(t, "sub.TotalCount", dara.Int64Value(sub.Body.TotalCount), 1)
	if sub.Body.DomainRecords == nil || len(sub.Body.DomainRecords.Record) != 1 {
		t.Fatalf("sub records = %v", sub.Body)
	}
	r := sub.Body.DomainRecords.Record[0]
	eq(t, "sub.Record.RecordId", dara.StringValue(r.RecordId), id)
	eq(t, "sub.Record.Value", dara.StringValue(r.Value), "token-2")
	eq(t, "sub.Record.TTL", dara.Int64Value(r.TTL), 900)
	eq(t, "sub.Record.Status", dara.StringValue(r.Status), "DISABLE")
	eq(t, "sub.Record.Weight", dara.Int32Value(r.Weight), 1)

	del, err := c.DeleteDomainRecordWithContext(ctx, (&alidnsv2.DeleteDomainRecordRequest{}).SetRecordId(mxID), rt())
	if err != nil {
		t.Fatalf("V2 DeleteDomainRecord: %v", err)
	}
	eq(t, "delete.RecordId", dara.StringValue(del.Body.RecordId), mxID)
	if _, ok := findRecord(t, s, "example.com", mxID); ok {
		t.Error("record still in simulator after DeleteDomainRecord")
	}

	v2Add(t, c, "example.com", "_acme-challenge", "TXT", "token-3", 0)
	dsr, err := c.DeleteSubDomainRecordsWithContext(ctx, (&alidnsv2.DeleteSubDomainRecordsRequest{}).
		SetDomainName("example.com").SetRR("_acme-challenge").SetType("TXT"), rt())
	if err != nil {
		t.Fatalf("V2 DeleteSubDomainRecords: %v", err)
	}
	eq(t, "DeleteSubDomainRecords.TotalCount", dara.StringValue(dsr.Body.TotalCount), "2")
	eq(t, "DeleteSubDomainRecords.RR", dara.StringValue(dsr.Body.RR), "_acme-challenge")
	eq(t, "records left", len(s.Records("example.com")), 0)
}

func TestV2DescribeDomainRecordsPaging(t *testing.T) {
	s := newSim(t)
	s.AddZone("example.com", alidnstest.EditionFree)
	c := newV2Default(t, s)
	ctx := ctxT(t)
	var ids []string
	for i := 0; i < 7; i++ {
		ids = append(ids, dara.StringValue(v2Add(t, c, "example.com", "host"+strconv.Itoa(i), "A", "192.0.2."+strconv.Itoa(i+1), 0).Body.RecordId))
	}
	seen := map[string]bool{}
	for page := int64(1); page <= 3; page++ {
		resp, err := c.DescribeDomainRecordsWithContext(ctx, (&alidnsv2.DescribeDomainRecordsRequest{}).
			SetDomainName("example.com").SetPageNumber(page).SetPageSize(3), rt())
		if err != nil {
			t.Fatalf("V2 DescribeDomainRecords page %d: %v", page, err)
		}
		b := resp.Body
		eq(t, "TotalCount", dara.Int64Value(b.TotalCount), 7)
		eq(t, "PageNumber", dara.Int64Value(b.PageNumber), page)
		eq(t, "PageSize", dara.Int64Value(b.PageSize), 3)
		want := 3
		if page == 3 {
			want = 1
		}
		if b.DomainRecords == nil || len(b.DomainRecords.Record) != want {
			t.Fatalf("page %d = %v, want %d records", page, b, want)
		}
		for _, r := range b.DomainRecords.Record {
			seen[dara.StringValue(r.RecordId)] = true
			eq(t, "Record.DomainName", dara.StringValue(r.DomainName), "example.com")
			eq(t, "Record.Type", dara.StringValue(r.Type), "A")
			eq(t, "Record.TTL", dara.Int64Value(r.TTL), 600)
			eq(t, "Record.Line", dara.StringValue(r.Line), "default")
			eq(t, "Record.Status", dara.StringValue(r.Status), "ENABLE")
			if dara.Int64Value(r.CreateTimestamp) <= 0 || dara.Int64Value(r.UpdateTimestamp) <= 0 {
				t.Errorf("timestamps not decoded: %v", r)
			}
		}
		if page == 1 {
			eq(t, "first record (newest first)", dara.StringValue(b.DomainRecords.Record[0].RecordId), ids[6])
		}
	}
	eq(t, "distinct records over all pages", len(seen), 7)

	resp, err := c.DescribeDomainRecordsWithContext(ctx, (&alidnsv2.DescribeDomainRecordsRequest{}).
		SetDomainName("example.com").SetRRKeyWord("HOST3").SetTypeKeyWord("a"), rt())
	if err != nil {
		t.Fatalf("V2 DescribeDomainRecords filtered: %v", err)
	}
	if dara.Int64Value(resp.Body.TotalCount) != 1 || len(resp.Body.DomainRecords.Record) != 1 ||
		dara.StringValue(resp.Body.DomainRecords.Record[0].RR) != "host3" {
		t.Errorf("filtered result = %v", resp.Body)
	}
}

func TestV2DomainActions(t *testing.T) {
	s := newSim(t)
	s.AddZone("example.com", alidnstest.EditionFree)
	s.AddZone("example.net", alidnstest.EditionEnterpriseAdvanced)
	s.AddZone("例子.中国", alidnstest.EditionPersonal)
	c := newV2Default(t, s)
	ctx := ctxT(t)
	v2Add(t, c, "example.com", "www", "A", "192.0.2.1", 0)

	resp, err := c.DescribeDomainsWithContext(ctx, (&alidnsv2.DescribeDomainsRequest{}).SetPageSize(2), rt())
	if err != nil {
		t.Fatalf("V2 DescribeDomains: %v", err)
	}
	eq(t, "TotalCount", dara.Int64Value(resp.Body.TotalCount), 3)
	eq(t, "PageSize", dara.Int64Value(resp.Body.PageSize), 2)
	if resp.Body.Domains == nil || len(resp.Body.Domains.Domain) != 2 {
		t.Fatalf("domains page 1 = %v", resp.Body)
	}
	d := resp.Body.Domains.Domain[0]
	eq(t, "Domain.DomainName", dara.StringValue(d.DomainName), "example.com")
	eq(t, "Domain.PunyCode", dara.StringValue(d.PunyCode), "example.com")
	eq(t, "Domain.VersionCode", dara.StringValue(d.VersionCode), string(alidnstest.EditionFree))
	eq(t, "Domain.RecordCount", dara.Int64Value(d.RecordCount), 1)
	eq(t, "Domain.AliDomain", dara.BoolValue(d.AliDomain), false)
	if dara.StringValue(d.DomainId) == "" || d.DnsServers == nil || len(d.DnsServers.DnsServer) == 0 {
		t.Errorf("Domain not fully decoded: %v", d)
	}
	resp, err = c.DescribeDomainsWithContext(ctx, (&alidnsv2.DescribeDomainsRequest{}).SetPageSize(2).SetPageNumber(2), rt())
	if err != nil {
		t.Fatalf("V2 DescribeDomains page 2: %v", err)
	}
	if len(resp.Body.Domains.Domain) != 1 || dara.StringValue(resp.Body.Domains.Domain[0].DomainName) != "例子.中国" ||
		dara.StringValue(resp.Body.Domains.Domain[0].PunyCode) != "xn--fsqu00a.xn--fiqs8s" {
		t.Errorf("domains page 2 = %v", resp.Body.Domains)
	}
	resp, err = c.DescribeDomainsWithContext(ctx, (&alidnsv2.DescribeDomainsRequest{}).SetKeyWord("example.net").SetSearchMode("EXACT"), rt())
	if err != nil || dara.Int64Value(resp.Body.TotalCount) != 1 ||
		dara.StringValue(resp.Body.Domains.Domain[0].VersionCode) != string(alidnstest.EditionEnterpriseAdvanced) {
		t.Errorf("DescribeDomains EXACT = %v, %v", resp, err)
	}

	for zone, minTTL := range map[string]int64{"example.com": 600, "example.net": 1, "例子.中国": 600} {
		ir, err := c.DescribeDomainInfoWithContext(ctx, (&alidnsv2.DescribeDomainInfoRequest{}).SetDomainName(zone).SetNeedDetailAttributes(true), rt())
		if err != nil {
			t.Fatalf("V2 DescribeDomainInfo %s: %v", zone, err)
		}
		eq(t, "MinTtl of "+zone, dara.Int64Value(ir.Body.MinTtl), minTTL)
		eq(t, "DomainName", dara.StringValue(ir.Body.DomainName), zone)
		if dara.StringValue(ir.Body.VersionCode) == "" || dara.StringValue(ir.Body.DomainId) == "" {
			t.Errorf("DescribeDomainInfo not fully decoded: %v", ir.Body)
		}
	}

	for in, want := range map[string][3]string{
		"www.example.com":     {"example.com", "www", "2"},
		"a.b.example.com.cn":  {"example.com.cn", "a.b", "3"},
		"_acme-challenge.x.y": {"x.y", "_acme-challenge", "2"},
	} {
		gr, err := c.GetMainDomainNameWithContext(ctx, (&alidnsv2.GetMainDomainNameRequest{}).SetInputString(in), rt())
		if err != nil {
			t.Fatalf("V2 GetMainDomainName %s: %v", in, err)
		}
		eq(t, "GetMainDomainName("+in+").DomainName", dara.StringValue(gr.Body.DomainName), want[0])
		eq(t, "GetMainDomainName("+in+").RR", dara.StringValue(gr.Body.RR), want[1])
		eq(t, "GetMainDomainName("+in+").DomainLevel", strconv.FormatInt(dara.Int64Value(gr.Body.DomainLevel), 10), want[2])
	}
}

func TestV2Errors(t *testing.T) {
	s := newSim(t)
	s.AddZone("example.com", alidnstest.EditionFree)
	c := newV2Default(t, s)
	ctx := ctxT(t)
	v2Add(t, c, "example.com", "www", "A", "192.0.2.1", 0)

	dup := (&alidnsv2.AddDomainRecordRequest{}).SetDomainName("example.com").SetRR("www").SetType("A").SetValue("192.0.2.1")
	_, err := c.AddDomainRecordWithContext(ctx, dup, rt())
	v2Error(t, s, err, "DomainRecordDuplicate", 400)

	_, err = c.AddDomainRecordWithContext(ctx, dup.SetDomainName("missing.example"), rt())
	v2Error(t, s, err, "InvalidDomainName.NoExist", 400)

	_, err = c.AddDomainRecordWithContext(ctx, (&alidnsv2.AddDomainRecordRequest{}).SetDomainName("example.com").
		SetRR("t").SetType("TXT").SetValue("x").SetTTL(60), rt())
	v2Error(t, s, err, "QuotaExceeded.TTL", 400)

	_, err = c.DeleteDomainRecordWithContext(ctx, (&alidnsv2.DeleteDomainRecordRequest{}).SetRecordId("123456789"), rt())
	v2Error(t, s, err, "DomainRecordNotBelongToUser", 400)

	bad := newV2(t, s, alidnstest.DefaultAccessKeyID, "wrong-secret", "")
	_, err = bad.DescribeDomainRecordsWithContext(ctx, (&alidnsv2.DescribeDomainRecordsRequest{}).SetDomainName("example.com").SetRRKeyWord("a b*~/é+"), rt())
	v2Error(t, s, err, "SignatureDoesNotMatch", 400)

	unknown := newV2(t, s, "no-such-key", "x", "")
	_, err = unknown.DescribeDomainsWithContext(ctx, &alidnsv2.DescribeDomainsRequest{}, rt())
	v2Error(t, s, err, "InvalidAccessKeyId.NotFound", 404)
}

func TestV2STS(t *testing.T) {
	s := newSim(t)
	s.AddZone("example.com", alidnstest.EditionFree)
	sts := s.IssueSTS(time.Hour)
	c := newV2(t, s, sts.AccessKeyID, sts.AccessKeySecret, sts.SecurityToken)
	add := v2Add(t, c, "example.com", "_acme-challenge", "TXT", "via-sts", 0)
	call := lastCall(t, s)
	eq(t, "call.AccessKeyID", call.AccessKeyID, sts.AccessKeyID)
	eq(t, "call.Scheme", call.Scheme, "V3")
	if _, ok := findRecord(t, s, "example.com", dara.StringValue(add.Body.RecordId)); !ok {
		t.Error("STS write not in simulator state")
	}
	bad := newV2(t, s, sts.AccessKeyID, sts.AccessKeySecret, sts.SecurityToken+"x")
	_, err := bad.DescribeDomainsWithContext(ctxT(t), &alidnsv2.DescribeDomainsRequest{}, rt())
	var se *tea.SDKError
	if !errors.As(err, &se) || dara.IntValue(se.StatusCode) < 400 {
		t.Fatalf("tampered STS token accepted: %v", err)
	}
	t.Logf("tampered STS token refused with %s (HTTP %d)", dara.StringValue(se.Code), dara.IntValue(se.StatusCode))
	noToken := newV2(t, s, sts.AccessKeyID, sts.AccessKeySecret, "")
	if _, err := noToken.DescribeDomainsWithContext(ctxT(t), &alidnsv2.DescribeDomainsRequest{}, rt()); err == nil {
		t.Fatal("STS key accepted without its token")
	}
}

// viaJSON is what darabonba actually sends for a string parameter: its
// openapiutil.Query round-trips the request through encoding/json, which
// replaces each invalid UTF-8 byte with U+FFFD before signing. (The V1
// SDK sends such bytes unchanged.)
func viaJSON(s string) string {
	b, _ := json.Marshal(s)
	var out string
	_ = json.Unmarshal(b, &out)
	return out
}

// TestV2GeneratedValuesVerify cross-checks the simulator's V3 verifier with
// darabonba's signer on generated values, and the round trip of generated
// TXT values through AddDomainRecord / DescribeDomainRecordInfo.
func TestV2GeneratedValuesVerify(t *testing.T) {
	s := newSim(t)
	s.AddZone("example.com", alidnstest.EditionFree)
	c := newV2Default(t, s)
	ctx := ctxT(t)
	g := newGen(777)
	for i := 0; i < 200; i++ {
		rr, val, lang := g.value(6), g.value(6), g.value(2)
		req := (&alidnsv2.DescribeDomainRecordsRequest{}).SetDomainName("example.com").SetRRKeyWord(rr).SetValueKeyWord(val).SetLang(lang)
		if _, err := c.DescribeDomainRecordsWithContext(ctx, req, rt()); err != nil {
			t.Fatalf("V2 with RRKeyWord %q ValueKeyWord %q Lang %q: %v", rr, val, lang, err)
		}
		p := lastCall(t, s).Params
		if p.Get("RRKeyWord") != viaJSON(rr) || p.Get("ValueKeyWord") != viaJSON(val) {
			t.Fatalf("simulator decoded RRKeyWord %q ValueKeyWord %q, sent %q %q", p.Get("RRKeyWord"), p.Get("ValueKeyWord"), rr, val)
		}
	}
}

// TestV2TXTRoundTrip stores generated TXT values through the V2 SDK and
// reads them back with DescribeDomainRecordInfo.
func TestV2TXTRoundTrip(t *testing.T) {
	s := newSim(t)
	s.AddZone("example.com", alidnstest.EditionFree)
	c := newV2Default(t, s)
	ctx := ctxT(t)
	for i, v := range txtValues(4711, 100) {
		add := v2Add(t, c, "example.com", "t"+strconv.Itoa(i), "TXT", v, 0)
		id := dara.StringValue(add.Body.RecordId)
		stored, ok := findRecord(t, s, "example.com", id)
		if !ok || stored.Value != strings.TrimSpace(v) {
			t.Fatalf("sent %q, simulator stored %q", v, stored.Value)
		}
		info, err := c.DescribeDomainRecordInfoWithContext(ctx, (&alidnsv2.DescribeDomainRecordInfoRequest{}).SetRecordId(id), rt())
		if err != nil {
			t.Fatalf("V2 DescribeDomainRecordInfo: %v", err)
		}
		if dara.StringValue(info.Body.Value) != stored.Value || dara.StringValue(info.Body.RR) != "t"+strconv.Itoa(i) {
			t.Fatalf("V2 decoded Value %q RR %q, simulator has %q", dara.StringValue(info.Body.Value), dara.StringValue(info.Body.RR), stored.Value)
		}
	}
}

// TestV2LegacyRPCSignature runs the V2 SDK with SignatureAlgorithm "v2":
// darabonba then takes its legacy RPC path (HMAC-SHA1 in the query,
// Format=json in lower case, SecurityToken as a query parameter) against
// the simulator's RPC verifier.
func TestV2LegacyRPCSignature(t *testing.T) {
	s := newSim(t)
	s.AddZone("example.com", alidnstest.EditionFree)
	ctx := ctxT(t)
	legacy := func(id, secret, token string) *alidnsv2.Client {
		c := newV2(t, s, id, secret, token)
		c.SignatureAlgorithm = dara.String("v2")
		return c
	}
	c := legacy(alidnstest.DefaultAccessKeyID, alidnstest.DefaultAccessKeySecret, "")
	add := v2Add(t, c, "example.com", "_acme-challenge", "TXT", "legacy a+b c*~/é", 0)
	eq(t, "scheme", lastCall(t, s).Scheme, "RPC")
	info, err := c.DescribeDomainRecordInfoWithContext(ctx, (&alidnsv2.DescribeDomainRecordInfoRequest{}).SetRecordId(dara.StringValue(add.Body.RecordId)), rt())
	if err != nil {
		t.Fatalf("V2 (RPC) DescribeDomainRecordInfo: %v", err)
	}
	eq(t, "Value", dara.StringValue(info.Body.Value), "legacy a+b c*~/é")

	_, err = c.AddDomainRecordWithContext(ctx, (&alidnsv2.AddDomainRecordRequest{}).SetDomainName("example.com").
		SetRR("_acme-challenge").SetType("TXT").SetValue("legacy a+b c*~/é"), rt())
	v2Error(t, s, err, "DomainRecordDuplicate", 400)

	bad := legacy(alidnstest.DefaultAccessKeyID, "wrong", "")
	_, err = bad.DescribeDomainsWithContext(ctx, &alidnsv2.DescribeDomainsRequest{}, rt())
	v2Error(t, s, err, "SignatureDoesNotMatch", 400)

	sts := s.IssueSTS(time.Hour)
	withSTS := legacy(sts.AccessKeyID, sts.AccessKeySecret, sts.SecurityToken)
	if _, err := withSTS.DescribeDomainsWithContext(ctx, &alidnsv2.DescribeDomainsRequest{}, rt()); err != nil {
		t.Fatalf("V2 (RPC) with STS: %v", err)
	}
	eq(t, "STS call key", lastCall(t, s).AccessKeyID, sts.AccessKeyID)

	g := newGen(2468)
	for i := 0; i < 100; i++ {
		rr, val := g.value(6), g.value(6)
		if _, err := c.DescribeDomainRecordsWithContext(ctx, (&alidnsv2.DescribeDomainRecordsRequest{}).
			SetDomainName("example.com").SetRRKeyWord(rr).SetValueKeyWord(val), rt()); err != nil {
			t.Fatalf("V2 (RPC) with RRKeyWord %q ValueKeyWord %q: %v", rr, val, err)
		}
		p := lastCall(t, s).Params
		if p.Get("RRKeyWord") != viaJSON(rr) || p.Get("ValueKeyWord") != viaJSON(val) {
			t.Fatalf("simulator decoded RRKeyWord %q ValueKeyWord %q, sent %q %q", p.Get("RRKeyWord"), p.Get("ValueKeyWord"), rr, val)
		}
	}
}
