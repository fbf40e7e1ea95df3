package alidns

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/libdns/libdns"

	"github.com/caddy-alidns/alidns/internal/api"
)

// report prints the steps of a check, one line each with continuation
// lines for details, and counts failures.
type report struct {
	w      io.Writer
	failed int
	warned int
}

const stepWidth = 14

func (r *report) line(mark, step, msg string) {
	fmt.Fprintf(r.w, "  %s %-*s %s\n", mark, stepWidth, step, msg)
}

func (r *report) ok(step, format string, args ...any) {
	r.line("✓", step, fmt.Sprintf(format, args...))
}

func (r *report) skip(step, format string, args ...any) {
	r.line("-", step, fmt.Sprintf(format, args...))
}

func (r *report) warn(step, format string, args ...any) {
	r.warned++
	r.line("!", step, fmt.Sprintf(format, args...))
}

func (r *report) fail(step, format string, args ...any) {
	r.failed++
	r.line("✗", step, fmt.Sprintf(format, args...))
}

// detail prints an indented continuation line (several for a text with
// line breaks, such as a server message).
func (r *report) detail(format string, args ...any) {
	for _, l := range strings.Split(strings.TrimRight(fmt.Sprintf(format, args...), "\n"), "\n") {
		fmt.Fprintf(r.w, "    %-*s %s\n", stepWidth, "", l)
	}
}

// apiDetails prints what an error says: for an AliDNS API error its code,
// message, request id, the denied RAM action and what to do; otherwise
// the error text.
func (r *report) apiDetails(err error, what string) {
	var e *api.Error
	if !errors.As(err, &e) {
		r.detail("error: %v", err)
		if errors.Is(err, context.DeadlineExceeded) {
			r.detail("what to do: check that the endpoint is reachable from here (proxy: HTTPS_PROXY), or raise --timeout")
		}
		return
	}
	if e.Code != "" {
		r.detail("error code: %s (HTTP %d)", e.Code, e.HTTPStatus)
	} else {
		r.detail("error: HTTP %d with a response that is not from the AliDNS API: %q", e.HTTPStatus, e.Body)
	}
	if e.Message != "" {
		r.detail("message: %s", e.Message)
	}
	if e.RequestID != "" {
		r.detail("request id: %s", e.RequestID)
	}
	if e.DeniedAction != "" {
		r.detail("denied RAM action: %s", e.DeniedAction)
		r.detail("what to do: allow %s to the RAM user or role of this AccessKey (%s)", e.DeniedAction, what)
	} else if hint := api.Hint(e.Code); hint != "" {
		r.detail("what to do: %s", hint)
	} else if e.Code == "" {
		r.detail("what to do: check the endpoint (a proxy or a wrong host answers with non-API pages)")
	}
}

// fatal reports whether err makes every later API call fail too
// (credentials refused, clock off, endpoint unreachable).
func fatal(err error) bool {
	var e *api.Error
	if !errors.As(err, &e) {
		return true // transport errors, timeouts
	}
	return e.Code == "" || strings.HasPrefix(e.Code, "InvalidAccessKeyId") || e.Code == "SignatureDoesNotMatch" ||
		e.Code == "IncompleteSignature" || strings.HasPrefix(e.Code, "InvalidSecurityToken") ||
		e.Code == "InvalidTimeStamp.Expired"
}

// settingsStep checks and reports the settings and credentials; it
// returns the API client, or nil after reporting a failure.
func settingsStep(o commandOptions, r *report) *api.Client {
	p := o.Provider
	s, err := p.expand(caddy.NewReplacer())
	if err == nil {
		err = checkSettings(s, time.Duration(p.TTL), time.Duration(p.HTTPTimeout))
	}
	if err != nil {
		r.fail("settings", "%v", err)
		return nil
	}
	endpoint, from := endpointOf(s.Endpoint, os.LookupEnv)
	switch from {
	case "endpoint":
		from = "from --endpoint"
	case envEndpoint:
		from = "from " + envEndpoint
	}
	line := s.Line
	if line == "" {
		line = defaultLine + " (default)"
	}
	r.ok("settings", "endpoint %s (%s), line %s", api.RedactEndpoint(endpoint), from, line)
	if s.RegionID != "" {
		r.detail("region_id %s does not select the endpoint; --endpoint %s would", s.RegionID, api.RegionalEndpoint(s.RegionID))
	}
	if err := p.provision(o.Logger, caddy.NewReplacer()); err != nil {
		r.fail("credentials", "none usable")
		r.detail("%v", err)
		return nil
	}
	c, err := p.client()
	if err != nil { // not expected after provision
		r.fail("credentials", "%v", err)
		return nil
	}
	msg := "from " + p.creds.Source()
	// Static keys are at hand; a dynamic source was fetched once by
	// provision and is cached, so this makes no extra request.
	if cred, err := p.creds.Credential(context.Background()); err == nil {
		msg += ", AccessKey ID " + maskID(cred.AccessKeyID)
		if cred.SecurityToken != "" {
			msg += " with an STS security token"
		}
	}
	r.ok("credentials", "%s", msg)
	return c
}

