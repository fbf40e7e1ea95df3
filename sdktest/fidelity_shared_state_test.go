package sdktest

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	alidnsv2 "github.com/alibabacloud-go/alidns-20150109/v4/client"
	"github.com/alibabacloud-go/tea/dara"
	alidnsv1 "github.com/aliyun/alibaba-cloud-sdk-go/services/alidns"

	"github.com/caddy-alidns/alidns/alidnstest"
	"github.com/caddy-alidns/alidns/internal/api"
)

// The project's own client and both SDK generations write to and read
// from one simulator; every party must see the others' changes, which
// also shows that the project's client, the V1 SDK and the V2 SDK address
// the same records with the same identifiers and encodings.

type projRecord struct {
	RecordId   string
	DomainName string
	RR         string
	Type       string
	Value      string
	TTL        int64
	Status     string
}

type projRecords struct {
	RequestId     string
	TotalCount    int64
	DomainRecords struct{ Record []projRecord }
}

func newProjectClient(s *alidnstest.Server, cred api.Credential) *api.Client {
	return &api.Client{Endpoint: s.URL, Credentials: api.StaticCredentials(cred)}
}

func TestSharedStateProjectV1V2(t *testing.T) {
	s := newSim(t)
	s.AddZone("example.com", alidnstest.EditionFree)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sts := s.IssueSTS(time.Hour)
	proj := newProjectClient(s, api.Credential{AccessKeyID: sts.AccessKeyID, AccessKeySecret: sts.AccessKeySecret, SecurityToken: sts.SecurityToken})
	v1 := newV1Default(t, s)
	v2 := newV2Default(t, s)

	// 1. The project's client adds a TXT record with an awkward value.
	const value = "from project: a+b c*~/é中😀="
	var added struct{ RequestId, RecordId string }
	if err := proj.Do(ctx, "AddDomainRecord", url.Values{
		"DomainName": {"example.com"}, "RR": {"_acme-challenge"}, "Type": {"TXT"}, "Value": {value}, "TTL": {"600"},
	}, &added); err != nil {
		t.Fatalf("project AddDomainRecord: %v", err)
	}
	eq(t, "project RequestId", added.RequestId, lastCall(t, s).RequestID)
	eq(t, "project call scheme", lastCall(t, s).Scheme, "V3")

	// 2. V1 finds it by FQDN with the same id and value.
	sub := alidnsv1.CreateDescribeSubDomainRecordsRequest()
	sub.SubDomain, sub.DomainName = "_acme-challenge.example.com", "example.com"
	subResp, err := v1.DescribeSubDomainRecords(sub)
	if err != nil {
		t.Fatalf("V1 DescribeSubDomainRecords: %v", err)
	}
	if len(subResp.DomainRecords.Record) != 1 || subResp.DomainRecords.Record[0].RecordId != added.RecordId ||
		subResp.DomainRecords.Record[0].Value != value {
		t.Fatalf("V1 sees %+v, want record %s with value %q", subResp.DomainRecords.Record, added.RecordId, value)
	}

	// 3. V2 updates it; 4. the project's client reads the update.
	if _, err := v2.UpdateDomainRecordWithContext(ctx, (&alidnsv2.UpdateDomainRecordRequest{}).SetRecordId(added.RecordId).
		SetRR("_acme-challenge").SetType("TXT").SetValue("from v2").SetTTL(1200), rt()); err != nil {
		t.Fatalf("V2 UpdateDomainRecord: %v", err)
	}
	var info projRecord
	if err := proj.Do(ctx, "DescribeDomainRecordInfo", url.Values{"RecordId": {added.RecordId}}, &info); err != nil {
		t.Fatalf("project DescribeDomainRecordInfo: %v", err)
	}
	if info.Value != "from v2" || info.TTL != 1200 || info.RR != "_acme-challenge" || info.DomainName != "example.com" {
		t.Errorf("project sees %+v after the V2 update", info)
	}

	// 5. V1 adds an A record; V2 lists both.
	v1A := v1Add(t, v1, "example.com", "www", "A", "192.0.2.10", 0)
	list, err := v2.DescribeDomainRecordsWithContext(ctx, (&alidnsv2.DescribeDomainRecordsRequest{}).SetDomainName("example.com"), rt())
	if err != nil {
		t.Fatalf("V2 DescribeDomainRecords: %v", err)
	}
	got := map[string]string{}
	for _, r := range list.Body.DomainRecords.Record {
		got[dara.StringValue(r.RecordId)] = dara.StringValue(r.Value)
	}
	if len(got) != 2 || got[added.RecordId] != "from v2" || got[v1A.RecordId] != "192.0.2.10" {
		t.Errorf("V2 lists %v", got)
	}

	// 6. V2 deletes the project's record; the project's client sees only
	// V1's record and decodes the error for the now-unknown id.
	if _, err := v2.DeleteDomainRecordWithContext(ctx, (&alidnsv2.DeleteDomainRecordRequest{}).SetRecordId(added.RecordId), rt()); err != nil {
		t.Fatalf("V2 DeleteDomainRecord: %v", err)
	}
	var recs projRecords
	if err := proj.Do(ctx, "DescribeDomainRecords", url.Values{"DomainName": {"example.com"}}, &recs); err != nil {
		t.Fatalf("project DescribeDomainRecords: %v", err)
	}
	if recs.TotalCount != 1 || len(recs.DomainRecords.Record) != 1 || recs.DomainRecords.Record[0].RecordId != v1A.RecordId {
		t.Errorf("project lists %+v after the V2 delete", recs)
	}
	err = proj.Do(ctx, "DeleteDomainRecord", url.Values{"RecordId": {added.RecordId}}, nil)
	var ae *api.Error
	if !errors.As(err, &ae) {
		t.Fatalf("project DeleteDomainRecord of a deleted id: want *api.Error, got %v", err)
	}
	eq(t, "project error code", ae.Code, "DomainRecordNotBelongToUser")
	eq(t, "project error status", ae.HTTPStatus, 400)
	eq(t, "project error RequestID", ae.RequestID, lastCall(t, s).RequestID)

	// 7. V1 removes the rest with DeleteSubDomainRecords; all parties agree
	// the zone is empty.
	dsr := alidnsv1.CreateDeleteSubDomainRecordsRequest()
	dsr.DomainName, dsr.RR = "example.com", "www"
	if _, err := v1.DeleteSubDomainRecords(dsr); err != nil {
		t.Fatalf("V1 DeleteSubDomainRecords: %v", err)
	}
	recs = projRecords{}
	if err := proj.Do(ctx, "DescribeDomainRecords", url.Values{"DomainName": {"example.com"}}, &recs); err != nil || recs.TotalCount != 0 {
		t.Errorf("project lists %+v, %v; want an empty zone", recs, err)
	}
	eq(t, "simulator records", len(s.Records("example.com")), 0)
}
