package sdktest

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	alidnsv1 "github.com/aliyun/alibaba-cloud-sdk-go/services/alidns"

	"github.com/caddy-alidns/alidns/alidnstest"
)

// The V1 SDK (github.com/aliyun/alibaba-cloud-sdk-go, End-of-Support but
// still widely deployed) signs with RPC HMAC-SHA1 and decodes with a fuzzy
// json-iterator configuration. Each test builds its own client: the SDK
// mutates its http.Client per call and is not safe for concurrent use.

func newV1(t *testing.T, s *alidnstest.Server, id, secret, token string) *alidnsv1.Client {
	t.Helper()
	cfg := sdk.NewConfig().WithScheme("HTTP").WithTimeout(10 * time.Second)
	var cred credentials.CredentialsProvider = credentials.NewStaticAKCredentialsProvider(id, secret)
	if token != "" {
		cred = credentials.NewStaticSTSCredentialsProvider(id, secret, token)
	}
	c, err := alidnsv1.NewClientWithOptions("cn-hangzhou", cfg, cred)
	if err != nil {
		t.Fatalf("V1 NewClientWithOptions: %v", err)
	}
	c.Domain = simHost(t, s)
	return c
}

func newV1Default(t *testing.T, s *alidnstest.Server) *alidnsv1.Client {
	return newV1(t, s, alidnstest.DefaultAccessKeyID, alidnstest.DefaultAccessKeySecret, "")
}

// v1ServerError asserts err is the SDK's *errors.ServerError carrying the
// code, HTTP status and RequestId the simulator logged for its last call.
func v1ServerError(t *testing.T, s *alidnstest.Server, err error, code string, status int) *sdkerrors.ServerError {
	t.Helper()
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) {
		t.Fatalf("want *errors.ServerError %s, got %T %v", code, err, err)
	}
	call := lastCall(t, s)
	eq(t, "ErrorCode()", se.ErrorCode(), code)
	eq(t, "HttpStatus()", se.HttpStatus(), status)
	eq(t, "RequestId()", se.RequestId(), call.RequestID)
	eq(t, "call.Code", call.Code, code)
	if se.RequestId() == "" || se.Message() == "" || se.Recommend() == "" || se.HostId() == "" {
		t.Errorf("ServerError fields not all decoded: RequestId %q Message %q Recommend %q HostId %q",
			se.RequestId(), se.Message(), se.Recommend(), se.HostId())
	}
	return se
}

func v1Add(t *testing.T, c *alidnsv1.Client, zone, rr, typ, value string, ttl int) *alidnsv1.AddDomainRecordResponse {
	t.Helper()
	req := alidnsv1.CreateAddDomainRecordRequest()
	req.DomainName, req.RR, req.Type, req.Value = zone, rr, typ, value
	if ttl != 0 {
		req.TTL = requests.NewInteger(ttl)
	}
	resp, err := c.AddDomainRecord(req)
	if err != nil {
		t.Fatalf("V1 AddDomainRecord %s %s %q: %v", rr, typ, value, err)
	}
	if resp.RecordId == "" || resp.RequestId == "" || !resp.IsSuccess() {
		t.Fatalf("V1 AddDomainRecord decoded %+v", resp)
	}
	return resp
}