// maskID shows enough of an AccessKey ID to tell keys apart.
func maskID(id string) string {
	if len(id) < 10 {
		return "****"
	}
	return id[:4] + "…" + id[len(id)-3:]
}

// accountZone is a zone of the account as DescribeDomains lists it.
type accountZone struct {
	DomainName  string `json:"DomainName"`
	PunyCode    string `json:"PunyCode"`
	VersionCode string `json:"VersionCode"`
	VersionName string `json:"VersionName"`
	RecordCount int64  `json:"RecordCount"`
}

func (z accountZone) ascii() string {
	return hostedZone{Name: z.DomainName, PunyCode: z.PunyCode}.ascii()
}

// display is the zone's name, with the ASCII form for IDNs.
func (z accountZone) display() string {
	if a := z.ascii(); !strings.EqualFold(a, z.DomainName) && z.DomainName != "" {
		return z.DomainName + " (" + a + ")"
	}
	return z.ascii()
}

// edition names the zone's edition.
func (z accountZone) edition() string {
	switch {
	case z.VersionName != "" && z.VersionCode != "":
		return z.VersionName + " (" + z.VersionCode + ")"
	case z.VersionCode != "":
		return z.VersionCode
	}
	return "unknown edition"
}

// listAccountZones lists every zone of the account (all pages).
func listAccountZones(ctx context.Context, c *api.Client) ([]accountZone, error) {
	type page struct {
		TotalCount int64 `json:"TotalCount"`
		Domains    struct {
			Domain []accountZone `json:"Domain"`
		} `json:"Domains"`
	}
	fetch := func(n int) (page, error) {
		var out page
		err := c.Do(ctx, "DescribeDomains", url.Values{"PageNumber": {strconv.Itoa(n)}, "PageSize": {strconv.Itoa(domainsPageSize)}}, &out)
		return out, err
	}
	pages, err := fetchPages(domainsPageSize, fetch, func(p page) int64 { return p.TotalCount })
	if err != nil {
		return nil, fmt.Errorf("listing the account's zones: %w", err)
	}
	var zones []accountZone
	for _, p := range pages {
		zones = append(zones, p.Domains.Domain...)
	}
	return zones, nil
}

// editionMinTTL is the minimum TTL an edition allows, as documented;
// ok is false for editions it does not know.
func editionMinTTL(code string) (ttl int64, note string, ok bool) {
	switch code {
	case "mianfei", "version_personal":
		return 600, "", true
	case "version_enterprise_advanced":
		return 1, "", true
	case "version_enterprise_basic":
		return 60, "historical value, unverified", true
	}
	return 0, "", false
}

// suffixes returns name and each parent of it down to two labels,
// longest first.
func suffixes(name string) []string {
	labels := strings.Split(name, ".")
	var out []string
	for i := 0; i+2 <= len(labels); i++ {
		out = append(out, strings.Join(labels[i:], "."))
	}
	return out
}

// normalizeDomain turns the domain argument into the ASCII name whose
// _acme-challenge record Caddy writes: a wildcard shares its base name's.
func normalizeDomain(domain string) (string, error) {
	d := strings.TrimSpace(domain)
	d = strings.TrimPrefix(d, "*.")
	d = strings.TrimSuffix(d, ".")
	d = strings.TrimPrefix(d, "_acme-challenge.")
	if d == "" || strings.ContainsAny(d, "/: ") {
		return "", fmt.Errorf("%q is not a domain name: give the name a certificate is for, e.g. www.example.com or *.example.com", domain)
	}
	a, err := apiZone(d)
	if err != nil {
		return "", err
	}
	if !strings.Contains(a, ".") {
		return "", fmt.Errorf("%q is not a domain name: give the name a certificate is for, e.g. www.example.com", domain)
	}
	return a, nil
}

