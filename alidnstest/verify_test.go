package alidnstest

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestRPCVectorECSDoc(t *testing.T) {
	p := url.Values{}
	for k, v := range map[string]string{
		"AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML",
		"SignatureMethod": "HMAC-SHA1", "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
		"SignatureVersion": "1.0", "Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26",
	} {
		p.Set(k, v)
	}
	if got := rpcSign("testsecret", rpcStringToSign("GET", p)); got != "OLeaidS1JvxuMvnyHOwuJ+uX5qY=" {
		t.Fatalf("signature = %s", got)
	}
}

func alidnsRPCVector() map[string]string {
	return map[string]string{
		"AccessKeyId": "testid", "Action": "AddDomainRecord", "DomainName": "example.com",
		"Format": "JSON", "RR": "_acme-challenge.www", "SecurityToken": "STS.token",
		"SignatureMethod": "HMAC-SHA1", "SignatureNonce": "15215528852396", "SignatureVersion": "1.0",
		"TTL": "600", "Timestamp": "2015-01-09T12:00:00Z", "Type": "TXT", "Value": "abc def/+=*~",
		"Version": "2015-01-09",
	}
}

func TestRPCVectorAlidns(t *testing.T) {
	const wantSTS = "POST&%2F&AccessKeyId%3Dtestid%26Action%3DAddDomainRecord%26DomainName%3Dexample.com%26Format%3DJSON%26RR%3D_acme-challenge.www%26SecurityToken%3DSTS.token%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D15215528852396%26SignatureVersion%3D1.0%26TTL%3D600%26Timestamp%3D2015-01-09T12%253A00%253A00Z%26Type%3DTXT%26Value%3Dabc%2520def%252F%252B%253D%252A~%26Version%3D2015-01-09"
	p := url.Values{}
	for k, v := range alidnsRPCVector() {
		p.Set(k, v)
	}
	p.Set("Signature", "ignored")
	sts := rpcStringToSign("POST", p)
	if sts != wantSTS {
		t.Fatalf("string to sign:\n got %s\nwant %s", sts, wantSTS)
	}
	if got := rpcSign("testsecret", sts); got != "cc8pt0tsJUGAJnH6Ge52m2qdMUw=" {
		t.Fatalf("signature = %s", got)
	}
	// The test signer agrees.
	tsts, tsig := tRPCSignature("POST", "testsecret", alidnsRPCVector())
	if tsts != wantSTS || tsig != "cc8pt0tsJUGAJnH6Ge52m2qdMUw=" {
		t.Fatalf("test signer: %s %s", tsts, tsig)
	}
}

// TestRPCVectorOverHTTP sends the published Alidns RPC vector verbatim to
// the server (clock pinned, STS key registered) and expects it accepted.
func TestRPCVectorOverHTTP(t *testing.T) {
	at, _ := time.Parse(tsLayout, "2015-01-09T12:00:00Z")
	s := newSim(t, WithClock(func() time.Time { return at }))
	s.mu.Lock()
	s.st.keys["testid"] = &accessKey{id: "testid", secret: "testsecret", token: "STS.token", expires: at.Add(time.Hour)}
	s.mu.Unlock()
	q := url.Values{}
	for k, v := range alidnsRPCVector() {
		q.Set(k, v)
	}
	q.Set("Signature", "cc8pt0tsJUGAJnH6Ge52m2qdMUw=")
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/?"+q.Encode(), nil)
	r := mustOK(t, doReq(t, s.Client(), req))
	if r.str("RecordId") == "" {
		t.Fatalf("no RecordId: %s", r.Raw)
	}
	recs := s.Records("example.com")
	if len(recs) != 1 || recs[0].Value != "abc def/+=*~" || recs[0].RR != "_acme-challenge.www" {
		t.Fatalf("records = %+v", recs)
	}
}

func v3VectorRequest(host string) *http.Request {
	q := url.Values{"DomainName": {"example.com"}, "RR": {"_acme-challenge"}, "Type": {"TXT"}, "Value": {"abc def/+=*~"}}
	r, _ := http.NewRequest(http.MethodPost, "http://"+host+"/?"+q.Encode(), nil)
	r.Host = "alidns.aliyuncs.com"
	r.Header.Set("x-acs-action", "AddDomainRecord")
	r.Header.Set("x-acs-version", "2015-01-09")
	r.Header.Set("x-acs-date", "2023-10-26T09:01:01Z")
	r.Header.Set("x-acs-signature-nonce", "d410180a5abf7fe235dd9b74aca91fc0")
	r.Header.Set("x-acs-content-sha256", emptyPayloadHash)
	r.Header.Set("Authorization", "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=56414885c9de5dbe306a7359ce97b9f6d45a105ba4ffc435b230ad4c3542001c")
	return r
}

func TestV3Vector(t *testing.T) {
	r := v3VectorRequest("alidns.aliyuncs.com")
	auth, err := parseV3Authorization(r.Header.Get("Authorization"))
	if err != nil {
		t.Fatal(err)
	}
	if got := canonicalQuery(r.URL.Query()); got != "DomainName=example.com&RR=_acme-challenge&Type=TXT&Value=abc%20def%2F%2B%3D%2A~" {
		t.Fatalf("canonical query = %s", got)
	}
	sts := v3StringToSign(v3CanonicalRequest(r, r.URL.Query(), auth, emptyPayloadHash))
	if got := v3Sign("YourAccessKeySecret", sts); got != "56414885c9de5dbe306a7359ce97b9f6d45a105ba4ffc435b230ad4c3542001c" {
		t.Fatalf("signature = %s", got)
	}
	_, tsig := tV3Signature("YourAccessKeySecret", "POST", "alidns.aliyuncs.com",
		map[string]string{"DomainName": "example.com", "RR": "_acme-challenge", "Type": "TXT", "Value": "abc def/+=*~"},
		map[string]string{"x-acs-action": "AddDomainRecord", "x-acs-version": "2015-01-09", "x-acs-date": "2023-10-26T09:01:01Z",
			"x-acs-signature-nonce": "d410180a5abf7fe235dd9b74aca91fc0", "x-acs-content-sha256": emptyPayloadHash}, nil)
	if tsig != "56414885c9de5dbe306a7359ce97b9f6d45a105ba4ffc435b230ad4c3542001c" {
		t.Fatalf("test signer signature = %s", tsig)
	}
}

func TestV3VectorOverHTTP(t *testing.T) {
	at, _ := time.Parse(tsLayout, "2023-10-26T09:01:01Z")
	s := newSim(t, WithClock(func() time.Time { return at }))
	s.AddAccessKey("YourAccessKeyId", "YourAccessKeySecret")
	u, _ := url.Parse(s.URL)
	r := mustOK(t, doReq(t, s.Client(), v3VectorRequest(u.Host)))
	if r.Header.Get("X-Acs-Request-Id") != r.str("RequestId") || r.str("RequestId") == "" {
		t.Fatalf("request id header/body mismatch: %v %s", r.Header, r.Raw)
	}
	if r.Header.Get("Content-Type") != "application/json;charset=utf-8" {
		t.Fatalf("content type %q", r.Header.Get("Content-Type"))
	}
	// Replaying the identical request is a nonce reuse.
	mustErr(t, doReq(t, s.Client(), v3VectorRequest(u.Host)), 400, "SignatureNonceUsed")
}
