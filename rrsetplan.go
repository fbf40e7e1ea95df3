package alidns

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"go.uber.org/zap"

	"github.com/caddy-alidns/alidns/internal/api"
)

// rrset identifies the records of one name and type.
type rrset struct{ name, typ string }

// change is one planned write of SetRecords.
type change struct {
	action string // AddDomainRecord, UpdateDomainRecord or DeleteDomainRecord
	val    apiValue
	old    apiRecord   // the record updated or deleted
	slot   *apiRecord  // where the record written goes in the result
	listed []apiRecord // for an add: the records at the name before the plan
}

// planRRset plans one RRset: want are the distinct values asked for (no
// two with the same duplicate key), slot receives the records kept now
// (the planned writes fill the rest), at holds every record at the name.
//
// AliDNS refuses a write that would give a record the duplicate key (name,
// type, line and value; not priority or TTL) of another record, so the
// records are paired with the values by that key first: a record already
// holding a wanted value exactly is kept; one holding it with another
// priority or TTL is updated in place; only then do the remaining records
// take the remaining values. A remaining value is held by no record of the
// RRset (it would have been paired by key), and a remaining record's old
// value is wanted by no remaining value, so no update, in any order, can
// collide with another record.
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
			if sameValue(r, v) {
				return nil, nil, nil, fmt.Errorf("%s record %q with value %q exists but is disabled (id %s): enable or delete it first", r.Type, r.RR, r.Value, r.RecordID)
			}
		}
	}
	used := make([]bool, len(current))
	done := make([]bool, len(want))
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
	update := func(i int, r apiRecord) {
		updates = append(updates, change{action: "UpdateDomainRecord", val: want[i], old: r, slot: &slot[i]})
	}
	pair(sameRecord, func(i int, r apiRecord) { slot[i] = r })
	pair(sameValue, update)
	pair(func(apiRecord, apiValue) bool { return true }, update)
	for i, v := range want {
		if !done[i] {
			adds = append(adds, change{action: "AddDomainRecord", val: v, slot: &slot[i], listed: nonNil(at)})
		}
	}
	for j, r := range current {
		if !used[j] {
			deletes = append(deletes, change{action: "DeleteDomainRecord", old: r})
		}
	}
	return updates, adds, deletes, nil
}

// nonNil makes an empty listing distinguishable from no listing.
func nonNil(recs []apiRecord) []apiRecord {
	if recs == nil {
		return []apiRecord{}
	}
	return recs
}

// groupRRsets groups SetRecords' input by (name, type) in input order.
// Identical records count once; two records with the same duplicate key
// but another priority or TTL cannot both be stored, and are refused.
func groupRRsets(in []apiValue) (order []rrset, groups map[rrset][]apiValue, err error) {
	groups = make(map[rrset][]apiValue)
	for _, v := range in {
		k := rrset{storedName(v.RR), v.Type}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		dup := false
		for _, w := range groups[k] {
			if w.key() != v.key() {
				continue
			}
			if !samePriority(v.Type, w.Priority, v.Priority) || w.TTL != v.TTL {
				return nil, nil, fmt.Errorf("%s record %q with value %q is given twice with different priority or TTL (%d/%d s and %d/%d s); AliDNS keeps one record per value", v.Type, v.RR, v.Value, w.Priority, w.TTL, v.Priority, v.TTL)
			}
			dup = true
		}
		if !dup {
			groups[k] = append(groups[k], v)
		}
	}
	return order, groups, nil
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
		return p.add(ctx, c, z, zs, ch.val, ch.listed)
	case "DeleteDomainRecord":
		_, err := p.deleteByID(ctx, c, zs, ch.old)
		return apiRecord{}, err
	}
	return p.update(ctx, c, z, zs, ch.old, ch.val)
}

// update gives record old the value v in place (same id). An update whose
// answers left its outcome unknown (including AliDNS's DomainRecordDuplicate
// to a retry of an update already applied: it refuses a no-op update) is
// looked up by id, so that it is reported as done or not done, never
// assumed. Called with the zone's lock held.
func (p *Provider) update(ctx context.Context, c *api.Client, z string, zs *zoneState, old apiRecord, v apiValue) (apiRecord, error) {
	ttl, err := p.write(ctx, c, zs, "UpdateDomainRecord", "", v, &old, url.Values{"RecordId": {old.RecordID}}, nil)
	if errors.Is(err, errNoChange) {
		// The zone's minimum TTL made the update a no-op: old is kept.
		return old, nil
	}
	v.TTL = ttl
	r := apiRecord{RecordID: old.RecordID, RR: v.RR, Type: v.Type, Value: v.Value, TTL: ttl, Priority: v.Priority, Line: p.line(), Status: "ENABLE"}
	if api.MayHaveApplied(err) {
		lctx, cancel := settleContext(ctx)
		defer cancel()
		got, found, lerr := p.recordByID(lctx, c, z, v.RR, old.RecordID)
		switch {
		case lerr != nil:
			err = fmt.Errorf("%w; looking the record up failed: %w", err, lerr)
		case found && got.Line == p.line() && sameRecord(got, v):
			err, r = nil, got
		case found && got.Line == old.Line && sameRecord(got, old.stored()):
			err = fmt.Errorf("%w; the record was looked up and is unchanged", api.Settled(err))
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
