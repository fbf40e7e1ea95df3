package alidns_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/libdns/libdns"
	"go.uber.org/zap"

	"github.com/caddy-alidns/alidns"
	"github.com/caddy-alidns/alidns/alidnstest"
)

// The provider used as a library, as an ACME client uses it for a DNS-01
// challenge: create the TXT record, then delete it. Here it talks to the
// package's AliDNS simulator; with a real account, leave Endpoint empty
// and put the AccessKey in the fields or in ALICLOUD_ACCESS_KEY and
// ALICLOUD_SECRET_KEY.
func Example() {
	sim := alidnstest.NewServer(alidnstest.WithoutDNS())
	defer sim.Close()
	sim.AddZone("example.com", alidnstest.EditionFree)

	p := &alidns.Provider{
		AccessKeyID:     alidnstest.DefaultAccessKeyID,
		AccessKeySecret: alidnstest.DefaultAccessKeySecret,
		Endpoint:        sim.URL,
		Logger:          zap.NewNop(), // or your own *zap.Logger
		Retry:           alidns.RetryPolicy{MaxAttempts: 4},
	}
	ctx := context.Background()
	created, err := p.AppendRecords(ctx, "example.com.", []libdns.Record{
		libdns.TXT{Name: "_acme-challenge", Text: "token-digest"},
	})
	if err != nil {
		fmt.Println("append:", err)
		return
	}
	rr := created[0].RR()
	fmt.Println("created", rr.Name, rr.Type, rr.Data, rr.TTL)

	deleted, err := p.DeleteRecords(ctx, "example.com.", created)
	fmt.Println("deleted", len(deleted), err)
	// Output:
	// created _acme-challenge TXT token-digest 10m0s
	// deleted 1 <nil>
}

// SetRecords failures that left the zone as it was can be told apart
// with ErrZoneUnchanged (libdns.AtomicErr is an alias of error, so
// errors.As cannot).
func ExampleErrZoneUnchanged() {
	sim := alidnstest.NewServer(alidnstest.WithoutDNS())
	defer sim.Close()
	sim.AddZone("example.com", alidnstest.EditionFree)
	p := &alidns.Provider{AccessKeyID: alidnstest.DefaultAccessKeyID, AccessKeySecret: alidnstest.DefaultAccessKeySecret, Endpoint: sim.URL}

	// A CNAME cannot sit beside an A record: AliDNS refuses the write.
	ctx := context.Background()
	_, _ = p.SetRecords(ctx, "example.com.", []libdns.Record{libdns.Address{Name: "www", IP: netip.MustParseAddr("192.0.2.1")}})
	_, err := p.SetRecords(ctx, "example.com.", []libdns.Record{libdns.CNAME{Name: "www", Target: "other.example.net."}})
	fmt.Println(errors.Is(err, alidns.ErrZoneUnchanged))
	// Output: true
}
