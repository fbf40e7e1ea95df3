package alidns

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/libdns/libdns"

	"github.com/caddy-alidns/alidns/alidnstest"
)

// A learned minimum TTL is forgotten after minTTLMemory: the zone may
// have moved to an edition that allows lower TTLs.
func TestLearnedMinTTLExpires(t *testing.T) {
	s := newSim(t, "example.com") // Free edition: 600 s minimum
	p := newProvider(s)
	low := []libdns.Record{libdns.Address{Name: "www", IP: netip.MustParseAddr("192.0.2.1"), TTL: 60 * time.Second}}
	if got, err := p.AppendRecords(ctx(t), "example.com.", low); err != nil || got[0].RR().TTL != 600*time.Second {
		t.Fatalf("got %+v, %v", got, err)
	}
	c, _ := p.client()
	zs := p.zone(c, "example.com")
	if m := zs.learnedMinTTL(); m != 600 {
		t.Fatalf("learned %d", m)
	}
	// An hour later the zone is on Enterprise Ultimate (1 s minimum).
	zs.mu.Lock()
	zs.minTTLAt = zs.minTTLAt.Add(-minTTLMemory)
	zs.mu.Unlock()
	s.RemoveZone("example.com")
	s.AddZone("example.com", alidnstest.EditionEnterpriseAdvanced)
	low[0] = libdns.Address{Name: "api", IP: netip.MustParseAddr("192.0.2.2"), TTL: 60 * time.Second}
	if got, err := p.AppendRecords(ctx(t), "example.com.", low); err != nil || got[0].RR().TTL != 60*time.Second {
		t.Fatalf("got %+v, %v: the old minimum was still applied", got, err)
	}
}

// The zone lock admits waiters in arrival order, and one that gives up
// leaves the queue without blocking the others.
func TestFIFOLockOrderAndCancel(t *testing.T) {
	var l fifoLock
	if err := l.lock(context.Background()); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	gaveUp, cancel := context.WithCancel(context.Background())
	for i := range 5 {
		c := context.Background()
		if i == 2 {
			c = gaveUp
		}
		wg.Go(func() {
			if err := l.lock(c); err != nil {
				if !errors.Is(err, context.Canceled) {
					t.Errorf("waiter %d: %v", i, err)
				}
				return
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			l.unlock()
		})
		// Queue them one after the other.
		for {
			l.mu.Lock()
			n := len(l.queue)
			l.mu.Unlock()
			if n == i+1 {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	cancel()
	for {
		l.mu.Lock()
		n := len(l.queue)
		l.mu.Unlock()
		if n == 4 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	l.unlock()
	wg.Wait()
	if fmt.Sprint(order) != "[0 1 3 4]" {
		t.Fatalf("admitted in order %v", order)
	}
	if l.held || len(l.queue) != 0 {
		t.Fatalf("lock left held=%v queue=%d", l.held, len(l.queue))
	}
}

// The pacer learns a busy window from refusals and then spaces writes by
// it, and shrinks its estimate again when writes get through.
func TestZonePacerLearnsBusyWindow(t *testing.T) {
	var zp zonePacer
	zp.Accepted()
	zp.last = zp.last.Add(-100 * time.Millisecond) // refused 100 ms after a write
	zp.Busy()
	if zp.busy < 150*time.Millisecond || zp.busy > pacerMaxBusy {
		t.Fatalf("estimate %v after a refusal at 100 ms", zp.busy)
	}
	learned := zp.busy
	start := time.Now()
	zp.last = time.Now()
	if err := zp.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < learned-10*time.Millisecond {
		t.Fatalf("waited %v, want about %v", waited, learned)
	}
	zp.Accepted()
	if zp.busy >= learned {
		t.Fatalf("estimate %v did not shrink after a write got through", zp.busy)
	}
	// A refusal with no write of ours before it waits a fixed while.
	var fresh zonePacer
	fresh.Busy()
	if fresh.busy != pacerFallback {
		t.Fatalf("estimate %v without a known write", fresh.busy)
	}
	// So does one long after our last write (another client wrote): the
	// estimate is not stretched to that gap.
	var other zonePacer
	other.Accepted()
	other.last = other.last.Add(-2 * time.Second)
	other.Busy()
	if other.busy != pacerFallback {
		t.Fatalf("estimate %v after a refusal 2 s after our write, want the fixed %v", other.busy, pacerFallback)
	}
}