func TestV1RecordActions(t *testing.T) {
	s := newSim(t)
	s.AddZone("example.com", alidnstest.EditionFree)
	c := newV1Default(t, s)

	// AddDomainRecord, then DescribeDomainRecordInfo decodes it back.
	add := v1Add(t, c, "example.com", "_acme-challenge", "TXT", "token-1 with spaces/+=*~ é中😀", 600)
	eq(t, "RequestId matches the simulator's", add.RequestId, lastCall(t, s).RequestID)
	mxReq := alidnsv1.CreateAddDomainRecordRequest()
	mxReq.DomainName, mxReq.RR, mxReq.Type, mxReq.Value = "example.com", "@", "MX", "mx1.example.com"
	mxReq.Priority, mxReq.TTL = requests.NewInteger(10), requests.NewInteger(1200)
	mx, err := c.AddDomainRecord(mxReq)
	if err != nil {
		t.Fatalf("V1 AddDomainRecord MX: %v", err)
	}

	infoReq := alidnsv1.CreateDescribeDomainRecordInfoRequest()
	infoReq.RecordId = mx.RecordId
	info, err := c.DescribeDomainRecordInfo(infoReq)
	if err != nil {
		t.Fatalf("V1 DescribeDomainRecordInfo: %v", err)
	}
	eq(t, "info.RecordId", info.RecordId, mx.RecordId)
	eq(t, "info.DomainName", info.DomainName, "example.com")
	eq(t, "info.PunyCode", info.PunyCode, "example.com")
	eq(t, "info.RR", info.RR, "@")
	eq(t, "info.Type", info.Type, "MX")
	eq(t, "info.Value", info.Value, "mx1.example.com")
	eq(t, "info.TTL", info.TTL, int64(1200))
	eq(t, "info.Priority", info.Priority, int64(10))
	eq(t, "info.Line", info.Line, "default")
	eq(t, "info.Status", info.Status, "ENABLE")
	eq(t, "info.Locked", info.Locked, false)
	if info.DomainId == "" {
		t.Error("info.DomainId empty")
	}

	// UpdateDomainRecord changes the TXT value; the simulator state follows.
	up := alidnsv1.CreateUpdateDomainRecordRequest()
	up.RecordId, up.RR, up.Type, up.Value, up.TTL = add.RecordId, "_acme-challenge", "TXT", "token-2", requests.NewInteger(900)
	upResp, err := c.UpdateDomainRecord(up)
	if err != nil {
		t.Fatalf("V1 UpdateDomainRecord: %v", err)
	}
	eq(t, "update.RecordId", upResp.RecordId, add.RecordId)
	if r, ok := findRecord(t, s, "example.com", add.RecordId); !ok || r.Value != "token-2" || r.TTL != 900 {
		t.Errorf("simulator record after update = %+v (found %v)", r, ok)
	}

	// SetDomainRecordStatus.
	st := alidnsv1.CreateSetDomainRecordStatusRequest()
	st.RecordId, st.Status = add.RecordId, "Disable"
	stResp, err := c.SetDomainRecordStatus(st)
	if err != nil {
		t.Fatalf("V1 SetDomainRecordStatus: %v", err)
	}
	eq(t, "status.RecordId", stResp.RecordId, add.RecordId)
	eq(t, "status.Status", stResp.Status, "DISABLE")
	if r, _ := findRecord(t, s, "example.com", add.RecordId); r.Status != "DISABLE" {
		t.Errorf("simulator status = %q", r.Status)
	}

	// DescribeSubDomainRecords finds the TXT record by FQDN.
	sub := alidnsv1.CreateDescribeSubDomainRecordsRequest()
	sub.SubDomain, sub.DomainName, sub.Type = "_acme-challenge.example.com", "example.com", "TXT"
	subResp, err := c.DescribeSubDomainRecords(sub)
	if err != nil {
		t.Fatalf("V1 DescribeSubDomainRecords: %v", err)
	}
	eq(t, "sub.TotalCount", subResp.TotalCount, int64(1))
	if len(subResp.DomainRecords.Record) != 1 {
		t.Fatalf("sub records = %+v", subResp.DomainRecords.Record)
	}
	r := subResp.DomainRecords.Record[0]
	eq(t, "sub.Record.RecordId", r.RecordId, add.RecordId)
	eq(t, "sub.Record.Value", r.Value, "token-2")
	eq(t, "sub.Record.TTL", r.TTL, int64(900))
	eq(t, "sub.Record.Status", r.Status, "DISABLE")
	eq(t, "sub.Record.Weight", r.Weight, 1)

	// DeleteDomainRecord.
	del := alidnsv1.CreateDeleteDomainRecordRequest()
	del.RecordId = mx.RecordId
	delResp, err := c.DeleteDomainRecord(del)
	if err != nil {
		t.Fatalf("V1 DeleteDomainRecord: %v", err)
	}
	eq(t, "delete.RecordId", delResp.RecordId, mx.RecordId)
	if _, ok := findRecord(t, s, "example.com", mx.RecordId); ok {
		t.Error("record still in simulator after DeleteDomainRecord")
	}

	// DeleteSubDomainRecords removes every record of an RR; TotalCount is
	// a string in this one response.
	v1Add(t, c, "example.com", "_acme-challenge", "TXT", "token-3", 0)
	dsr := alidnsv1.CreateDeleteSubDomainRecordsRequest()
	dsr.DomainName, dsr.RR, dsr.Type = "example.com", "_acme-challenge", "TXT"
	dsrResp, err := c.DeleteSubDomainRecords(dsr)
	if err != nil {
		t.Fatalf("V1 DeleteSubDomainRecords: %v", err)
	}
	eq(t, "DeleteSubDomainRecords.TotalCount", dsrResp.TotalCount, "2")
	eq(t, "DeleteSubDomainRecords.RR", dsrResp.RR, "_acme-challenge")
	eq(t, "records left", len(s.Records("example.com")), 0)
}

