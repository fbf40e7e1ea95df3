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
	old    apiRecord // the record updated or deleted
}

// SetRecords makes each (name, type) RRset in the input consist of
// exactly the input records, leaving every other record alone: records
// that already match are kept, others are updated in place
// (UpdateDomainRecord), missing ones added and surplus ones deleted. One
// lookup is made per distinct name. Only enabled records on the
// provider's line count as members of an RRset.
//
// Atomicity: the writes are applied in the order updates, additions,
// deletions (so a failure never leaves a name with fewer records than
// before). If the first write fails the zone is unchanged and the error
// is a libdns.AtomicErr; a later failure leaves the changes made so far,
// and the error says how many. Setting a CNAME where other types exist
// (or the reverse) is refused by AliDNS with DomainRecordConflict.
func (p *Provider) SetRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	c, z, zs, in, err := p.prepareWrite(zone, recs)
	if err != nil {
		return nil, err
	}
	var order []rrset
	groups := make(map[rrset][]apiValue)
	for _, v := range in {
		k := rrset{strings.ToLower(v.RR), v.Type}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], v)
	}
	existing := make(map[string][]apiRecord)
	for _, k := range order {
		if _, ok := existing[k.name]; ok {
			continue
		}
		recs, err := p.recordsAt(ctx, c, z, groups[k][0].RR)
		if err != nil {
			return nil, libdns.AtomicErr(err)
		}
		existing[k.name] = recs
	}

	var kept []apiRecord
	var updates, adds, deletes []change
	for _, k := range order {
		var current []apiRecord
		for _, r := range existing[k.name] {
			if strings.EqualFold(r.Type, k.typ) && enabled(r) && r.Line == p.line() {
				current = append(current, r)
			}
		}
		used := make([]bool, len(current))
		var pending []apiValue
	desired:
		for _, v := range groups[k] {
			for i, r := range current {
				if !used[i] && r.TTL == v.TTL && sameAPIValue(r, v) {
					used[i] = true
					kept = append(kept, r)
					continue desired
				}
			}
			pending = append(pending, v)
		}
		var surplus []apiRecord
		for i, r := range current {
			if !used[i] {
				surplus = append(surplus, r)
			}
		}
		for i, v := range pending {
			if i < len(surplus) {
				updates = append(updates, change{action: "UpdateDomainRecord", val: v, old: surplus[i]})
			} else {
				adds = append(adds, change{action: "AddDomainRecord", val: v})
			}
		}
		for i := len(pending); i < len(surplus); i++ {
			deletes = append(deletes, change{action: "DeleteDomainRecord", old: surplus[i]})
		}
	}

	results := make([]libdns.Record, 0, len(in))
	for _, r := range kept {
		results = append(results, fromAPI(r))
	}
	plan := append(append(updates, adds...), deletes...)
	for i, ch := range plan {
		rec, err := p.apply(ctx, c, z, zs, ch)
		if err != nil {
			err = fmt.Errorf("setting records in zone %s: %s: %w", z, describe(ch), err)
			if i == 0 {
				return nil, libdns.AtomicErr(err)
			}
			return results, fmt.Errorf("%w (%d of %d changes were applied before this failure)", err, i, len(plan))
		}
		if ch.action != "DeleteDomainRecord" {
			results = append(results, fromAPI(rec))
		}
	}
	return results, nil
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

func (p *Provider) apply(ctx context.Context, c *api.Client, z string, zs *zoneState, ch change) (apiRecord, error) {
	switch ch.action {
	case "AddDomainRecord":
		return p.add(ctx, c, z, zs, ch.val)
	case "DeleteDomainRecord":
		_, err := p.deleteByID(ctx, c, zs, ch.old.RecordID, zap.String("name", ch.old.RR), zap.String("type", ch.old.Type))
		return apiRecord{}, err
	}
	ttl, err := p.write(ctx, c, zs, "UpdateDomainRecord", "", ch.val, url.Values{"RecordId": {ch.old.RecordID}}, nil)
	// An update to exactly the current data is answered
	// DomainRecordDuplicate: the record already is what was asked.
	if err != nil && !api.HasCode(err, "DomainRecordDuplicate") {
		return apiRecord{}, err
	}
	v := ch.val
	return apiRecord{RecordID: ch.old.RecordID, RR: v.RR, Type: v.Type, Value: v.Value, TTL: ttl, Priority: v.Priority, Line: p.line(), Status: "ENABLE"}, nil
}

// Interface guards.
var (
	_ libdns.RecordGetter   = (*Provider)(nil)
	_ libdns.RecordAppender = (*Provider)(nil)
	_ libdns.RecordSetter   = (*Provider)(nil)
	_ libdns.RecordDeleter  = (*Provider)(nil)
	_ libdns.ZoneLister     = (*Provider)(nil)
)
