package alidns

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/caddy-alidns/alidns/internal/api"
)

// apiZone turns a libdns zone ("example.com.", any case, ASCII/punycode or
// Unicode) into the form sent as DomainName: lower case without the
// trailing dot, internationalised labels in Unicode as AliDNS wants them
// (see idn.go).
func apiZone(zone string) (string, error) {
	z := strings.TrimSuffix(strings.TrimSpace(zone), ".")
	if strings.Trim(z, ". ") == "" {
		// "", ".", "..", " . ": nothing but the root.
		return "", fmt.Errorf("zone is empty: pass the zone name, e.g. \"example.com.\"")
	}
	if strings.ContainsFunc(z, spaceOrControl) {
		// "0 . .": the space would reach the API, or be trimmed away
		// on the next reading.
		return "", fmt.Errorf("zone %q has white space or a control character inside it: pass the zone name, e.g. \"example.com.\"", zone)
	}
	if strings.HasPrefix(z, ".") || strings.HasSuffix(z, ".") || strings.Contains(z, "..") {
		return "", fmt.Errorf("zone %q has an empty label (a leading dot or two dots in a row): pass the zone name, e.g. \"example.com.\"", zone)
	}
	// Checked in lower case: the idna profiles take only a lower-case
	// "xn--" as punycode, so "XN--0" would pass as plain ASCII and come
	// back from unicodeName as the broken "xn--0".
	lz := strings.ToLower(z)
	ascii, err := idna.Lookup.ToASCII(lz)
	if err != nil {
		// Lookup is strict (e.g. about underscores); fall back to plain
		// punycode conversion, which only fails on truly broken input.
		if ascii, err = idna.Punycode.ToASCII(lz); err != nil {
			return "", fmt.Errorf("zone %q is not a valid domain name: %w", zone, err)
		}
	}
	// The DNS limits, on the punycode form (Punycode does not check
	// them): a label of 70 ';' and one 'ʉ' encodes to 80 octets, which
	// then failed to decode on the next reading.
	if len(ascii) > 253 {
		return "", fmt.Errorf("zone %q is not a valid domain name: %d characters in ASCII form, more than 253", zone, len(ascii))
	}
	for _, l := range strings.Split(ascii, ".") {
		if len(l) > 63 {
			return "", fmt.Errorf("zone %q is not a valid domain name: label %.20q… is %d characters in ASCII form, more than 63", zone, l, len(l))
		}
	}
	u := unicodeName(z)
	if u == "" || strings.HasPrefix(u, ".") || strings.HasSuffix(u, ".") || strings.Contains(u, "..") {
		// A punycode label that decodes to nothing ("xn--").
		return "", fmt.Errorf("zone %q is not a valid domain name: a label is empty once decoded from punycode", zone)
	}
	if strings.ContainsFunc(u, spaceOrControl) {
		// "xn--fa" decodes to U+0085, a line break.
		return "", fmt.Errorf("zone %q is not a valid domain name: it decodes from punycode to white space or a control character", zone)
	}
	if again := unicodeName(u); again != u {
		// "xn--00a" decodes to an upper-case "Ш", which reads back as
		// "ш": no registry issues such a label.
		return "", fmt.Errorf("zone %q is not a valid domain name: it decodes from punycode to %q, which is not in normal form (%q)", zone, u, again)
	}
	return u, nil
}

func spaceOrControl(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }

// relativeName returns the AliDNS RR (host record) for a libdns name in
// zone (as apiZone returns it): "@" for the apex, the relative name
// otherwise, with punycode labels in Unicode like the zone.
// Fully-qualified names (with a trailing dot) must lie inside the zone.
func relativeName(name, zone string) (string, error) {
	if !utf8.ValidString(name) {
		// Lower-casing would turn the bytes into U+FFFD.
		return "", fmt.Errorf("name %+q is not valid UTF-8", name)
	}
	n := strings.TrimSpace(name)
	switch {
	case n == "" || n == "@":
		return "@", nil
	case strings.HasSuffix(n, "."):
		fq := unicodeName(n)
		if fq == zone {
			return "@", nil
		}
		if rel, ok := strings.CutSuffix(fq, "."+zone); ok && rel != "" {
			return rel, blankInName(name, rel)
		}
		return "", fmt.Errorf("name %q is not inside zone %q", name, zone)
	}
	n = strings.TrimSuffix(n, ".@")
	if strings.Contains(strings.ToLower(n), "xn--") {
		n = unicodeName(n)
	}
	if n == "" || strings.HasPrefix(n, ".") || strings.HasSuffix(n, ".") || strings.Contains(n, "..") {
		// A punycode label that decodes to nothing ("xn--"), or an empty
		// label written as such.
		return "", fmt.Errorf("name %q has an empty label", name)
	}
	return n, blankInName(name, n)
}

