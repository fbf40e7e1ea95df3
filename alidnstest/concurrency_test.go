package alidnstest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestConcurrentUse exercises every public entry point concurrently; run
// with -race.
func TestConcurrentUse(t *testing.T) {
	s := newSim(t)
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			c := newTC(t, s).with(func(c *tc) { c.v3 = g%2 == 0 })
			for i := 0; i < 10; i++ {
				r := c.call("AddDomainRecord", "DomainName", "example.com", "RR", fmt.Sprintf("g%d", g), "Type", "TXT", "Value", fmt.Sprint(i))
				if id := r.str("RecordId"); id != "" && i%3 == 0 {
					c.call("DeleteDomainRecord", "RecordId", id)
				}
				c.call("DescribeDomainRecords", "DomainName", "example.com")
				m := new(dns.Msg)
				m.SetQuestion(fmt.Sprintf("g%d.example.com.", g), dns.TypeTXT)
				_, _, _ = (&dns.Client{Timeout: 2 * time.Second}).Exchange(m, s.DNSAddr)
			}
		}(g)
	}
	for i := 0; i < 20; i++ {
		s.SetFaults(Faults{Latency: time.Millisecond})
		s.PutRecord("example.com", Record{RR: "seed", Type: "A", Value: "192.0.2.1"})
		_ = s.Records("example.com")
		_ = s.Calls()
		_ = s.CallCount("AddDomainRecord")
		_ = s.IssueSTS(time.Minute)
		_ = s.Snapshot()
	}
	wg.Wait()
	if n := s.CallCount("AddDomainRecord"); n != 60 {
		t.Fatalf("AddDomainRecord calls = %d", n)
	}
}