// runCheck checks that the module could solve a DNS-01 challenge for
// o.Domain and writes a report of each step to w. It returns
// errChecksFailed if a step failed.
func runCheck(ctx context.Context, o checkOptions, w io.Writer) error {
	if o.Provider == nil {
		o.Provider = new(Provider)
	}
	r := &report{w: w}
	domain, err := normalizeDomain(o.Domain)
	if err != nil {
		return err
	}
	fqdn := "_acme-challenge." + domain
	fmt.Fprintf(w, "Checking AliDNS for %s (challenge record %s)\n", o.Domain, fqdn)
	defer func() { summary(r, o, w) }()

	c := settingsStep(o.commandOptions, r)
	if c == nil {
		return errChecksFailed
	}
	p := o.Provider

	// The account's zones; a RAM policy without DescribeDomains is fine
	// for certificates, so then the zone is found by probing.
	zones, listErr := listAccountZones(ctx, c)
	var zone *accountZone
	var existing []apiRecord
	probed := false
	switch {
	case listErr == nil:
		r.ok("zones", "the account hosts %d zone(s) (DescribeDomains)", len(zones))
		zone = findZone(fqdn, zones)
	case fatal(listErr):
		r.fail("zones", "the API refused the credentials or could not be reached")
		r.apiDetails(listErr, "")
		return errChecksFailed
	default:
		r.warn("zones", "cannot list the account's zones; finding the zone by probing instead")
		r.apiDetails(listErr, "needed only by caddy alidns zones, the libdns ZoneLister and clearer error messages; certificates work without it")
		zone, existing, err = probeZone(ctx, c, fqdn)
		if err != nil {
			r.fail("hosted zone", "probing the zones that could hold %s failed", fqdn)
			r.apiDetails(err, "the module needs it to find and clean up challenge records")
			return errChecksFailed
		}
		probed = true
	}
	if zone == nil {
		r.fail("hosted zone", "no zone of this account contains %s", fqdn)
		if listErr == nil {
			hz := make([]hostedZone, 0, len(zones))
			for _, z := range zones {
				hz = append(hz, hostedZone{Name: z.DomainName, PunyCode: z.PunyCode})
			}
			r.detail("%s", strings.TrimPrefix(closestZones(domain, hz), "; "))
		}
		r.detail("what to do: add the domain's zone in the AliDNS console of this account (and delegate it to AliDNS's name servers at the registrar), or use the AccessKey of the account that hosts it")
		return errChecksFailed
	}
	zname := zone.ascii()
	rr, _ := relativeName(fqdn+".", zname)
	msg := fmt.Sprintf("%s holds %s (record name %q)", zone.display(), fqdn, rr)
	if zone.VersionCode != "" {
		msg += ", " + zone.edition()
		if m, note, ok := editionMinTTL(zone.VersionCode); ok {
			msg += fmt.Sprintf(", minimum TTL %d s (from the edition", m)
			if note != "" {
				msg += "; " + note
			}
			msg += ")"
		}
	}
	r.ok("hosted zone", "%s", msg)
	if listErr == nil {
		relatedZones(r, domain, zname, zones)
	}

	// Records already at the challenge name.
	if !probed {
		existing, err = p.recordsAt(ctx, c, zname, rr)
	}
	switch {
	case err != nil && fatal(err):
		r.fail("existing", "cannot read the records at %s", fqdn)
		r.apiDetails(err, "")
		return errChecksFailed
	case err != nil:
		r.warn("existing", "cannot read the records at %s (DescribeSubDomainRecords)", fqdn)
		r.apiDetails(err, "the module needs it to delete challenge records it did not create in the same run, e.g. after a restart, and for SetRecords")
	default:
		reportExisting(r, fqdn, existing)
	}

	if o.ReadOnly {
		r.skip("create TXT", "skipped (--read-only)")
		r.skip("delete TXT", "skipped (--read-only)")
		return result(r)
	}
	writeTest(ctx, p, r, zname, rr, fqdn)
	return result(r)
}

func result(r *report) error {
	if r.failed > 0 {
		return errChecksFailed
	}
	return nil
}

func summary(r *report, o checkOptions, w io.Writer) {
	switch {
	case r.failed > 0:
		fmt.Fprintf(w, "%d check(s) failed: Caddy could not get a certificate for %s through AliDNS with these settings.\n", r.failed, o.Domain)
	case o.ReadOnly:
		fmt.Fprintf(w, "Read-only checks passed (%d warning(s)); run without --read-only to test creating and deleting the challenge record.\n", r.warned)
	default:
		fmt.Fprintf(w, "All checks passed (%d warning(s)): Caddy can solve DNS-01 challenges for %s with these settings.\n", r.warned, o.Domain)
	}
}

// findZone returns the hosted zone with the longest name that fqdn is in.
func findZone(fqdn string, zones []accountZone) *accountZone {
	byName := make(map[string]int, len(zones))
	for i, z := range zones {
		byName[z.ascii()] = i
	}
	for _, s := range suffixes(fqdn) {
		if i, ok := byName[s]; ok {
			return &zones[i]
		}
	}
	return nil
}