// blankInName refuses an RR with white space or a control character in
// it: typed in ("a b"), or left by the IDNA mapping ("¯" maps to a space
// and a combining macron).
func blankInName(name, rr string) error {
	if strings.ContainsFunc(rr, spaceOrControl) {
		return fmt.Errorf("name %q has white space or a control character in it (as %q)", name, rr)
	}
	return nil
}

// subDomain is the fully-qualified name (without dot) of rr in zone, as
// DescribeSubDomainRecords wants it.
func subDomain(rr, zone string) string {
	if rr == "@" {
		return zone
	}
	return rr + "." + zone
}

// ascii is the zone's name in ASCII (punycode for IDN zones), lower case.
func (z hostedZone) ascii() string {
	if z.PunyCode != "" {
		return strings.ToLower(z.PunyCode)
	}
	return asciiName(strings.ToLower(z.DomainName))
}

// display is the zone's name for messages: for an IDN zone the Unicode
// form followed by the ASCII one.
func (z hostedZone) display() string {
	a := z.ascii()
	if u := unicodeName(a); u != a {
		return u + " (" + a + ")"
	}
	return a
}

// edition names the zone's edition.
func (z hostedZone) edition() string {
	switch {
	case z.VersionName != "" && z.VersionCode != "":
		return z.VersionName + " (" + z.VersionCode + ")"
	case z.VersionCode != "":
		return z.VersionCode
	}
	return "unknown edition"
}

const domainsPageSize = 100

// listZones lists every zone of the account: the first page tells the
// total, the rest are fetched concurrently. The provider, ListZones and
// the caddy alidns subcommands all use it.
func listZones(ctx context.Context, c *api.Client) ([]hostedZone, error) {
	fetch := func(page int) (domainsPage, error) {
		var out domainsPage
		err := c.Do(ctx, "DescribeDomains", url.Values{"PageNumber": {strconv.Itoa(page)}, "PageSize": {strconv.Itoa(domainsPageSize)}}, &out)
		return out, err
	}
	pages, err := fetchPages(domainsPageSize, fetch, func(p domainsPage) int64 { return p.TotalCount })
	if err != nil {
		return nil, fmt.Errorf("listing hosted zones: %w", err)
	}
	var zones []hostedZone
	for _, pg := range pages {
		zones = append(zones, pg.Domains.Domain...)
	}
	return zones, nil
}

// pageConcurrency bounds the pages fetched at once after the first: a
// 10,000-record zone (20 pages of 500) takes the first page and then two
// rounds. Throttling answers to a wider burst are paced by the client's
// rate limiter.
const pageConcurrency = 10

// maxPages bounds the pages read for one listing, whatever TotalCount the
// answer claims: 500,000 records at 500 a page, 100,000 zones or records
// of one name at 100. Alibaba Cloud documents 100,000 records per zone as
// its default quota for PrivateZone; AliDNS publishes none lower, so this
// leaves room for a raised quota while bounding what a broken or hostile
// answer can cost.
const maxPages = 1000

// page is an answer page that knows how many entries it holds.
type page interface{ entries() int }

