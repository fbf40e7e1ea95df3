package alidnstest

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Each reading changes what is stored, and only that; the zero value is
// the behaviour the simulator had before readings existed.
func TestReadings(t *testing.T) {
	cases := []struct {
		name          string
		rd            Readings
		rr, typ, val  string
		wantRR, wantV string
	}{
		{"txt/trim-both", Readings{}, "t", "TXT", "  a b  ", "t", "a b"},
		{"txt/trim-trailing", Readings{TXT: TXTTrimTrailing}, "t", "TXT", "  a b  ", "t", "  a b"},
		{"txt/keep", Readings{TXT: TXTKeep}, "t", "TXT", "  a b  ", "t", "  a b  "},
		{"txt-reading-leaves-other-types", Readings{TXT: TXTKeep}, "t", "CNAME", " x.example.net ", "t", "x.example.net"},
		{"rr/lower", Readings{}, "WwW.Sub", "A", "192.0.2.1", "www.sub", "192.0.2.1"},
		{"rr/keep", Readings{RRCase: RRKeep}, "WwW.Sub", "A", "192.0.2.1", "WwW.Sub", "192.0.2.1"},
		{"rr/keep-apex", Readings{RRCase: RRKeep}, "@", "A", "192.0.2.1", "@", "192.0.2.1"},
		{"svc/as-sent", Readings{}, "www", "HTTPS", ". port=8443 alpn=h2,h3 ech=AEX", "www", ". port=8443 alpn=h2,h3 ech=AEX"},
		{"svc/reordered", Readings{SvcParams: SvcParamsReordered}, "www", "HTTPS", ". port=8443 alpn=h2,h3 ech=AEX", "www", ". alpn=h2,h3 ech=AEX port=8443"},
		{"svc/reordered-with-priority", Readings{SvcParams: SvcParamsReordered}, "_dns", "SVCB", "1 dns.example.net port=853 alpn=dot", "_dns", "1 dns.example.net alpn=dot port=853"},
		{"svc/reordered-quoted-left-alone", Readings{SvcParams: SvcParamsReordered}, "www", "HTTPS", `. port=1 alpn="h2,h3"`, "www", `. port=1 alpn="h2,h3"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t)
			s.SetReadings(tc.rd)
			if got := s.CurrentReadings(); got != tc.rd {
				t.Fatalf("CurrentReadings = %+v", got)
			}
			c := newTC(t, s)
			kv := []string{"DomainName", "example.com", "RR", tc.rr, "Type", tc.typ, "Value", tc.val}
			if tc.typ == "HTTPS" || tc.typ == "SVCB" {
				kv = append(kv, "Priority", "1")
			}
			mustOK(t, c.call("AddDomainRecord", kv...))
			recs := s.Records("example.com")
			if len(recs) != 1 || recs[0].RR != tc.wantRR || recs[0].Value != tc.wantV {
				t.Fatalf("stored %+v, want RR %q Value %q", recs, tc.wantRR, tc.wantV)
			}
			// The listing shows the stored form, and the same record sent
			// again (any case) is a duplicate.
			sub := strings.ToLower(tc.rr) + ".example.com"
			if tc.rr == "@" {
				sub = "example.com"
			}
			l := mustOK(t, c.call("DescribeSubDomainRecords", "DomainName", "example.com", "SubDomain", sub))
			if got := l.records(); len(got) != 1 || got[0]["RR"] != tc.wantRR || got[0]["Value"] != tc.wantV {
				t.Fatalf("listed %v", got)
			}
			kv[3] = strings.ToUpper(tc.rr)
			mustErr(t, c.call("AddDomainRecord", kv...), 400, "DomainRecordDuplicate")
		})
	}
}

func TestReadingsTimestamps(t *testing.T) {
	at := time.Date(2022, 10, 23, 15, 52, 37, 123456789, time.UTC)
	for _, tc := range []struct {
		rd   TimestampReading
		want int64
	}{{TimestampMillis, at.UnixMilli()}, {TimestampSeconds, at.Unix() * 1000}} {
		t.Run(fmt.Sprint(tc.rd), func(t *testing.T) {
			s := newSim(t, WithClock(func() time.Time { return at }))
			s.SetReadings(Readings{Timestamps: tc.rd})
			c := newTC(t, s)
			id := mustOK(t, c.call("AddDomainRecord", "DomainName", "example.com", "RR", "a", "Type", "A", "Value", "192.0.2.1")).str("RecordId")
			for _, r := range []map[string]any{
				mustOK(t, c.call("DescribeDomainRecords", "DomainName", "example.com")).records()[0],
				mustOK(t, c.call("DescribeDomainRecordInfo", "RecordId", id)).Body,
			} {
				for _, k := range []string{"CreateTimestamp", "UpdateTimestamp"} {
					if got, _ := r[k].(float64); int64(got) != tc.want {
						t.Errorf("%s = %v, want %d", k, r[k], tc.want)
					}
				}
			}
		})
	}
}

// Every API answer but a reset carries a Date header from the simulator's
// clock, in whole seconds like any HTTP server's.
func TestDateHeaderFromSimulatorClock(t *testing.T) {
	// Minutes off the real clock (so that Go's own Date would differ) but
	// within the signature's skew: signedURL signs with the real clock.
	at := time.Now().UTC().Add(-7 * time.Minute).Truncate(time.Second).Add(600 * time.Millisecond)
	want := at.Format("Mon, 02 Jan 2006 15:04:05") + " GMT"
	s := newSim(t, WithClock(func() time.Time { return at }))
	c := newTC(t, s)
	check := func(what string, status int, h http.Header) {
		t.Helper()
		if got := h.Get("Date"); got != want {
			t.Errorf("%s (HTTP %d): Date %q, want %q", what, status, got, want)
		}
	}
	r := mustOK(t, c.call("DescribeDomains"))
	check("success", r.Status, r.Header)
	r = mustErr(t, c.call("DescribeDomainRecords", "DomainName", "nope.com"), 400, "InvalidDomainName.NoExist")
	check("API error", r.Status, r.Header)
	r = c.with(func(c *tc) { c.format = "XML" }).call("DescribeDomains")
	check("XML answer", r.Status, r.Header)
	for _, in := range []Injection{
		{Kind: FaultAPIError, Code: "InternalError"},
		{Kind: FaultAPIError, Code: "InternalError", AfterApply: true},
		{Kind: FaultGatewayHTML}, {Kind: FaultGatewayHTML, AfterApply: true},
		{Kind: FaultEmptyError}, {Kind: FaultEmptyError, AfterApply: true},
		{Kind: FaultEmptyOK}, {Kind: FaultEmptyOK, AfterApply: true},
		{Kind: FaultSlow, Delay: 10 * time.Millisecond}, {Kind: FaultSlow, Delay: 10 * time.Millisecond, AfterApply: true},
	} {
		in.Action = "AddDomainRecord"
		s.Inject(in)
		w := wireCall(s, s.Client(), "AddDomainRecord", "DomainName", "example.com", "RR", "d", "Type", "TXT", "Value", fmt.Sprint(in))
		if w.err != nil {
			t.Fatalf("%s: %v", in.Kind, w.err)
		}
		check(fmt.Sprintf("%s (after apply %v)", in.Kind, in.AfterApply), w.status, w.header)
	}
	if n := len(s.PendingInjections()); n != 0 {
		t.Fatalf("%d injections not consumed", n)
	}
}