// relatedZones notes other hosted zones that affect where records for
// the domain go: parents of the zone found (Caddy follows the public
// DNS delegation, not AliDNS), and sub-domains of the domain hosted as
// zones of their own.
func relatedZones(r *report, domain, zone string, zones []accountZone) {
	var parents, children []string
	for _, z := range zones {
		a := z.ascii()
		switch {
		case a == zone:
		case strings.HasSuffix(zone, "."+a):
			parents = append(parents, a)
		case strings.HasSuffix(a, "."+domain):
			children = append(children, a)
		}
	}
	sort.Strings(parents)
	sort.Strings(children)
	if len(parents) > 0 {
		r.warn("sub-zone", "%s is hosted as its own zone, and so is its parent %s", zone, strings.Join(parents, ", "))
		r.detail("Caddy writes the challenge record to the zone that public DNS names in the SOA answer for %s;", "_acme-challenge."+domain)
		r.detail("unless the parent zone delegates %s (NS records for it in the parent zone), that is the parent", zone)
		r.detail("and the record written to %s is never seen: delegate it, or delete the zone you do not use", zone)
	}
	if len(children) > 0 {
		r.ok("sub-zones", "hosted as zones of their own: %s; names under them (e.g. *.%s) go to those zones", strings.Join(children, ", "), children[0])
	}
}

// probeZone finds the zone holding fqdn without DescribeDomains: it asks
// for the records at fqdn in each candidate zone, longest first, until
// one is hosted; it returns the records found there too.
func probeZone(ctx context.Context, c *api.Client, fqdn string) (*accountZone, []apiRecord, error) {
	for _, cand := range suffixes(fqdn) {
		var out recordsPage
		err := c.Do(ctx, "DescribeSubDomainRecords", url.Values{
			"SubDomain":  {fqdn},
			"DomainName": {cand},
			"PageSize":   {strconv.Itoa(subDomainsPageSize)},
		}, &out)
		if api.HasCode(err, zoneNotHostedCodes...) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		rr, _ := relativeName(fqdn+".", cand)
		var recs []apiRecord
		for _, rec := range out.DomainRecords.Record {
			if strings.EqualFold(rec.RR, rr) {
				recs = append(recs, rec)
			}
		}
		return &accountZone{DomainName: cand}, recs, nil
	}
	return nil, nil, nil
}

// reportExisting describes the records already at the challenge name.
func reportExisting(r *report, fqdn string, recs []apiRecord) {
	var txt, cname, other []apiRecord
	for _, rec := range recs {
		switch strings.ToUpper(rec.Type) {
		case "TXT":
			txt = append(txt, rec)
		case "CNAME":
			cname = append(cname, rec)
		default:
			other = append(other, rec)
		}
	}
	switch {
	case len(cname) > 0:
		r.warn("existing", "%s is a CNAME to %s", fqdn, cname[0].Value)
		r.detail("AliDNS refuses a TXT record next to a CNAME (DomainRecordConflict); if the CNAME delegates the challenge elsewhere")
		r.detail("(DNS alias mode), point Caddy at the target with dns_challenge_override_domain and check that name instead")
	case len(recs) == 0:
		r.ok("existing", "no records at %s", fqdn)
	case len(txt) > 0:
		ids := make([]string, 0, len(txt))
		for _, t := range txt {
			ids = append(ids, t.RecordID)
		}
		r.ok("existing", "%d TXT record(s) already at %s (ids %s): leftovers of earlier challenges? They do no harm; delete them in the console if unused", len(txt), fqdn, strings.Join(ids, ", "))
	}
	if len(other) > 0 {
		r.detail("also %d record(s) of other types at that name", len(other))
	}
}

// writeTest creates and deletes a TXT record at the challenge name
// through the provider's own methods, as certmagic does.
func writeTest(ctx context.Context, p *Provider, r *report, zone, rr, fqdn string) {
	value := "caddy-alidns-check-" + randomHex(8) + "-safe-to-delete"
	created, err := p.AppendRecords(ctx, zone+".", []libdns.Record{libdns.RR{Type: "TXT", Name: rr, Data: value}})
	if err != nil || len(created) != 1 {
		if err == nil {
			err = fmt.Errorf("AppendRecords returned %d records, want 1", len(created))
		}
		r.fail("create TXT", "cannot create a TXT record at %s", fqdn)
		r.apiDetails(err, "the module adds the challenge record with it")
		r.skip("delete TXT", "skipped: nothing was created")
		return
	}
	id := "?"
	if info, ok := infoOf(created[0]); ok {
		id = info.RecordID
	}
	r.ok("create TXT", "created record %s at %s, TTL %d s, value %q", id, fqdn, int64(created[0].RR().TTL/time.Second), value)
	deleted, err := p.DeleteRecords(ctx, zone+".", created)
	switch {
	case err != nil:
		r.fail("delete TXT", "cannot delete the test record %s", id)
		r.apiDetails(err, "the module deletes the challenge record with it")
		r.detail("the test record is left in zone %s: delete record %s (value %q) in the AliDNS console", zone, id, value)
	case len(deleted) != 1:
		r.fail("delete TXT", "the test record %s was not found when deleting it; check the zone in the AliDNS console", id)
	default:
		r.ok("delete TXT", "deleted record %s", id)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
