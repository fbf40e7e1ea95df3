package alidns

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"sync"
	"text/tabwriter"

	"github.com/caddy-alidns/alidns/internal/api"
)

// zoneMinTTL is a zone's minimum TTL and where it was learnt.
type zoneMinTTL struct {
	ttl    int64
	source string // "DescribeDomainInfo", "edition" or ""
	note   string
}

func (m zoneMinTTL) String() string {
	switch {
	case m.source == "":
		return "unknown (600 s works on every edition)"
	case m.note != "":
		return fmt.Sprintf("%d s (from the %s; %s)", m.ttl, m.source, m.note)
	}
	return fmt.Sprintf("%d s (from %s)", m.ttl, m.source)
}

// infoConcurrency bounds the DescribeDomainInfo calls made at once.
const infoConcurrency = 4

// minTTLs learns each zone's minimum TTL from DescribeDomainInfo (MinTtl),
// or from its edition when that call is refused (it needs the RAM action
// alidns:DescribeDomainInfo, which the module itself does not use). The
// error, if any, is the first refusal.
func minTTLs(ctx context.Context, c *api.Client, zones []hostedZone) ([]zoneMinTTL, error) {
	out := make([]zoneMinTTL, len(zones))
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	sem := make(chan struct{}, infoConcurrency)
	for i, z := range zones {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			mu.Lock()
			refused := firstErr != nil
			mu.Unlock()
			if !refused {
				var info struct {
					MinTTL *int64 `json:"MinTtl"`
				}
				err := c.Do(ctx, "DescribeDomainInfo", url.Values{"DomainName": {unicodeName(z.ascii())}}, &info)
				if err == nil && info.MinTTL != nil && *info.MinTTL > 0 {
					out[i] = zoneMinTTL{ttl: *info.MinTTL, source: "DescribeDomainInfo"}
					return
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
			if m, note, ok := editionMinTTL(z.VersionCode); ok {
				out[i] = zoneMinTTL{ttl: m, source: "edition", note: note}
			}
		})
	}
	wg.Wait()
	return out, firstErr
}

// runZones lists the zones of the account with edition and minimum TTL.
// It returns errChecksFailed, after reporting why, when the zones cannot
// be listed.
func runZones(ctx context.Context, o commandOptions, w io.Writer) error {
	if o.Provider == nil {
		o.Provider = new(Provider)
	}
	r := &report{w: w}
	c := settingsStep(o, r)
	if c == nil {
		return errChecksFailed
	}
	zones, err := listZones(ctx, c)
	if err != nil {
		r.fail("zones", "cannot list the account's zones (DescribeDomains)")
		r.apiDetails(err, "caddy alidns zones and the libdns ZoneLister list zones with it")
		return errChecksFailed
	}
	if len(zones) == 0 {
		fmt.Fprintln(w, "The account hosts no zones: add the domain in the AliDNS console first.")
		return nil
	}
	mins, infoErr := minTTLs(ctx, c, zones)
	fmt.Fprintf(w, "\n%d zone(s):\n", len(zones))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ZONE\tEDITION\tMIN TTL\tRECORDS")
	for i, z := range zones {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", z.display(), z.edition(), mins[i], z.RecordCount)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing the zone list: %w", err)
	}
	if infoErr != nil {
		fmt.Fprintln(w)
		r.warn("min TTL", "DescribeDomainInfo failed, so minimum TTLs come from the editions")
		r.apiDetails(infoErr, "optional: only this listing uses it")
	}
	return nil
}