func TestV1DescribeDomainRecordsPaging(t *testing.T) {
	s := newSim(t)
	s.AddZone("example.com", alidnstest.EditionFree)
	c := newV1Default(t, s)
	var ids []string
	for i := 0; i < 7; i++ {
		ids = append(ids, v1Add(t, c, "example.com", "host"+strconv.Itoa(i), "A", "192.0.2."+strconv.Itoa(i+1), 0).RecordId)
	}
	seen := map[string]bool{}
	for page := 1; page <= 3; page++ {
		req := alidnsv1.CreateDescribeDomainRecordsRequest()
		req.DomainName, req.PageNumber, req.PageSize = "example.com", requests.NewInteger(page), requests.NewInteger(3)
		resp, err := c.DescribeDomainRecords(req)
		if err != nil {
			t.Fatalf("V1 DescribeDomainRecords page %d: %v", page, err)
		}
		eq(t, "TotalCount", resp.TotalCount, int64(7))
		eq(t, "PageNumber", resp.PageNumber, int64(page))
		eq(t, "PageSize", resp.PageSize, int64(3))
		want := 3
		if page == 3 {
			want = 1
		}
		if len(resp.DomainRecords.Record) != want {
			t.Fatalf("page %d has %d records, want %d", page, len(resp.DomainRecords.Record), want)
		}
		for _, r := range resp.DomainRecords.Record {
			seen[r.RecordId] = true
			eq(t, "Record.DomainName", r.DomainName, "example.com")
			eq(t, "Record.Type", r.Type, "A")
			eq(t, "Record.TTL", r.TTL, int64(600))
			eq(t, "Record.Line", r.Line, "default")
			eq(t, "Record.Status", r.Status, "ENABLE")
		}
		if page == 1 { // newest first
			eq(t, "first record", resp.DomainRecords.Record[0].RecordId, ids[6])
		}
	}
	eq(t, "distinct records over all pages", len(seen), 7)

	// Filters: RRKeyWord (fuzzy) and TypeKeyWord.
	req := alidnsv1.CreateDescribeDomainRecordsRequest()
	req.DomainName, req.RRKeyWord, req.TypeKeyWord = "example.com", "HOST3", "a"
	resp, err := c.DescribeDomainRecords(req)
	if err != nil {
		t.Fatalf("V1 DescribeDomainRecords filtered: %v", err)
	}
	if resp.TotalCount != 1 || len(resp.DomainRecords.Record) != 1 || resp.DomainRecords.Record[0].RR != "host3" {
		t.Errorf("filtered result = %+v", resp.DomainRecords)
	}
}

