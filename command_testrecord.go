package alidns

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/libdns/libdns"

	"github.com/caddy-alidns/alidns/internal/api"
)

// The test TXT record of caddy alidns check: created, waited for in DNS,
// and deleted whatever happened in between (the wait failed or was cut
// short, the command's time ran out, the user pressed Ctrl-C, the add's
// answer was lost).

// cleanupTimeout bounds the deletion of the test record. It runs on a
// context of its own, detached from the command's, so that neither an
// expired --timeout nor Ctrl-C can skip it; the bound leaves room for a
// few retries and for a zone that AliDNS reports busy.
const cleanupTimeout = 30 * time.Second

// testValuePrefix and testValueSuffix frame every test record's value, so
// that a record left by an earlier run (killed before it could delete it)
// is told apart from the challenges of real certificates and removed.
const (
	testValuePrefix = "caddy-alidns-check-"
	testValueSuffix = "-safe-to-delete"
)

var testValuePattern = regexp.MustCompile(`^` + testValuePrefix + `[0-9a-f]{16}` + testValueSuffix + `$`)

// newTestValue returns a fresh test record value.
func newTestValue() string { return testValuePrefix + randomHex(8) + testValueSuffix }

// isTestValue reports whether a TXT value is one of check's own.
func isTestValue(v string) bool { return testValuePattern.MatchString(strings.Trim(v, `"`)) }

// testRecordOutcome is what became of the test record, for --json and for
// the message of an interrupted command.
type testRecordOutcome struct {
	Zone  string `json:"zone"`
	Name  string `json:"name"` // the challenge name, ASCII
	Value string `json:"value"`
	ID    string `json:"id,omitempty"`
	// Left is "" once the record is gone (or was never created), "yes"
	// when it is known to be still in the zone, and "maybe" when the
	// add's answer was lost and whether it was applied could not be found
	// out.
	Left string `json:"left,omitempty"`
}

// describe says what is left and how to remove it.
func (t *testRecordOutcome) describe() string {
	what := "the test record is left"
	if t.Left == "maybe" {
		what = "the test record may be left"
	}
	id := ""
	if t.ID != "" {
		id = ", id " + t.ID
	}
	return fmt.Sprintf("%s in zone %s: TXT %s (value %q%s); delete it in the AliDNS console, or run caddy alidns check again with DescribeSubDomainRecords allowed, which removes it",
		what, t.Zone, t.Name, t.Value, id)
}

// testRecordStep creates the test TXT record, checks that DNS shows it
// and deletes it. The deletion runs whenever a record was (or may have
// been) created, on its own context.
func (k *checkRun) testRecordStep(ctx context.Context) {
	p, r := k.o.Provider, k.r
	if err := ctx.Err(); err != nil {
		r.skip("create TXT", "not created: %v", stopReason(ctx))
		r.skip("delete TXT", "skipped: nothing was created")
		return
	}
	t, created := createTest(ctx, p, r, k.candidates, k.fqdn)
	if t == nil {
		return
	}
	k.res.TestRecord = t
	if created != nil {
		if k.zone == nil {
			k.res.Zone = t.Zone
			if !k.noDNS && ctx.Err() == nil {
				k.res.NameServer = delegationStep(ctx, r, k.o, k.resolvers, k.res.Zone, nil)
			}
		}
		switch {
		case k.noDNS && len(k.o.Authoritative) == 0:
			r.skip("visibility", "no resolvers: not checked")
		default:
			k.res.Visibility = visibilityStep(ctx, r, k.o, k.resolvers, k.res.NameServer, k.fqdnASCII, t.Value)
		}
	}
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	deleteTest(cctx, p, r, t, created)
}

// cleanupContext is the context of the test record's deletion: detached
// from ctx (which may have expired or been cancelled by Ctrl-C) and
// bounded by cleanupTimeout.
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
}

// stopReason says why ctx ended: a signal, or the --timeout.
func stopReason(ctx context.Context) string {
	if sig := signalled(ctx); sig != nil {
		return "interrupted (" + sig.Error() + ")"
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "the check's --timeout ran out"
	}
	return "the check was stopped"
}

// createTest creates the test TXT record at the challenge name through
// the provider's own method, as certmagic does, in the first of the
// candidate zones that AliDNS accepts. It returns the record's outcome
// (nil when nothing was created) and, when the add succeeded, the record
// as returned. A failed add whose answer was lost returns an outcome with
// no record: it may have been applied, so it is deleted by name and value.
func createTest(ctx context.Context, p *Provider, r *report, candidates []string, fqdn string) (*testRecordOutcome, []libdns.Record) {
	value := newTestValue()
	var err error
	var zone string
	for _, zone = range candidates {
		rr, rerr := relativeName(fqdn+".", zone)
		if rerr != nil {
			continue
		}
		var created []libdns.Record
		created, err = p.AppendRecords(ctx, zone+".", []libdns.Record{libdns.RR{Type: "TXT", Name: rr, Data: value}})
		if api.HasCode(err, zoneNotHostedCodes...) && !api.MayHaveApplied(err) && len(candidates) > 1 {
			continue
		}
		if err == nil && len(created) != 1 {
			err = fmt.Errorf("AppendRecords returned %d records, want 1", len(created))
		}
		if err != nil {
			break
		}
		t := &testRecordOutcome{Zone: asciiName(zone), Name: asciiName(fqdn), Value: value, ID: "?"}
		if info, ok := infoOf(created[0]); ok {
			t.ID = info.RecordID
		}
		r.ok("create TXT", "created record %s at %s in zone %s, TTL %d s, value %q", t.ID, t.Name, t.Zone, int64(created[0].RR().TTL/time.Second), value)
		return t, created
	}
	if err == nil {
		err = fmt.Errorf("no zone of this account holds %s (tried %s)", fqdn, strings.Join(candidates, ", "))
	}
	r.fail("create TXT", "cannot create a TXT record at %s", fqdn)
	r.apiDetails(err, "the module adds the challenge record with it")
	if api.MayHaveApplied(err) {
		r.detail("the answer to the add was lost: AliDNS may have created the record, so it is deleted by name and value")
		return &testRecordOutcome{Zone: asciiName(zone), Name: asciiName(fqdn), Value: value, Left: "maybe"}, nil
	}
	r.skip("delete TXT", "skipped: nothing was created")
	return nil, nil
}

