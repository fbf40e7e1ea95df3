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

	"github.com/caddy-alidns/alidns/internal/api"
)

// report prints the steps of a check, one line each with continuation
// lines for details, and counts failures.
type report struct {
	w      io.Writer
	failed int
	warned int
	steps  []reportStep
	// ctx is the check's context and timeout its time limit: an error
	// after ctx ended is blamed on them, not on the endpoint.
	ctx     context.Context
	timeout time.Duration
}

// defaultPropagationTimeout is certmagic's propagation timeout when the
// config sets none.
const defaultPropagationTimeout = 2 * time.Minute

// propagationTimeout is how long Caddy waits for the record to be visible
// with the propagation_timeout setting d (0: the default; -1: no wait).
func propagationTimeout(d time.Duration) time.Duration {
	switch {
	case d < 0:
		return 0
	case d == 0:
		return defaultPropagationTimeout
	}
	return d
}

// reportStep is one line of the report with its details, for --json.
type reportStep struct {
	Status  string   `json:"status"` // ok, skip, warn or fail
	Step    string   `json:"step"`
	Message string   `json:"message"`
	Details []string `json:"details,omitempty"`
}

var markStatus = map[string]string{"✓": "ok", "-": "skip", "!": "warn", "✗": "fail"}

const stepWidth = 14

func (r *report) line(mark, step, msg string) {
	r.steps = append(r.steps, reportStep{Status: markStatus[mark], Step: step, Message: msg})
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
		if n := len(r.steps); n > 0 {
			r.steps[n-1].Details = append(r.steps[n-1].Details, l)
		}
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
		switch {
		case r.ctx != nil && r.ctx.Err() != nil && signalled(r.ctx) == nil:
			r.detail("what to do: the check's time limit (%s) ran out during this step: raise --timeout", r.timeout)
		case errors.Is(err, context.DeadlineExceeded):
			r.detail("what to do: check that the endpoint is reachable from here (proxy: HTTPS_PROXY), or raise http_timeout")
		}
		return
	}
	defer func() {
		// What the provider added after the API's answer (a lost answer
		// settled, or not): the report must not lose it.
		full := err.Error()
		if i := strings.Index(full, e.Error()); i >= 0 {
			rest := strings.Replace(full[i+len(e.Error()):], "("+api.ErrOutcomeUnknown.Error()+")", api.ErrOutcomeUnknown.Error(), 1)
			if rest = strings.TrimLeft(rest, "; "); rest != "" {
				r.detail("then: %s", rest)
			}
		}
	}()
	switch {
	case e.Code != "":
		r.detail("error code: %s (HTTP %d)", e.Code, e.HTTPStatus)
	case e.Location != "":
		r.detail("error: HTTP %d redirect to %s refused (AliDNS never redirects; the redirect was not followed)", e.HTTPStatus, e.Location)
	default:
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
		r.detail("what to do: allow %s to the RAM user or role of this AccessKey (%s); policy statement: %s", e.DeniedAction, what, api.PolicyStatement(e.DeniedAction, e.DeniedResource))
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
		err = p.checkSettings(s)
	}
	if err != nil {
		r.fail("settings", "%v", err)
		return nil
	}
	endpoint, from := endpointOf(s["endpoint"], os.LookupEnv)
	// The endpoint is set where the other settings are: in the config
	// given with --config, or on the command line.
	where, setIt := "--endpoint", func(v string) string { return "--endpoint " + v }
	if o.ConfigFile != "" {
		where, setIt = "endpoint in "+o.ConfigFile, func(v string) string { return "endpoint " + v + " in " + o.ConfigFile }
	}
	switch from {
	case "endpoint":
		from = "from " + where
	case envEndpoint:
		from = "from " + envEndpoint
	}
	line := s["line"]
	if line == "" {
		line = defaultLine + " (default)"
	}
	r.ok("settings", "endpoint %s (%s), line %s", api.RedactEndpoint(endpoint), from, line)
	if s["region_id"] != "" {
		r.detail("region_id %s does not select the endpoint; to use that region's, set %s", s["region_id"], setIt(api.RegionalEndpoint(s["region_id"])))
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
		msg += ", " + describeKeyID(cred.AccessKeyID)
		if cred.SecurityToken != "" {
			msg += " with an STS security token"
		}
	}
	r.ok("credentials", "%s", msg)
	return c
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
// o.Domain as Caddy would, and writes a report of each step to w (and, if
// o.JSON is set, the steps to o.JSON as well). It returns
// errChecksFailed if a step failed.
//
// Only AddDomainRecord and DeleteDomainRecord are required: a denied
// lookup (DescribeDomains, DescribeSubDomainRecords) is a warning naming
// the action, the zone is then taken from DNS (the SOA, as certmagic
// finds it), and creating and deleting the test record is the proof.
func runCheck(ctx context.Context, o checkOptions, w io.Writer) error {
	_, err := runCheckReport(ctx, o, w)
	return err
}

