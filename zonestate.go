package alidns

import (
	"context"
	"sync"
	"time"

	"github.com/caddy-alidns/alidns/internal/api"
)

// zoneState is what the process remembers about one zone between calls.
// It is shared by every Provider of the process (see zoneStates) and
// guarded by its write lock, except where noted.
type zoneState struct {
	name string
	key  string // in zoneStates
	// users counts the record operations holding this state (zone to
	// releaseZone), lastUsed is when the last one ended, and missing is
	// set when AliDNS said the zone is not hosted; guarded by
	// zoneStatesMu.
	users    int
	lastUsed time.Time
	missing  bool
	// lock serialises the record operations on the zone that write:
	// AliDNS answers LastOperationNotFinished to overlapping writes in a
	// zone, and SetRecords' read-plan-write must not interleave with
	// other writes. Waiters are admitted in arrival order.
	lock fifoLock
	pace zonePacer
	// minTTL is the minimum TTL the zone's edition accepts, learned from a
	// QuotaExceeded.TTL answer, and when it was learned: it is forgotten
	// after minTTLMemory, since a zone can move to an edition that allows
	// lower TTLs. Guarded by mu, as ttlFor reads it without the lock.
	mu       sync.Mutex
	minTTL   int64
	minTTLAt time.Time
	// ids maps the record ids this process created, updated or kept to
	// the record as it then was: DeleteRecords trusts an id in
	// ProviderData only while the record handed to it still describes
	// that. Guarded by lock.
	ids map[string]apiRecord
}

// minTTLMemory is how long a learned minimum TTL is applied without
// asking AliDNS again.
const minTTLMemory = time.Hour

// maxIssued bounds the ids remembered per zone; past it the map is
// cleared, which only costs deletes one lookup each.
const maxIssued = 4096

// zoneStates is shared by every Provider in the process, keyed by API
// endpoint and zone: Caddy makes a Provider per site or automation
// policy, and writes to one zone from any of them must still be
// serialised.
//
// A state lives while record operations hold it (zone to releaseZone), so
// that every writer of a zone meets the same lock: none is dropped while
// locked or waited for. Unused, it is dropped at once when AliDNS said
// the zone is not hosted (zone names can come from anywhere, e.g. on-demand
// TLS), and otherwise after zoneStateIdle, when what it remembers (the
// learned minimum TTL, ids for one-call deletes) is worth little.
var (
	zoneStates   sync.Map   // endpoint + " " + zone -> *zoneState
	zoneStatesMu sync.Mutex // serialises changes to zoneStates; guards zoneState.users, lastUsed, missing and zoneStatesSwept
	// zoneStatesSwept is when idle states were last looked for.
	zoneStatesSwept time.Time
	// zoneStateNow is the registry's clock (tests move it).
	zoneStateNow = time.Now
)

const (
	// zoneStateIdle is how long an unused state is kept: as long as a
	// learned minimum TTL is trusted.
	zoneStateIdle = minTTLMemory
	// zoneStateSweepEvery spaces the looks for idle states.
	zoneStateSweepEvery = time.Minute
)

// zone returns the shared state of zone name (API form) at c's endpoint,
// held by the caller until releaseZone.
func (p *Provider) zone(c *api.Client, name string) *zoneState {
	key := c.Endpoint + " " + name
	zoneStatesMu.Lock()
	defer zoneStatesMu.Unlock()
	if now := zoneStateNow(); now.Sub(zoneStatesSwept) >= zoneStateSweepEvery {
		zoneStatesSwept = now
		zoneStates.Range(func(k, v any) bool {
			if zs := v.(*zoneState); zs.users == 0 && now.Sub(zs.lastUsed) > zoneStateIdle {
				zoneStates.Delete(k)
			}
			return true
		})
	}
	v, ok := zoneStates.Load(key)
	if !ok {
		v = &zoneState{name: name, key: key}
		zoneStates.Store(key, v)
	}
	zs := v.(*zoneState)
	zs.users++
	return zs
}

// releaseZone ends a record operation's hold on zs.
func releaseZone(zs *zoneState) {
	zoneStatesMu.Lock()
	defer zoneStatesMu.Unlock()
	zs.users--
	zs.lastUsed = zoneStateNow()
	if zs.users == 0 && zs.missing {
		zoneStates.Delete(zs.key)
	}
}

// zoneMissing notes that AliDNS answered that zone (API form) is not
// hosted at c's endpoint, so that its state is not kept.
func zoneMissing(c *api.Client, zone string) {
	zoneStatesMu.Lock()
	defer zoneStatesMu.Unlock()
	if v, ok := zoneStates.Load(c.Endpoint + " " + zone); ok {
		v.(*zoneState).missing = true
	}
}

