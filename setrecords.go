package alidns

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/libdns/libdns"
	"go.uber.org/zap"

	"github.com/caddy-alidns/alidns/internal/api"
)

// rrset identifies the records of one name and type.
type rrset struct{ name, typ string }

// change is one planned write of SetRecords.
type change struct {
	action string // AddDomainRecord, UpdateDomainRecord or DeleteDomainRecord
	val    apiValue
	old    apiRecord  // the record updated or deleted
	slot   *apiRecord // where the record written goes in the result
}

// SetRecords makes each (name, type) RRset in the input consist of
// exactly the input records, leaving every other record alone, and
// returns the records of those RRsets as the zone then holds them. Only
// enabled records on the provider's line count as members of an RRset;
// identical input records count once.
//
// Plan: a record already holding an input value and TTL is kept; one
// holding an input value with another TTL gets the TTL changed in place;
// the remaining records take the remaining values (UpdateDomainRecord,
// keeping their ids); values left over are added, records left over
// deleted. Since no update gives a record a value another record of the
// RRset holds, no write can collide. One lookup is made per distinct
// name, and the zone's write lock is held from that lookup to the last
// write, so other writes through this process cannot interleave.
//
// Atomicity: the writes are applied in the order updates, additions,
// deletions (so a failure never leaves a name with fewer records than
// before). An error after which the zone is provably unchanged (bad input,
// the lookup failed, or the first write was refused by an answer proving
// it was not applied) is a libdns.AtomicErr and matches
// errors.Is(err, ErrZoneUnchanged); any other error may leave part of the
// changes made, and says how many were. Setting a CNAME where other types
// exist (or the reverse) is refused by AliDNS with DomainRecordConflict.
func (p *Provider) SetRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	c, z, zs, in, err := p.prepareWrite(zone, recs)
	if err != nil {
		return nil, atomicErr(err)
	}
	if err := lockZone(ctx, zs); err != nil {
		return nil, atomicErr(err)
	}
	defer zs.lock.unlock()

	var order []rrset
	groups := make(map[rrset][]apiValue)
	for _, v := range in {
		k := rrset{strings.ToLower(v.RR), v.Type}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		if !containsValue(groups[k], v) {
			groups[k] = append(groups[k], v)
		}
	}
	existing := make(map[string][]apiRecord)
	for _, k := range order {
		if _, ok := existing[k.name]; ok {
			continue
		}
		recs, err := p.recordsAt(ctx, c, z, groups[k][0].RR)
		if err != nil {
			return nil, atomicErr(err)
		}
		existing[k.name] = recs
	}

	var slots [][]apiRecord // per RRset, per input value: the result
	var updates, adds, deletes []change
	for _, k := range order {
		want := groups[k]
		slot := make([]apiRecord, len(want))
		slots = append(slots, slot)
		u, a, d, err := p.planRRset(want, slot, existing[k.name], k.typ)
		if err != nil {
			return nil, atomicErr(fmt.Errorf("setting records in zone %s: %w", z, err))
		}
		updates, adds, deletes = append(updates, u...), append(adds, a...), append(deletes, d...)
	}

	plan := append(append(updates, adds...), deletes...)
	for i, ch := range plan {
		rec, err := p.apply(ctx, c, z, zs, ch)
		if err != nil {
			err = fmt.Errorf("setting records in zone %s: %s: %w", z, describe(ch), err)
			if i == 0 && !api.MayHaveApplied(err) {
				return nil, atomicErr(err)
			}
			return nil, fmt.Errorf("%w (%d of %d changes were applied before this failure, and this one may have been: read the zone to see its state)", err, i, len(plan))
		}
		if ch.slot != nil {
			*ch.slot = rec
		}
	}
	results := make([]libdns.Record, 0, len(in))
	for _, slot := range slots {
		for _, r := range slot {
			zs.remember(r)
			results = append(results, fromAPI(r))
		}
	}
	return results, nil
}