// checkResult is the machine-readable result of one check (--json).
type checkResult struct {
	Domain     string       `json:"domain"`
	Source     string       `json:"source,omitempty"` // where the settings came from (--config)
	Passed     bool         `json:"passed"`
	Failed     int          `json:"failed"`
	Warnings   int          `json:"warnings"`
	Steps      []reportStep `json:"steps"`
	Visibility []visibility `json:"visibility,omitempty"`
	Resolvers  []string     `json:"resolvers,omitempty"`
	Zone       string       `json:"zone,omitempty"`
	NameServer []string     `json:"name_servers,omitempty"`
	// TestRecord is the test record created (or whose add may have been
	// applied), with whether it is left in the zone.
	TestRecord *testRecordOutcome `json:"test_record,omitempty"`
	Elapsed    time.Duration      `json:"elapsed_ns"`
}

func runCheckReport(ctx context.Context, o checkOptions, w io.Writer) (*checkResult, error) {
	start := time.Now()
	if o.Provider == nil {
		o.Provider = new(Provider)
	}
	domain, err := normalizeDomain(o.Domain)
	if err != nil {
		return nil, err
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = propagationTimeout(o.PropagationTimeout) + defaultCheckSlack
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	k := &checkRun{o: o, r: &report{w: w, ctx: ctx, timeout: timeout}, res: &checkResult{Domain: o.Domain, Source: o.Source}, domain: domain}
	k.fqdn = "_acme-challenge." + domain
	k.fqdnASCII = asciiName(k.fqdn)
	k.resolvers, k.resolversFrom = checkResolvers(o.Resolvers)
	k.noDNS = len(k.resolvers) == 0
	k.res.Resolvers = k.resolvers
	fmt.Fprintf(w, "Checking AliDNS for %s (challenge record %s)\n", o.Domain, k.fqdnASCII)
	defer func() {
		r, res := k.r, k.res
		stopped := signalled(ctx) != nil
		if stopped {
			r.fail("stopped", "%s: the check did not complete", stopReason(ctx))
		}
		summary(r, o, w, stopped)
		res.Failed, res.Warnings, res.Passed, res.Steps = r.failed, r.warned, r.failed == 0, r.steps
		res.Elapsed = time.Since(start)
	}()

	if k.c = settingsStep(o.commandOptions, k.r); k.c == nil {
		return k.res, errChecksFailed
	}
	for _, step := range []func(context.Context) bool{k.zonesStep, k.dnsZoneStep, k.hostedZoneStep, k.existingStep} {
		if !step(ctx) {
			return k.res, errChecksFailed
		}
	}
	switch {
	case o.ReadOnly:
		k.r.skip("create TXT", "skipped (--read-only)")
		k.r.skip("delete TXT", "skipped (--read-only)")
		return k.res, result(k.r)
	case k.zoneFailed:
		// The record would go to a zone Caddy does not write to: it would
		// prove nothing, and only add a record to clean up.
		k.r.skip("create TXT", "not created: Caddy writes the challenge to %s, which this account does not hold (see DNS zone above)", asciiName(k.dnsZone))
		k.r.skip("delete TXT", "skipped: nothing was created")
		return k.res, result(k.r)
	}
	k.testRecordStep(ctx)
	return k.res, result(k.r)
}

// checkRun is one run of caddy alidns check: what its steps found so far.
type checkRun struct {
	o              checkOptions
	r              *report
	res            *checkResult
	c              *api.Client
	domain         string
	fqdn           string
	fqdnASCII      string
	resolvers      []string
	resolversFrom  string
	noDNS          bool
	zones          []hostedZone
	listErr        error
	zone           *hostedZone // the hosted zone, when known
	existing       []apiRecord
	probed, denied bool
	dnsZone        string   // the zone per DNS (Unicode)
	candidates     []string // zones to try the test record in
	zoneFailed     bool     // DNS names another zone than the hosted one
}

// zonesStep lists the account's zones; a RAM policy without
// DescribeDomains is fine for certificates, so then the zone is found by
// probing, and without DescribeSubDomainRecords either, from DNS.
func (k *checkRun) zonesStep(ctx context.Context) bool {
	r := k.r
	k.zones, k.listErr = listZones(ctx, k.c)
	switch err := k.listErr; {
	case err == nil:
		r.ok("zones", "the account hosts %d zone(s) (DescribeDomains)", len(k.zones))
		k.zone = findZone(k.fqdn, k.zones)
		return true
	case fatal(err):
		r.fail("zones", "the API refused the credentials or could not be reached")
		r.apiDetails(err, "")
		return false
	case isForbidden(err):
		r.warn("zones", "%s is not allowed (optional: used by caddy alidns zones and for naming the closest zones in errors); finding the zone another way", deniedAction(err))
	default:
		r.warn("zones", "cannot list the account's zones; finding the zone by probing instead")
		r.apiDetails(err, "needed only by caddy alidns zones, the libdns ZoneLister and clearer error messages; certificates work without it")
	}
	zone, existing, err := probeZone(ctx, k.c, k.fqdn)
	k.zone, k.existing, k.probed = zone, existing, true
	switch {
	case err != nil && isForbidden(err):
		r.warn("lookup", "%s is not allowed (optional for certificates; the README's recommended policy grants it so that the provider can find and delete a record whose creation answer was lost); the zone is taken from DNS and proven by creating the test record", deniedAction(err))
		k.denied = true
	case err != nil:
		r.fail("hosted zone", "probing the zones that could hold %s failed", k.fqdn)
		r.apiDetails(err, "the module needs it to find and clean up challenge records")
		return false
	}
	return true
}

// dnsZoneStep finds the zone Caddy will write to: certmagic asks DNS for
// the SOA of the challenge name, through the resolvers it is configured
// with.
func (k *checkRun) dnsZoneStep(ctx context.Context) bool {
	r := k.r
	if k.noDNS {
		r.skip("DNS zone", "no resolvers to ask: DNS checks skipped")
		return true
	}
	dnsZone, err := findDNSZone(ctx, k.resolvers, k.fqdnASCII)
	if err != nil {
		r.warn("DNS zone", "cannot find the zone of %s in DNS through %s (%s): %v", k.fqdnASCII, strings.Join(k.resolvers, ", "), k.resolversFrom, err)
		r.detail("Caddy finds the zone the same way; check that these resolvers answer, or set resolvers in the tls block / global options")
		return true
	}
	r.ok("DNS zone", "%s is in zone %s according to DNS (SOA, through %s)", k.fqdnASCII, dnsZone, strings.Join(k.resolvers, ", "))
	k.dnsZone = unicodeName(dnsZone)
	return true
}

// hostedZoneStep settles the zone the test record goes to and compares it
// with DNS's and with the delegation.
func (k *checkRun) hostedZoneStep(ctx context.Context) bool {
	r := k.r
	switch {
	case k.zone != nil:
	case k.denied && k.dnsZone != "":
		k.zone = &hostedZone{DomainName: k.dnsZone}
		r.skip("hosted zone", "not looked up (no permission); using %s from DNS, proven by creating the test record", k.dnsZone)
	case k.denied:
		k.candidates = suffixes(k.fqdn)[1:]
		r.skip("hosted zone", "not looked up (no permission); trying to create the test record in %s", strings.Join(k.candidates, ", "))
		return true
	default:
		r.fail("hosted zone", "no zone of this account contains %s", k.fqdn)
		if k.listErr == nil {
			r.detail("%s", strings.TrimPrefix(closestZones(k.domain, k.zones), "; "))
		}
		r.detail("what to do: add the domain's zone in the AliDNS console of this account (and delegate it to AliDNS's name servers at the registrar), or use the AccessKey of the account that hosts it")
		return false
	}
	k.candidates = []string{unicodeName(k.zone.ascii())}
	zname := k.candidates[0]
	if !k.denied {
		k.reportHostedZone(zname)
	}
	if k.dnsZone != "" && k.dnsZone != zname {
		k.zoneFailed = true
		r.fail("DNS zone", "DNS says %s is in zone %s, but this AliDNS account holds it in zone %s: Caddy writes the challenge to %s", k.fqdnASCII, asciiName(k.dnsZone), asciiName(zname), asciiName(k.dnsZone))
		if strings.HasSuffix(k.dnsZone, "."+zname) {
			r.detail("%s is a child zone delegated to other name servers: host it in AliDNS too (and use it), or remove its delegation (NS records in %s)", asciiName(k.dnsZone), asciiName(zname))
		} else {
			r.detail("%s is hosted in AliDNS as its own zone but not delegated: add NS records for it in %s pointing to AliDNS, or delete it from AliDNS", asciiName(zname), asciiName(k.dnsZone))
		}
	}
	k.res.Zone = asciiName(zname)
	if !k.noDNS {
		k.res.NameServer = delegationStep(ctx, r, k.o, k.resolvers, k.res.Zone, k.zone.DNSServers.DNSServer)
	}
	return true
}

// reportHostedZone reports the hosted zone with its edition.
func (k *checkRun) reportHostedZone(zname string) {
	z := k.zone
	rr, _ := relativeName(k.fqdn+".", zname)
	msg := fmt.Sprintf("%s holds %s (record name %q)", z.display(), k.fqdnASCII, rr)
	if z.VersionCode != "" {
		msg += ", " + z.edition()
		if m, note, ok := editionMinTTL(z.VersionCode); ok {
			msg += fmt.Sprintf(", minimum TTL %d s (from the edition", m)
			if note != "" {
				msg += "; " + note
			}
			msg += ")"
		}
	}
	k.r.ok("hosted zone", "%s", msg)
	if k.listErr == nil {
		relatedZones(k.r, k.domain, zname, k.dnsZone, k.zones)
	}
}

// existingStep reports the records already at the challenge name.
func (k *checkRun) existingStep(ctx context.Context) bool {
	r := k.r
	switch {
	case k.denied:
		r.skip("existing", "not looked up (no permission for DescribeSubDomainRecords)")
		return true
	case k.zone == nil:
		return true
	}
	var err error
	if !k.probed {
		rr, _ := relativeName(k.fqdn+".", k.candidates[0])
		k.existing, err = k.o.Provider.recordsAt(ctx, k.c, k.candidates[0], rr)
	}
	switch {
	case err != nil && fatal(err):
		r.fail("existing", "cannot read the records at %s", k.fqdn)
		r.apiDetails(err, "")
		return false
	case err != nil:
		r.warn("existing", "cannot read the records at %s (DescribeSubDomainRecords)", k.fqdn)
		r.apiDetails(err, "the module needs it to delete challenge records it did not create in the same run, e.g. after a restart, and for SetRecords")
	default:
		var own, others []apiRecord
		for _, rec := range k.existing {
			if strings.EqualFold(rec.Type, "TXT") && isTestValue(rec.Value) {
				own = append(own, rec)
			} else {
				others = append(others, rec)
			}
		}
		reportExisting(r, k.fqdn, others)
		if len(own) > 0 {
			k.removeLeftovers(ctx, own)
		}
	}
	return true
}

// isForbidden reports whether err is an access denial.
func isForbidden(err error) bool {
	var e *api.Error
	return errors.As(err, &e) && api.IsForbidden(e.Code)
}

func deniedAction(err error) string {
	var e *api.Error
	if errors.As(err, &e) && e.DeniedAction != "" {
		return e.DeniedAction
	}
	return "an action"
}

// delegationStep checks that public DNS delegates zone to AliDNS (its NS
// are the expected servers, or AliDNS's by name) and returns the NS found.
func delegationStep(ctx context.Context, r *report, o checkOptions, resolvers []string, zone string, expected []string) []string {
	// The delegation at the parent zone's servers is what the CA follows;
	// when they cannot be asked, the resolvers' answer stands in for it.
	ns, at, err := parentDelegation(ctx, resolvers, o.ParentServers, zone)
	where, fallback := "at the parent zone's server "+at, ""
	if err != nil {
		fallback = fmt.Sprintf("the parent zone's servers could not be asked (%v); this is the resolvers' answer", err)
		ns, err = nameServers(ctx, resolvers, zone)
		where = "through " + strings.Join(resolvers, ", ")
	}
	defer func() {
		if fallback != "" {
			r.detail("%s", fallback)
		}
	}()
	what := "AliDNS's name servers"
	if len(expected) > 0 {
		what = "the name servers AliDNS assigned to it (" + strings.Join(expected, ", ") + ")"
	}
	var other []string
	for _, n := range ns {
		if !isAliDNSNameServer(n, expected) {
			other = append(other, strings.TrimSuffix(n, "."))
		}
	}
	switch {
	case err != nil:
		r.warn("delegation", "cannot ask %s for the NS records of %s: %v", strings.Join(resolvers, ", "), zone, err)
	case len(ns) == 0:
		r.fail("delegation", "public DNS has no NS records for %s", zone)
		r.detail("what to do: at the domain's registrar, set the name servers to %s (shown in the AliDNS console)", what)
	case len(other) == len(ns):
		r.fail("delegation", "%s is delegated to %s, not to AliDNS (%s): records written through the API are not what the CA sees", zone, strings.Join(other, ", "), where)
		r.detail("what to do: at the domain's registrar (or in the parent zone), set the name servers of %s to %s", zone, what)
	case len(other) > 0:
		r.warn("delegation", "%s is delegated to AliDNS and to %s (%s): the CA may ask a server that does not have the record", zone, strings.Join(other, ", "), where)
	default:
		r.ok("delegation", "%s is delegated to %s (%s)", zone, strings.Join(trimDots(ns), ", "), where)
	}
	return trimDots(ns)
}

func trimDots(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.TrimSuffix(n, ".")
	}
	return out
}