func TestV1DomainActions(t *testing.T) {
	s := newSim(t)
	s.AddZone("example.com", alidnstest.EditionFree)
	s.AddZone("example.net", alidnstest.EditionEnterpriseAdvanced)
	s.AddZone("例子.中国", alidnstest.EditionPersonal)
	c := newV1Default(t, s)
	v1Add(t, c, "example.com", "www", "A", "192.0.2.1", 0)

	req := alidnsv1.CreateDescribeDomainsRequest()
	req.PageSize = requests.NewInteger(2)
	resp, err := c.DescribeDomains(req)
	if err != nil {
		t.Fatalf("V1 DescribeDomains: %v", err)
	}
	eq(t, "TotalCount", resp.TotalCount, int64(3))
	eq(t, "PageSize", resp.PageSize, int64(2))
	if len(resp.Domains.Domain) != 2 {
		t.Fatalf("domains page 1 = %+v", resp.Domains.Domain)
	}
	d := resp.Domains.Domain[0]
	eq(t, "Domain.DomainName", d.DomainName, "example.com")
	eq(t, "Domain.PunyCode", d.PunyCode, "example.com")
	eq(t, "Domain.VersionCode", d.VersionCode, string(alidnstest.EditionFree))
	eq(t, "Domain.RecordCount", d.RecordCount, int64(1))
	if d.DomainId == "" || len(d.DnsServers.DnsServer) == 0 {
		t.Errorf("Domain not fully decoded: %+v", d)
	}
	req.PageNumber = requests.NewInteger(2)
	resp, err = c.DescribeDomains(req)
	if err != nil {
		t.Fatalf("V1 DescribeDomains page 2: %v", err)
	}
	if len(resp.Domains.Domain) != 1 || resp.Domains.Domain[0].DomainName != "例子.中国" || resp.Domains.Domain[0].PunyCode != "xn--fsqu00a.xn--fiqs8s" {
		t.Errorf("domains page 2 = %+v", resp.Domains.Domain)
	}
	kw := alidnsv1.CreateDescribeDomainsRequest()
	kw.KeyWord, kw.SearchMode = "example.net", "EXACT"
	resp, err = c.DescribeDomains(kw)
	if err != nil || resp.TotalCount != 1 || resp.Domains.Domain[0].VersionCode != string(alidnstest.EditionEnterpriseAdvanced) {
		t.Errorf("DescribeDomains EXACT = %+v, %v", resp, err)
	}

	for zone, minTTL := range map[string]int64{"example.com": 600, "example.net": 1, "例子.中国": 600} {
		info := alidnsv1.CreateDescribeDomainInfoRequest()
		info.DomainName, info.NeedDetailAttributes = zone, requests.NewBoolean(true)
		ir, err := c.DescribeDomainInfo(info)
		if err != nil {
			t.Fatalf("V1 DescribeDomainInfo %s: %v", zone, err)
		}
		eq(t, "MinTtl of "+zone, ir.MinTtl, minTTL)
		eq(t, "DomainName", ir.DomainName, zone)
		if ir.VersionCode == "" || ir.DomainId == "" || ir.RequestId == "" {
			t.Errorf("DescribeDomainInfo not fully decoded: %+v", ir)
		}
	}

	for in, want := range map[string][3]string{
		"www.example.com":     {"example.com", "www", "2"},
		"a.b.example.com.cn":  {"example.com.cn", "a.b", "3"},
		"_acme-challenge.x.y": {"x.y", "_acme-challenge", "2"},
	} {
		g := alidnsv1.CreateGetMainDomainNameRequest()
		g.InputString = in
		gr, err := c.GetMainDomainName(g)
		if err != nil {
			t.Fatalf("V1 GetMainDomainName %s: %v", in, err)
		}
		eq(t, "GetMainDomainName("+in+").DomainName", gr.DomainName, want[0])
		eq(t, "GetMainDomainName("+in+").RR", gr.RR, want[1])
		eq(t, "GetMainDomainName("+in+").DomainLevel", strconv.FormatInt(gr.DomainLevel, 10), want[2])
	}
}