// planRRset plans one RRset: want are the distinct values asked for,
// slot receives the records kept now (the planned writes fill the rest),
// at holds every record at the name.
func (p *Provider) planRRset(want []apiValue, slot []apiRecord, at []apiRecord, typ string) (updates, adds, deletes []change, err error) {
	var current []apiRecord
	for _, r := range at {
		if !strings.EqualFold(r.Type, typ) || r.Line != p.line() {
			continue
		}
		if enabled(r) {
			current = append(current, r)
			continue
		}
		// A disabled record holding a wanted value would make its update
		// or add a duplicate; it is the user's to enable or remove.
		for _, v := range want {
			if sameAPIValue(r, v) {
				return nil, nil, nil, fmt.Errorf("%s record %q with value %q exists but is disabled (id %s): enable or delete it first", r.Type, r.RR, r.Value, r.RecordID)
			}
		}
	}
	used := make([]bool, len(current))
	done := make([]bool, len(want))
	// pair assigns current records to wanted values, in rounds of
	// decreasing closeness, so that updates never collide.
	pair := func(fits func(r apiRecord, v apiValue) bool, then func(i int, r apiRecord)) {
		for i, v := range want {
			if done[i] {
				continue
			}
			for j, r := range current {
				if !used[j] && fits(r, v) {
					used[j], done[i] = true, true
					then(i, r)
					break
				}
			}
		}
	}
	// Unchanged records are kept.
	pair(func(r apiRecord, v apiValue) bool { return sameAPIValue(r, v) && r.TTL == v.TTL },
		func(i int, r apiRecord) { slot[i] = r })
	// A value held with another TTL: the TTL changes in place.
	pair(sameAPIValue, func(i int, r apiRecord) {
		updates = append(updates, change{action: "UpdateDomainRecord", val: want[i], old: r, slot: &slot[i]})
	})
	// Remaining records take the remaining (new) values, keeping their ids.
	pair(func(apiRecord, apiValue) bool { return true }, func(i int, r apiRecord) {
		updates = append(updates, change{action: "UpdateDomainRecord", val: want[i], old: r, slot: &slot[i]})
	})
	for i, v := range want {
		if !done[i] {
			adds = append(adds, change{action: "AddDomainRecord", val: v, slot: &slot[i]})
		}
	}
	for j, r := range current {
		if !used[j] {
			deletes = append(deletes, change{action: "DeleteDomainRecord", old: r})
		}
	}
	return updates, adds, deletes, nil
}

func containsValue(vs []apiValue, v apiValue) bool {
	for _, w := range vs {
		if sameAPIValue(apiRecord{RR: w.RR, Type: w.Type, Value: w.Value, Priority: w.Priority}, v) {
			return true
		}
	}
	return false
}

func describe(ch change) string {
	switch ch.action {
	case "DeleteDomainRecord":
		return fmt.Sprintf("deleting %s record %q (%s)", ch.old.Type, ch.old.RR, ch.old.RecordID)
	case "UpdateDomainRecord":
		return fmt.Sprintf("updating %s record %q (%s)", ch.val.Type, ch.val.RR, ch.old.RecordID)
	}
	return fmt.Sprintf("adding %s record %q", ch.val.Type, ch.val.RR)
}

// apply makes one planned change and returns the record as written.
// Called with the zone's lock held.
func (p *Provider) apply(ctx context.Context, c *api.Client, z string, zs *zoneState, ch change) (apiRecord, error) {
	switch ch.action {
	case "AddDomainRecord":
		return p.add(ctx, c, z, zs, ch.val)
	case "DeleteDomainRecord":
		_, err := p.deleteByID(ctx, c, zs, ch.old.RecordID, zap.String("name", ch.old.RR), zap.String("type", ch.old.Type))
		return apiRecord{}, err
	}
	return p.update(ctx, c, z, zs, ch.old, ch.val)
}

// update gives record old the value v in place (same id). Called with the
// zone's lock held.
func (p *Provider) update(ctx context.Context, c *api.Client, z string, zs *zoneState, old apiRecord, v apiValue) (apiRecord, error) {
	ttl, err := p.write(ctx, c, zs, "UpdateDomainRecord", "", v, url.Values{"RecordId": {old.RecordID}}, nil)
	r := apiRecord{RecordID: old.RecordID, RR: v.RR, Type: v.Type, Value: v.Value, TTL: ttl, Priority: v.Priority, Line: p.line(), Status: "ENABLE"}
	if api.HasCode(err, "DomainRecordDuplicate") && api.MayHaveApplied(err) {
		// AliDNS answers DomainRecordDuplicate to an update that changes
		// nothing, as a retry of an update already applied does. That is
		// success only if the record now holds exactly what was asked.
		if got, ok, lerr := p.recordByID(ctx, c, z, v.RR, old.RecordID); lerr == nil && ok &&
			got.TTL == ttl && sameAPIValue(got, v) && got.Line == p.line() {
			err = nil
			r = got
		}
	}
	if err != nil {
		return apiRecord{}, err
	}
	zs.remember(r)
	p.log().Info("record updated", zap.String("zone", z), zap.String("name", v.RR), zap.String("type", v.Type), zap.String("record_id", r.RecordID), zap.Int64("ttl", r.TTL))
	return r, nil
}

// recordByID looks up the record with id among the records named rr.
func (p *Provider) recordByID(ctx context.Context, c *api.Client, z, rr, id string) (apiRecord, bool, error) {
	recs, err := p.recordsAt(ctx, c, z, rr)
	if err != nil {
		return apiRecord{}, false, err
	}
	for _, r := range recs {
		if r.RecordID == id {
			return r, true, nil
		}
	}
	return apiRecord{}, false, nil
}

// Interface guards.
var (
	_ libdns.RecordGetter   = (*Provider)(nil)
	_ libdns.RecordAppender = (*Provider)(nil)
	_ libdns.RecordSetter   = (*Provider)(nil)
	_ libdns.RecordDeleter  = (*Provider)(nil)
	_ libdns.ZoneLister     = (*Provider)(nil)
)