// fetchPages gets page 1, learns the total from it, then fetches the
// remaining pages with bounded concurrency, returning them in order. The
// server's TotalCount only bounds the page numbers asked for (at most
// maxPages); nothing is allocated from it, a goroutine is started only
// once the window admits it, and the first short or empty page ends
// the listing (AliDNS fills every page but the last). A page with more
// entries than pageSize is an error.
func fetchPages[P page](pageSize int, fetch func(page int) (P, error), total func(P) int64) ([]P, error) {
	first, err := fetch(1)
	if err != nil {
		return nil, err
	}
	if err := overfull(first, pageSize); err != nil {
		return nil, fmt.Errorf("page 1: %w", err)
	}
	pages := []P{first}
	t := total(first)
	n := maxPages
	if t <= int64(maxPages)*int64(pageSize) {
		n = int(max((t+int64(pageSize)-1)/int64(pageSize), 1))
	}
	if n == 1 || first.entries() < pageSize {
		return pages, nil
	}
	type result struct {
		page P
		err  error
		done chan struct{} // closed once page and err are set
	}
	var (
		mu      sync.Mutex
		stopped bool
		results []*result // pages 2, 3, …
		wg      sync.WaitGroup
	)
	// A sliding window rather than a semaphore: page i starts only once
	// page i-pageConcurrency has ended (and so, by induction, every page
	// before it). At most pageConcurrency pages are in flight, and a short
	// page k stops the listing by page k+pageConcurrency-1 however the
	// goroutines are scheduled; with a semaphore, pages after k kept
	// starting while k's own goroutine waited to run.
	for i := 2; i <= n; i++ {
		if j := i - pageConcurrency; j >= 2 {
			<-results[j-2].done
		}
		mu.Lock()
		if stopped {
			mu.Unlock()
			break
		}
		r := &result{done: make(chan struct{})}
		results = append(results, r)
		mu.Unlock()
		wg.Go(func() {
			defer close(r.done)
			r.page, r.err = fetch(i)
			if r.err == nil {
				r.err = overfull(r.page, pageSize)
			}
			if r.err != nil || r.page.entries() < pageSize {
				mu.Lock()
				stopped = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for i, r := range results {
		if r.err != nil {
			return nil, fmt.Errorf("page %d of %d: %w", i+2, n, r.err)
		}
		pages = append(pages, r.page)
		if r.page.entries() < pageSize {
			return pages, nil
		}
	}
	if t > int64(maxPages)*int64(pageSize) {
		return nil, fmt.Errorf("the answer claims %d entries, more than the %d pages of %d this client reads, and every page was full: "+
			"AliDNS does not hold that many; check that the endpoint is AliDNS", t, maxPages, pageSize)
	}
	return pages, nil
}

// overfull refuses a page holding more than pageSize entries: it would
// overlap the next one (pages are cut by number), so its entries cannot
// be trusted to be a listing.
func overfull(pg page, pageSize int) error {
	if pg.entries() > pageSize {
		return fmt.Errorf("the answer holds %d entries, more than the PageSize %d asked for, which AliDNS never sends: check that the endpoint is AliDNS", pg.entries(), pageSize)
	}
	return nil
}

// zoneNotHostedCodes are the answers to a zone-scoped call whose zone is
// not one of the account's.
var zoneNotHostedCodes = []string{"InvalidDomainName.NoExist", "IncorrectDomainUser", "InvalidDomainName.Format", "DomainNotExist"}

// explainZoneError turns "zone not hosted" answers into an error that
// names the zone and the account's zones closest to it: the usual cause
// is a sub-domain hosted as its own zone, or the parent being hosted when
// the ACME client asked for a child.
func (p *Provider) explainZoneError(ctx context.Context, c *api.Client, zone string, err error) error {
	if !api.HasCode(err, zoneNotHostedCodes...) {
		return err
	}
	zoneMissing(c, zone)
	hint := ""
	if zones, lerr := listZones(ctx, c); lerr == nil {
		hint = closestZones(zone, zones)
	}
	return fmt.Errorf("zone %q is not hosted in this AliDNS account%s: %w", zone, hint, err)
}

func closestZones(zone string, zones []hostedZone) string {
	// zone is in API form (Unicode for IDNs); compare in ASCII, which
	// DescribeDomains lists as PunyCode.
	zone = asciiName(zone)
	var related []string
	for _, z := range zones {
		a := z.ascii()
		switch {
		case strings.HasSuffix(zone, "."+a):
			related = append(related, z.display()+" (a parent, hosted)")
		case strings.HasSuffix(a, "."+zone):
			related = append(related, z.display()+" (a sub-domain hosted as its own zone)")
		}
	}
	if len(related) > 0 {
		sort.Strings(related)
		return "; closest hosted zones: " + strings.Join(related, ", ")
	}
	if len(zones) == 0 {
		return "; the account hosts no zones"
	}
	names := make([]string, 0, min(len(zones), 10))
	for _, z := range zones[:min(len(zones), 10)] {
		names = append(names, z.display())
	}
	more := ""
	if len(zones) > 10 {
		more = fmt.Sprintf(" and %d more", len(zones)-10)
	}
	return "; the account hosts: " + strings.Join(names, ", ") + more
}

var ttlRange = regexp.MustCompile(`range of (\d+) to (\d+)`)

// minTTLFromError reads the edition's minimum TTL from a QuotaExceeded.TTL
// message ("... must be in the range of 600 to 86400."); 600, the minimum
// of the Free and Personal editions, when the message does not say.
func minTTLFromError(err error) int64 {
	if m := ttlRange.FindStringSubmatch(err.Error()); m != nil {
		if n, perr := strconv.ParseInt(m[1], 10, 64); perr == nil && n > 0 {
			return n
		}
	}
	return defaultTTL
}