func TestV1Errors(t *testing.T) {
	s := newSim(t)
	s.AddZone("example.com", alidnstest.EditionFree)
	c := newV1Default(t, s)
	v1Add(t, c, "example.com", "www", "A", "192.0.2.1", 0)

	dup := alidnsv1.CreateAddDomainRecordRequest()
	dup.DomainName, dup.RR, dup.Type, dup.Value = "example.com", "www", "A", "192.0.2.1"
	_, err := c.AddDomainRecord(dup)
	v1ServerError(t, s, err, "DomainRecordDuplicate", 400)

	dup.DomainName = "missing.example"
	_, err = c.AddDomainRecord(dup)
	v1ServerError(t, s, err, "InvalidDomainName.NoExist", 400)

	ttl := alidnsv1.CreateAddDomainRecordRequest()
	ttl.DomainName, ttl.RR, ttl.Type, ttl.Value, ttl.TTL = "example.com", "t", "TXT", "x", requests.NewInteger(60)
	_, err = c.AddDomainRecord(ttl)
	v1ServerError(t, s, err, "QuotaExceeded.TTL", 400)

	del := alidnsv1.CreateDeleteDomainRecordRequest()
	del.RecordId = "123456789"
	_, err = c.DeleteDomainRecord(del)
	v1ServerError(t, s, err, "DomainRecordNotBelongToUser", 400)

	// A wrong secret is refused with SignatureDoesNotMatch, whose message
	// carries the server's string to sign; the SDK compares it with its
	// own and, only when both are byte-identical, blames the secret.
	bad := newV1(t, s, alidnstest.DefaultAccessKeyID, "wrong-secret", "")
	badReq := alidnsv1.CreateDescribeDomainRecordsRequest()
	badReq.DomainName, badReq.RRKeyWord = "example.com", "a b*~/é+"
	_, err = bad.DescribeDomainRecords(badReq)
	se := v1ServerError(t, s, err, "SignatureDoesNotMatch", 400)
	eq(t, "SDK verdict on the server's string to sign", se.Recommend(), v1SecretHint)
	unknown := newV1(t, s, "no-such-key", "x", "")
	_, err = unknown.DescribeDomains(alidnsv1.CreateDescribeDomainsRequest())
	v1ServerError(t, s, err, "InvalidAccessKeyId.NotFound", 404)
}

// v1SecretHint is what the V1 SDK puts in Recommend() when the string to
// sign in a SignatureDoesNotMatch message equals its own.
const v1SecretHint = "InvalidAccessKeySecret: Please check you AccessKeySecret"

func TestV1STS(t *testing.T) {
	s := newSim(t)
	s.AddZone("example.com", alidnstest.EditionFree)
	sts := s.IssueSTS(time.Hour)
	c := newV1(t, s, sts.AccessKeyID, sts.AccessKeySecret, sts.SecurityToken)
	add := v1Add(t, c, "example.com", "_acme-challenge", "TXT", "via-sts", 0)
	call := lastCall(t, s)
	eq(t, "call.AccessKeyID", call.AccessKeyID, sts.AccessKeyID)
	eq(t, "call.Scheme", call.Scheme, "RPC")
	if _, ok := findRecord(t, s, "example.com", add.RecordId); !ok {
		t.Error("STS write not in simulator state")
	}
	bad := newV1(t, s, sts.AccessKeyID, sts.AccessKeySecret, sts.SecurityToken+"x")
	_, err := bad.DescribeDomains(alidnsv1.CreateDescribeDomainsRequest())
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) || se.HttpStatus() < 400 {
		t.Fatalf("tampered STS token accepted: %v", err)
	}
	t.Logf("tampered STS token refused with %s (HTTP %d)", se.ErrorCode(), se.HttpStatus())
	noToken := newV1(t, s, sts.AccessKeyID, sts.AccessKeySecret, "")
	if _, err := noToken.DescribeDomains(alidnsv1.CreateDescribeDomainsRequest()); err == nil {
		t.Fatal("STS key accepted without its token")
	}
}