// deleteTest deletes the test record, as certmagic does after a
// challenge: by its id when the add returned it, else by name and value.
func deleteTest(ctx context.Context, p *Provider, r *report, t *testRecordOutcome, created []libdns.Record) {
	if created == nil {
		deleteByValue(ctx, p, r, t)
		return
	}
	deleted, err := p.DeleteRecords(ctx, unicodeName(t.Zone)+".", created)
	switch {
	case err != nil:
		t.Left = "yes"
		r.fail("delete TXT", "cannot delete the test record %s", t.ID)
		r.apiDetails(err, "the module deletes the challenge record with it")
		r.detail("%s", t.describe())
	case len(deleted) != 1:
		r.fail("delete TXT", "the test record %s was not found when deleting it; check the zone in the AliDNS console", t.ID)
	default:
		t.Left = ""
		r.ok("delete TXT", "deleted record %s", t.ID)
	}
}

// deleteByValue deletes a test record whose add may have been applied
// although its answer was lost: it is found by name and value, which no
// other record has.
func deleteByValue(ctx context.Context, p *Provider, r *report, t *testRecordOutcome) {
	zone := unicodeName(t.Zone)
	rr, _ := relativeName(t.Name+".", t.Zone)
	deleted, err := p.DeleteRecords(ctx, zone+".", []libdns.Record{libdns.TXT{Name: rr, Text: t.Value}})
	switch {
	case err != nil && isForbidden(err):
		t.Left = "maybe"
		r.fail("delete TXT", "cannot find out whether the add created the test record: %s is not allowed", deniedAction(err))
		r.detail("%s", t.describe())
	case err != nil:
		t.Left = "maybe"
		r.fail("delete TXT", "cannot find out whether the add created the test record")
		r.apiDetails(err, "the module finds and deletes a challenge record whose creation answer was lost with it")
		r.detail("%s", t.describe())
	case len(deleted) > 0:
		t.Left = ""
		id := "?"
		if info, ok := infoOf(deleted[0]); ok {
			id = info.RecordID
		}
		t.ID = id
		r.ok("delete TXT", "the add had created the test record: deleted record %s (found by name and value)", id)
	default:
		t.Left = ""
		r.ok("delete TXT", "no test record was created (looked up by name and value)")
	}
}

// removeLeftovers deletes the test records that earlier runs left at the
// challenge name (killed before deleting, or their deletion failed).
func (k *checkRun) removeLeftovers(ctx context.Context, leftovers []apiRecord) {
	r := k.r
	ids := make([]string, 0, len(leftovers))
	recs := make([]libdns.Record, 0, len(leftovers))
	for _, rec := range leftovers {
		ids = append(ids, rec.RecordID)
		recs = append(recs, libdns.TXT{Name: rec.RR, Text: rec.Value})
	}
	if k.o.ReadOnly {
		r.warn("leftovers", "%d test record(s) of an earlier caddy alidns check at %s (ids %s): run it without --read-only to remove them", len(leftovers), k.fqdn, strings.Join(ids, ", "))
		return
	}
	deleted, err := k.o.Provider.DeleteRecords(ctx, k.candidates[0]+".", recs)
	if err != nil {
		r.warn("leftovers", "cannot remove %d test record(s) of an earlier caddy alidns check at %s (ids %s)", len(leftovers), k.fqdn, strings.Join(ids, ", "))
		r.apiDetails(err, "the module deletes challenge records with it")
		return
	}
	r.ok("leftovers", "removed %d test record(s) of an earlier caddy alidns check (ids %s)", len(deleted), strings.Join(ids, ", "))
}

// waitBudget is how long the visibility wait may last: the propagation
// timeout, unless the check's deadline comes sooner; then the wait ends
// early enough to leave the deletion of the test record a quarter of the
// time left, up to cleanupTimeout. cut reports that it was shortened.
func waitBudget(ctx context.Context, timeout time.Duration) (budget time.Duration, cut bool) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return timeout, false
	}
	left := time.Until(deadline)
	if b := left - min(cleanupTimeout, left/4); b < timeout {
		return max(b, 0), true
	}
	return timeout, false
}