// learnedMinTTL returns the minimum TTL learned within minTTLMemory, or 0.
func (zs *zoneState) learnedMinTTL() int64 {
	zs.mu.Lock()
	defer zs.mu.Unlock()
	if zs.minTTL > 0 && time.Since(zs.minTTLAt) < minTTLMemory {
		return zs.minTTL
	}
	return 0
}

func (zs *zoneState) learnMinTTL(ttl int64) {
	zs.mu.Lock()
	defer zs.mu.Unlock()
	zs.minTTL, zs.minTTLAt = ttl, time.Now()
}

// remember records that id now holds r. Called with the lock held.
func (zs *zoneState) remember(r apiRecord) {
	if r.RecordID == "" {
		return
	}
	if zs.ids == nil || len(zs.ids) >= maxIssued {
		zs.ids = make(map[string]apiRecord)
	}
	zs.ids[r.RecordID] = r
}

// forget drops id (deleted, or no longer known). Called with the lock held.
func (zs *zoneState) forget(id string) { delete(zs.ids, id) }

// fifoLock is a mutex that admits waiters in arrival order, so that a
// write queued behind others keeps its place, and lets a waiter leave the
// queue when its context ends.
type fifoLock struct {
	mu    sync.Mutex
	held  bool
	queue []chan struct{}
}

func (l *fifoLock) lock(ctx context.Context) error {
	l.mu.Lock()
	if !l.held {
		l.held = true
		l.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	l.queue = append(l.queue, ch)
	l.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
	}
	l.mu.Lock()
	select {
	case <-ch:
		// Handed the lock while giving up: pass it on.
		l.mu.Unlock()
		l.unlock()
	default:
		for i, w := range l.queue {
			if w == ch {
				l.queue = append(l.queue[:i:i], l.queue[i+1:]...)
				break
			}
		}
		l.mu.Unlock()
	}
	return ctx.Err()
}

func (l *fifoLock) unlock() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.queue) > 0 {
		next := l.queue[0]
		l.queue = l.queue[1:]
		close(next) // ownership passes to next; held stays true
		return
	}
	l.held = false
}

// zonePacer spaces writes to one zone (api.Pacer). AliDNS keeps a zone
// busy for a while after it accepts a write and refuses writes meanwhile
// (LastOperationNotFinished); how long is not documented, so the pacer
// learns it: a busy answer at time e after the last accepted write means
// the window is longer than e, so the estimate grows past e; a write that
// was accepted after waiting the estimate shrinks it a little, so that it
// follows a window that gets shorter. The next write waits until the
// estimate has passed since the last accepted write. Only the holder of
// the zone's lock uses it; its own mutex is for the race detector's sake.
type zonePacer struct {
	mu       sync.Mutex
	last     time.Time     // when the last write was accepted
	busy     time.Duration // estimated busy window after an accepted write
	waitedOK bool          // the current attempt waited for the estimate
}

const (
	pacerMaxBusy  = 3 * time.Second
	pacerMaxLearn = time.Second // refusals later than this after our last write are not ours
	pacerStep     = 50 * time.Millisecond
	pacerFallback = 200 * time.Millisecond // when the last write is unknown
)

// Wait implements api.Pacer.
func (zp *zonePacer) Wait(ctx context.Context) error {
	zp.mu.Lock()
	d := time.Until(zp.last.Add(zp.busy))
	zp.waitedOK = d > 0
	zp.mu.Unlock()
	if d <= 0 {
		return nil
	}
	return api.Sleep(ctx, d)
}

// Busy implements api.Pacer.
func (zp *zonePacer) Busy() {
	zp.mu.Lock()
	defer zp.mu.Unlock()
	now := time.Now()
	e := now.Sub(zp.last)
	if zp.last.IsZero() || e > pacerMaxLearn {
		// Busy long after this process's last write: a write made
		// elsewhere, which says nothing about the window. Wait a fixed
		// while, without learning from it.
		zp.last = now
		zp.busy = max(zp.busy, pacerFallback)
		return
	}
	zp.busy = min(max(zp.busy, e+e/2, e+pacerStep), pacerMaxBusy)
}

// Accepted implements api.Pacer.
func (zp *zonePacer) Accepted() {
	zp.mu.Lock()
	defer zp.mu.Unlock()
	zp.last = time.Now()
	if zp.waitedOK {
		zp.busy -= zp.busy / 10
	}
	zp.waitedOK = false
}

var _ api.Pacer = (*zonePacer)(nil)