// TestV1GeneratedValuesVerify cross-checks the simulator's RPC HMAC-SHA1
// verifier with the V1 SDK's signer: generated filter values with every
// awkward character are sent (POST and GET) and none may be refused.
func TestV1GeneratedValuesVerify(t *testing.T) {
	s := newSim(t)
	s.AddZone("example.com", alidnstest.EditionFree)
	c := newV1Default(t, s)
	bad := newV1(t, s, alidnstest.DefaultAccessKeyID, "not-the-secret", "")
	g := newGen(4242)
	for i := 0; i < 200; i++ {
		req := alidnsv1.CreateDescribeDomainRecordsRequest()
		req.DomainName, req.RRKeyWord, req.ValueKeyWord, req.Lang = "example.com", g.value(6), g.value(6), g.value(2)
		if i%2 == 1 {
			req.Method = requests.GET
		}
		if i%5 == 4 {
			// Refused, and the server's string to sign must be the SDK's.
			_, err := bad.DescribeDomainRecords(req)
			var se *sdkerrors.ServerError
			if !errors.As(err, &se) {
				t.Fatalf("V1 %s with wrong secret: want ServerError, got %v", req.Method, err)
			}
			if se.ErrorCode() != "SignatureDoesNotMatch" || se.Recommend() != v1SecretHint {
				t.Fatalf("V1 %s with wrong secret, RRKeyWord %q ValueKeyWord %q Lang %q: %v (Recommend %q)",
					req.Method, req.RRKeyWord, req.ValueKeyWord, req.Lang, err, se.Recommend())
			}
			continue
		}
		if _, err := c.DescribeDomainRecords(req); err != nil {
			t.Fatalf("V1 %s with RRKeyWord %q ValueKeyWord %q Lang %q: %v", req.Method, req.RRKeyWord, req.ValueKeyWord, req.Lang, err)
		}
		p := lastCall(t, s).Params
		if p.Get("RRKeyWord") != req.RRKeyWord || p.Get("ValueKeyWord") != req.ValueKeyWord {
			t.Fatalf("simulator decoded RRKeyWord %q ValueKeyWord %q, sent %q %q", p.Get("RRKeyWord"), p.Get("ValueKeyWord"), req.RRKeyWord, req.ValueKeyWord)
		}
	}
}

// TestV1TXTRoundTrip stores generated TXT values through the V1 SDK and
// reads them back with DescribeDomainRecordInfo.
func TestV1TXTRoundTrip(t *testing.T) {
	s := newSim(t)
	s.AddZone("example.com", alidnstest.EditionFree)
	c := newV1Default(t, s)
	for i, v := range txtValues(31337, 100) {
		add := v1Add(t, c, "example.com", "t"+strconv.Itoa(i), "TXT", v, 0)
		stored, ok := findRecord(t, s, "example.com", add.RecordId)
		if !ok || stored.Value != strings.TrimSpace(v) {
			t.Fatalf("sent %q, simulator stored %q", v, stored.Value)
		}
		req := alidnsv1.CreateDescribeDomainRecordInfoRequest()
		req.RecordId = add.RecordId
		info, err := c.DescribeDomainRecordInfo(req)
		if err != nil {
			t.Fatalf("V1 DescribeDomainRecordInfo: %v", err)
		}
		if info.Value != stored.Value || info.RR != "t"+strconv.Itoa(i) {
			t.Fatalf("V1 decoded Value %q RR %q, simulator has %q", info.Value, info.RR, stored.Value)
		}
	}
}