// visibilityStep waits for the test record at the zone's authoritative
// servers and through the resolvers Caddy will use, and reports when each
// saw it against Caddy's propagation_timeout.
func visibilityStep(ctx context.Context, r *report, o checkOptions, resolvers, ns []string, fqdn, value string) []visibility {
	if o.PropagationTimeout < 0 {
		r.skip("visibility", "skipped: propagation_timeout -1 turns Caddy's propagation check off")
		return nil
	}
	timeout := propagationTimeout(o.PropagationTimeout)
	servers := map[string]string{}
	auth := o.Authoritative
	if len(auth) == 0 && len(ns) > 0 {
		auth = addresses(ctx, resolvers, ns)
	}
	if len(auth) == 0 && len(ns) > 0 {
		r.skip("visibility", "the name servers %s do not resolve through %s: asking the resolvers only", strings.Join(ns, ", "), strings.Join(resolvers, ", "))
	}
	for _, a := range auth {
		servers[withPort(a)] = "authoritative"
	}
	// Caddy checks through the resolvers when the config sets some, and
	// at the authoritative servers otherwise (certmagic); the system's
	// resolvers are asked only when no name server address is known.
	if len(o.Resolvers) > 0 || len(servers) == 0 {
		for _, rs := range resolvers {
			if servers[rs] == "" {
				servers[rs] = "resolver"
			}
		}
	}
	if len(servers) == 0 {
		r.warn("visibility", "no resolver or name server to ask")
		return nil
	}
	budget, cut := waitBudget(ctx, timeout)
	if budget <= 0 {
		r.fail("visibility", "not checked: the check's time limit (%s) leaves no time to wait for the test record", r.timeout)
		r.detail("what to do: raise --timeout above propagation_timeout (%s)", timeout)
		return nil
	}
	vis := waitVisible(ctx, servers, fqdn, value, budget)
	stopped := ctx.Err() != nil
	for _, v := range vis {
		switch {
		case v.Seen:
			r.ok("visibility", "%s %s answers the test record after %s", v.Kind, v.Server, v.After.Round(10*time.Microsecond))
		case stopped:
			r.skip("visibility", "%s %s: not seen when the wait ended after %s: %s", v.Kind, v.Server, v.After.Round(time.Millisecond), stopReason(ctx))
		case cut:
			r.fail("visibility", "%s %s did not answer the test record within %s, the wait cut short of propagation_timeout %s to leave time for deleting the test record", v.Kind, v.Server, budget.Round(time.Millisecond), timeout)
			r.detail("what to do: raise --timeout (now %s) so that the whole propagation_timeout fits; the other steps and the deletion need about a minute", r.timeout)
		case v.Kind == "authoritative":
			r.fail("visibility", "authoritative server %s did not answer the test record within %s", v.Server, timeout)
		default:
			r.fail("visibility", "resolver %s did not see the test record within %s (Caddy's propagation_timeout): Caddy would give up", v.Server, timeout)
			r.detail("what to do: remove resolvers so that Caddy asks the zone's AliDNS name servers directly, or list those name servers as resolvers (a recursive resolver may answer from its cache), or raise propagation_timeout")
		}
		if v.Err != "" && !v.Seen && !stopped {
			r.detail("last error: %s", v.Err)
		}
	}
	if o.PropagationDelay > 0 {
		r.detail("Caddy also waits propagation_delay %s before checking", o.PropagationDelay)
	}
	return vis
}