// TestV1XMLResponses asks for Format=XML, the API's historical default, and
// decodes the simulator's XML with the SDK's xml tags.
func TestV1XMLResponses(t *testing.T) {
	s := newSim(t)
	s.AddZone("example.com", alidnstest.EditionFree)
	c := newV1Default(t, s)

	var ids []string
	for i, v := range []string{"xml <&> \"quoted\" 'value' é中", "second"} {
		req := alidnsv1.CreateAddDomainRecordRequest()
		req.AcceptFormat = "XML"
		req.DomainName, req.RR, req.Type, req.Value = "example.com", "x"+strconv.Itoa(i), "TXT", v
		resp, err := c.AddDomainRecord(req)
		if err != nil {
			t.Fatalf("V1 AddDomainRecord (XML): %v", err)
		}
		if resp.RecordId == "" || resp.RequestId != lastCall(t, s).RequestID {
			t.Fatalf("XML AddDomainRecord decoded %+v", resp)
		}
		ids = append(ids, resp.RecordId)
	}

	list := alidnsv1.CreateDescribeDomainRecordsRequest()
	list.AcceptFormat = "XML"
	list.DomainName = "example.com"
	resp, err := c.DescribeDomainRecords(list)
	if err != nil {
		t.Fatalf("V1 DescribeDomainRecords (XML): %v", err)
	}
	eq(t, "XML TotalCount", resp.TotalCount, int64(2))
	eq(t, "XML PageNumber", resp.PageNumber, int64(1))
	eq(t, "XML PageSize", resp.PageSize, int64(20))
	if len(resp.DomainRecords.Record) != 2 {
		t.Fatalf("XML records = %+v", resp.DomainRecords)
	}
	r := resp.DomainRecords.Record[1] // newest first
	eq(t, "XML Record.RecordId", r.RecordId, ids[0])
	eq(t, "XML Record.Value", r.Value, "xml <&> \"quoted\" 'value' é中")
	eq(t, "XML Record.TTL", r.TTL, int64(600))
	eq(t, "XML Record.Locked", r.Locked, false)
	eq(t, "XML Record.Weight", r.Weight, 1)

	info := alidnsv1.CreateDescribeDomainRecordInfoRequest()
	info.AcceptFormat = "XML"
	info.RecordId = ids[1]
	ir, err := c.DescribeDomainRecordInfo(info)
	if err != nil {
		t.Fatalf("V1 DescribeDomainRecordInfo (XML): %v", err)
	}
	eq(t, "XML info.Value", ir.Value, "second")
	eq(t, "XML info.RR", ir.RR, "x1")
	eq(t, "XML info.Status", ir.Status, "ENABLE")

	dsr := alidnsv1.CreateDeleteSubDomainRecordsRequest()
	dsr.AcceptFormat = "XML"
	dsr.DomainName, dsr.RR = "example.com", "x0"
	dr, err := c.DeleteSubDomainRecords(dsr)
	if err != nil {
		t.Fatalf("V1 DeleteSubDomainRecords (XML): %v", err)
	}
	eq(t, "XML DeleteSubDomainRecords.TotalCount", dr.TotalCount, "1")

	// The V1 SDK only parses JSON error bodies; an XML error still
	// surfaces as a ServerError with the HTTP status and the raw body.
	dup := alidnsv1.CreateAddDomainRecordRequest()
	dup.AcceptFormat = "XML"
	dup.DomainName, dup.RR, dup.Type, dup.Value = "example.com", "x1", "TXT", "second"
	_, err = c.AddDomainRecord(dup)
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) {
		t.Fatalf("XML error: want ServerError, got %v", err)
	}
	eq(t, "XML error status", se.HttpStatus(), 400)
	if !strings.Contains(se.Message(), "<Code>DomainRecordDuplicate</Code>") || !strings.Contains(se.Message(), "<Error>") {
		t.Errorf("XML error body = %q", se.Message())
	}
}