func result(r *report) error {
	if r.failed > 0 {
		return errChecksFailed
	}
	return nil
}

func summary(r *report, o checkOptions, w io.Writer, stopped bool) {
	switch {
	case stopped:
		fmt.Fprintf(w, "Stopped before the check of %s completed (%d check(s) failed).\n", o.Domain, r.failed-1)
	case r.failed > 0:
		fmt.Fprintf(w, "%d check(s) failed: Caddy could not get a certificate for %s through AliDNS with these settings.\n", r.failed, o.Domain)
	case o.ReadOnly:
		fmt.Fprintf(w, "Read-only checks passed (%d warning(s)); run without --read-only to test creating and deleting the challenge record.\n", r.warned)
	default:
		fmt.Fprintf(w, "All checks passed (%d warning(s)): Caddy can solve DNS-01 challenges for %s with these settings.\n", r.warned, o.Domain)
	}
}

// findZone returns the hosted zone with the longest name that fqdn is in.
func findZone(fqdn string, zones []hostedZone) *hostedZone {
	byName := make(map[string]int, len(zones))
	for i, z := range zones {
		byName[unicodeName(z.ascii())] = i
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
// zones of their own. dnsZone is the zone DNS names ("" when unknown).
func relatedZones(r *report, domain, zone, dnsZone string, zones []hostedZone) {
	var parents, children []string
	for _, z := range zones {
		a := unicodeName(z.ascii())
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
	switch {
	case len(parents) == 0:
	case dnsZone == zone:
		// DNS already shows the delegation: the sub-zone is the one used.
		r.ok("sub-zone", "%s is hosted as its own zone, and so is its parent %s; DNS delegates %s, so Caddy writes the challenge there", zone, strings.Join(parents, ", "), zone)
	case dnsZone == "":
		r.warn("sub-zone", "%s is hosted as its own zone, and so is its parent %s", zone, strings.Join(parents, ", "))
		r.detail("Caddy writes the challenge record to the zone that public DNS names in the SOA answer for %s:", "_acme-challenge."+domain)
		r.detail("unless the parent zone delegates %s (NS records for it in the parent zone), that is the parent,", zone)
		r.detail("and a record written to %s is not seen: delegate it, or delete the zone you do not use", zone)
	default:
		// The DNS zone step names the zone DNS uses and fails.
		r.warn("sub-zone", "%s is hosted as its own zone, and so is its parent %s", zone, strings.Join(parents, ", "))
	}
	if len(children) > 0 {
		r.ok("sub-zones", "hosted as zones of their own: %s; names under them (e.g. *.%s) go to those zones", strings.Join(children, ", "), children[0])
	}
}

// probeZone finds the zone holding fqdn without DescribeDomains: it asks
// for the records at fqdn in each candidate zone, longest first, until
// one is hosted; it returns the records found there too.
func probeZone(ctx context.Context, c *api.Client, fqdn string) (*hostedZone, []apiRecord, error) {
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
		return &hostedZone{DomainName: cand}, recs, nil
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

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
