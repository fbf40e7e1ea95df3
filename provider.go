package alidns

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/libdns/libdns"
	"go.uber.org/zap"

	"github.com/caddy-alidns/alidns/internal/api"
)

const (
	// defaultTTL is used for records given without a TTL: 600 s is the
	// minimum of the Free and Personal editions, so every edition accepts
	// it and no lookup of the zone's edition is needed.
	defaultTTL = 600
	// maxTTL is AliDNS's upper bound on every edition.
	maxTTL = 86400
	// defaultLine is AliDNS's default resolution line.
	defaultLine = "default"
	// envEndpoint overrides the API endpoint when the config sets none.
	envEndpoint = "ALIDNS_ENDPOINT"
)

// Provider manages records of zones hosted in Alibaba Cloud DNS (AliDNS)
// through its API. It implements the libdns interfaces RecordGetter,
// RecordAppender, RecordSetter, RecordDeleter and ZoneLister, and is the
// Caddy module dns.providers.alidns.
//
// The zero value works when credentials are in the environment; a
// Provider is safe for concurrent use and must not be copied after first
// use. Writes to one zone are serialised in-process (AliDNS refuses
// overlapping writes to a zone); reads are not.
type Provider struct {
	// AccessKeyID, AccessKeySecret and SecurityToken (STS only) are an
	// explicit AccessKey. When empty, credentials come from the
	// environment (ALICLOUD_ACCESS_KEY/ALICLOUD_SECRET_KEY, then
	// ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET), then
	// from Alibaba Cloud's default credential chain.
	AccessKeyID     string `json:"access_key_id,omitempty"`
	AccessKeySecret string `json:"access_key_secret,omitempty"`
	SecurityToken   string `json:"security_token,omitempty"`
	// Profile selects a profile of ~/.aliyun/config.json or
	// ~/.alibabacloud/credentials.
	Profile string `json:"profile,omitempty"`
	// RAMRole is the RAM role of the ECS instance this runs on; its
	// temporary credentials are fetched and renewed from the instance
	// metadata service.
	RAMRole string `json:"ram_role,omitempty"`
	// RegionID is accepted for compatibility with earlier AliDNS modules.
	// It does not change the endpoint: AliDNS is a central service and
	// some regional endpoints are unusable. Set Endpoint to use one.
	RegionID string `json:"region_id,omitempty"`
	// Endpoint is the API endpoint, e.g. https://alidns.aliyuncs.com (the
	// default, which serves China and international accounts alike) or
	// http://127.0.0.1:8081 for a simulator. Falls back to $ALIDNS_ENDPOINT.
	Endpoint string `json:"endpoint,omitempty"`
	// TTL is given to records created without one (default 600 s).
	TTL caddy.Duration `json:"ttl,omitempty"`
	// Line is the AliDNS resolution line of records this provider writes
	// (default "default").
	Line string `json:"line,omitempty"`
	// HTTPTimeout bounds each HTTP request (default 10 s).
	HTTPTimeout caddy.Duration `json:"http_timeout,omitempty"`

	// HTTPClient, when set, sends the API requests (custom transport,
	// proxy or CA pool).
	HTTPClient *http.Client `json:"-"`
	// Retry overrides the retry policy (zero value: DefaultRetry).
	Retry RetryPolicy `json:"-"`
	// Logger receives one debug line per API call and an info line per
	// record created, updated or deleted (nil: no logging). Inside Caddy
	// the module's logger is used when this is nil.
	Logger *zap.Logger `json:"-"`

	mu     sync.Mutex
	api    *api.Client
	creds  *credentialSource
	logger *zap.Logger

	// expanded holds the string settings with placeholders expanded, set
	// once by Provision; nil means the exported fields are used as they
	// are. Keeping the expansion here leaves the exported fields (and so
	// json.Marshal of the Provider) holding the placeholders, never the
	// secrets they stand for.
	expanded    settings
	provisioned bool

	// metrics are Caddy's Prometheus metrics of the API calls, set by
	// Provision (metrics.go); nil outside Caddy.
	metrics atomic.Pointer[apiMetrics]
}

// RetryPolicy bounds how an API call is retried: MaxAttempts requests at
// most, backoff from BaseDelay doubling up to MaxDelay, at most MaxWait
// asleep between attempts, and at most MaxBusy waiting for a zone that
// AliDNS reports busy (LastOperationNotFinished). Zero fields take the
// defaults: 8 attempts, 200 ms doubling up to 2 s, 6 s MaxWait, 60 s
// MaxBusy.
type RetryPolicy = api.RetryPolicy

// client returns the API client, building it on first use so the
// provider needs no separate provisioning step outside Caddy.
func (p *Provider) client() (*api.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.api != nil {
		return p.api, nil
	}
	return p.setupLocked(os.LookupEnv)
}

func (p *Provider) setupLocked(lookupEnv func(string) (string, bool)) (*api.Client, error) {
	cfg := p.current()
	creds, err := resolveCredentials(cfg.credentialOptions(), lookupEnv)
	if err != nil {
		return nil, err
	}
	endpoint, from := endpointOf(cfg["endpoint"], lookupEnv)
	u, err := api.ParseEndpoint(endpoint)
	if err != nil {
		if from == envEndpoint {
			return nil, fmt.Errorf("environment variable %s: %w", envEndpoint, err)
		}
		return nil, err
	}
	if err := p.checkDurations(); err != nil {
		return nil, err
	}
	hc := p.HTTPClient
	if hc == nil {
		hc = api.NewHTTPClient(0, time.Duration(p.HTTPTimeout))
	}
	p.creds = creds
	p.api = &api.Client{
		Endpoint:    u.String(),
		HTTPClient:  hc,
		Credentials: creds,
		Retry:       p.Retry,
		Observe:     p.observe,
	}
	return p.api, nil
}

// endpointOf returns the endpoint to use and where it came from: the
// config ("endpoint"), the environment (ALIDNS_ENDPOINT) or the default.
func endpointOf(configured string, lookupEnv func(string) (string, bool)) (endpoint, from string) {
	if e := strings.TrimSpace(configured); e != "" {
		return e, "endpoint"
	}
	if e, _ := lookupEnv(envEndpoint); strings.TrimSpace(e) != "" {
		return strings.TrimSpace(e), envEndpoint
	}
	return api.DefaultEndpoint, "default"
}

func (p *Provider) log() *zap.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	if p.logger == nil {
		return zap.NewNop()
	}
	return p.logger
}

// observe logs every API call at debug level: the action, the zone, name,
// type and record id it concerned, its duration, request id and retries.
// AliDNS business parameters hold no secret (credentials travel in
// headers only) and record values are not logged.
func (p *Provider) observe(c api.Call) {
	p.metrics.Load().observe(c)
	l := p.log()
	if ce := l.Check(zap.DebugLevel, "api call"); ce != nil {
		fields := []zap.Field{zap.String("action", c.Action)}
		for _, f := range observedParams {
			if v := c.Params.Get(f.param); v != "" {
				fields = append(fields, zap.String(f.field, v))
			}
		}
		for i := 0; i+1 < len(c.Labels); i += 2 {
			fields = append(fields, zap.String(c.Labels[i], c.Labels[i+1]))
		}
		fields = append(fields,
			zap.Duration("duration", c.Duration),
			zap.String("request_id", c.RequestID),
			zap.Int("attempts", c.Attempts),
			zap.Int("retries", max(c.Attempts-1, 0)),
		)
		if c.Throttled > 0 {
			fields = append(fields, zap.Int("throttled", c.Throttled))
		}
		if c.Err != nil {
			fields = append(fields, zap.Error(c.Err))
		}
		ce.Write(fields...)
	}
}

// observedParams are the request parameters logged with each call, under
// the log field names shared with the record created/deleted lines.
var observedParams = []struct{ param, field string }{
	{"DomainName", "zone"},
	{"RR", "name"},
	{"Type", "type"},
	{"RecordId", "record_id"},
	{"SubDomain", "subdomain"},
	{"PageNumber", "page"},
}

// line is the resolution line records are written on. It is read in
// per-record loops, so it does not rebuild the settings (current).
func (p *Provider) line() string {
	l := p.Line
	if p.expanded != nil {
		l = p.expanded["line"]
	}
	if l == "" {
		return defaultLine
	}
	return l
}

func (p *Provider) defaultTTL() int64 {
	if p.TTL > 0 {
		return int64(time.Duration(p.TTL) / time.Second)
	}
	return defaultTTL
}

const (
	recordsPageSize    = 500 // DescribeDomainRecords maximum
	subDomainsPageSize = 100 // DescribeSubDomainRecords maximum
)

// GetRecords returns every enabled record of the zone, on all resolution
// lines, as libdns typed structs (libdns.RR, as listed, for types libdns
// does not model, such as REDIRECT_URL, and for records whose typed form
// would read as another record), with names relative to the zone. Disabled
// records do not resolve and are left out.
func (p *Provider) GetRecords(ctx context.Context, zone string) ([]libdns.Record, error) {
	c, z, err := p.prepare(zone)
	if err != nil {
		return nil, err
	}
	fetch := func(page int) (recordsPage, error) {
		var out recordsPage
		err := c.Do(ctx, "DescribeDomainRecords", url.Values{
			"DomainName": {z},
			"PageNumber": {strconv.Itoa(page)},
			"PageSize":   {strconv.Itoa(recordsPageSize)},
		}, &out)
		return out, err
	}
	pages, err := fetchPages(recordsPageSize, fetch, func(p recordsPage) int64 { return p.TotalCount })
	if err != nil {
		return nil, p.explainZoneError(ctx, c, z, fmt.Errorf("getting records of zone %s: %w", z, err))
	}
	var out []libdns.Record
	seen := make(map[string]bool)
	for _, pg := range pages {
		for _, r := range pg.DomainRecords.Record {
			// Records added while paging shift later pages; a record seen
			// twice is listed once.
			if !enabled(r) || seen[r.RecordID] {
				continue
			}
			seen[r.RecordID] = true
			out = append(out, fromAPI(r))
		}
	}
	return out, nil
}

func enabled(r apiRecord) bool { return r.Status == "" || strings.EqualFold(r.Status, "ENABLE") }

// prepare returns the client and the zone in API form.
func (p *Provider) prepare(zone string) (*api.Client, string, error) {
	c, err := p.client()
	if err != nil {
		return nil, "", err
	}
	z, err := apiZone(zone)
	if err != nil {
		return nil, "", err
	}
	return c, z, nil
}

// recordsAt lists the records named rr in zone (all types and lines) with
// DescribeSubDomainRecords, which matches the name exactly.
func (p *Provider) recordsAt(ctx context.Context, c *api.Client, zone, rr string) ([]apiRecord, error) {
	fetch := func(page int) (recordsPage, error) {
		var out recordsPage
		err := c.Do(ctx, "DescribeSubDomainRecords", url.Values{
			"SubDomain":  {subDomain(rr, zone)},
			"DomainName": {zone},
			"PageNumber": {strconv.Itoa(page)},
			"PageSize":   {strconv.Itoa(subDomainsPageSize)},
		}, &out)
		return out, err
	}
	pages, err := fetchPages(subDomainsPageSize, fetch, func(p recordsPage) int64 { return p.TotalCount })
	if err != nil {
		return nil, p.explainZoneError(ctx, c, zone, fmt.Errorf("looking up records at %s: %w", subDomain(rr, zone), err))
	}
	var out []apiRecord
	for _, pg := range pages {
		for _, r := range pg.DomainRecords.Record {
			if strings.EqualFold(r.RR, rr) {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// prepareWrite is the common start of AppendRecords and SetRecords: the
// client, the zone in API form, its shared state (to be released with
// releaseZone), and the input records converted for the API.
func (p *Provider) prepareWrite(zone string, recs []libdns.Record) (*api.Client, string, *zoneState, []apiValue, error) {
	c, z, err := p.prepare(zone)
	if err != nil {
		return nil, "", nil, nil, err
	}
	zs := p.zone(c, z)
	in, err := p.prepareRecords(z, zs, recs)
	if err != nil {
		releaseZone(zs)
		return nil, "", nil, nil, err
	}
	return c, z, zs, in, nil
}

// prepareRecords converts input records for the API, with names relative
// to the zone and the TTL policy applied.
func (p *Provider) prepareRecords(z string, zs *zoneState, recs []libdns.Record) ([]apiValue, error) {
	out := make([]apiValue, 0, len(recs))
	for _, rec := range recs {
		rr := rec.RR()
		name, err := relativeName(rr.Name, z)
		if err != nil {
			return nil, err
		}
		rr.Name = name
		v, err := toAPI(rr)
		if err != nil {
			return nil, err
		}
		if v.TTL, err = p.ttlFor(zs, v.TTL); err != nil {
			return nil, fmt.Errorf("record %s %s: %w", name, v.Type, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// ttlFor applies the TTL policy: 0 means the default (600 s, valid on
// every edition); above 86400 s is refused before any call; below the
// minimum this zone's edition is known to accept, the minimum is used.
func (p *Provider) ttlFor(zs *zoneState, ttl int64) (int64, error) {
	switch {
	case ttl < 0:
		return 0, fmt.Errorf("negative TTL %d", ttl)
	case ttl == 0:
		ttl = p.defaultTTL()
	case ttl > maxTTL:
		return 0, fmt.Errorf("TTL %d s is above AliDNS's maximum of %d s", ttl, maxTTL)
	}
	if m := zs.learnedMinTTL(); m > 0 && ttl < m {
		ttl = m
	}
	return ttl, nil
}

func (p *Provider) writeParams(zone string, v apiValue) url.Values {
	params := url.Values{
		"RR":    {v.RR},
		"Type":  {v.Type},
		"Value": {v.Value},
		"TTL":   {strconv.FormatInt(v.TTL, 10)},
		"Line":  {p.line()},
	}
	if zone != "" {
		params.Set("DomainName", zone)
	}
	if v.Priority > 0 || v.Type == "MX" || v.Type == "HTTPS" || v.Type == "SVCB" {
		params.Set("Priority", strconv.FormatInt(v.Priority, 10))
	}
	return params
}

// errNoChange is write's answer when, once the zone's minimum TTL was
// learned, the update asked for turned out to change nothing.
var errNoChange = errors.New("the record already holds this value and TTL")

// write sends one write (AddDomainRecord or UpdateDomainRecord), paced on
// the zone, retrying once with the zone's minimum TTL if the edition
// refuses the TTL asked for. It returns the TTL actually sent. For an
// update, old is the record updated: when the minimum TTL makes the update
// a no-op (the record already holds the value at that TTL), nothing more is
// sent and errNoChange is returned, since AliDNS refuses a no-op update
// (DomainRecordDuplicate). Called with the zone's lock held.
func (p *Provider) write(ctx context.Context, c *api.Client, zs *zoneState, action, zone string, v apiValue, old *apiRecord, extra url.Values, out any) (int64, error) {
	params := p.writeParams(zone, v)
	for k, vs := range extra {
		params[k] = vs
	}
	err := c.DoPaced(ctx, &zs.pace, action, params, out)
	if api.HasCode(err, "QuotaExceeded.TTL") {
		m := minTTLFromError(err)
		if v.TTL < m {
			zs.learnMinTTL(m)
			v.TTL = m
			if old != nil && sameRecord(*old, v) && old.Line == p.line() {
				return v.TTL, errNoChange
			}
			params.Set("TTL", strconv.FormatInt(m, 10))
			err = c.DoPaced(ctx, &zs.pace, action, params, out)
		}
	}
	return v.TTL, err
}

// settleTimeout bounds the lookup (and clean-up) that settles an add whose
// outcome is unknown after the caller's context has ended.
const settleTimeout = 15 * time.Second

// add creates one record and returns it as stored. Called with the zone's
// lock held.
//
// listed, when not nil (empty: no records), holds every record at the name as listed under
// the zone's lock before this add (SetRecords' lookup): a record with an
// id not among them was created after that listing.
func (p *Provider) add(ctx context.Context, c *api.Client, z string, zs *zoneState, v apiValue, listed []apiRecord) (apiRecord, error) {
	var out struct {
		RecordID string `json:"RecordId"`
	}
	// The moment the first attempt leaves: a record created before it
	// cannot be this add's (settleAdd).
	sent := time.Now()
	ttl, err := p.write(ctx, c, zs, "AddDomainRecord", z, v, nil, nil, &out)
	v.TTL = ttl
	what := fmt.Sprintf("adding %s record %q to zone %s", v.Type, v.RR, z)
	switch {
	case err == nil:
		r := apiRecord{RecordID: out.RecordID, RR: v.RR, Type: v.Type, Value: v.Value, TTL: v.TTL, Priority: v.Priority, Line: p.line(), Status: "ENABLE"}
		zs.remember(r)
		p.log().Info("record created", zap.String("zone", z), zap.String("name", v.RR), zap.String("type", v.Type), zap.String("record_id", r.RecordID), zap.Int64("ttl", v.TTL))
		return r, nil
	case api.MayHaveApplied(err):
		return p.settleAdd(ctx, c, z, zs, v, settling{sent: sent, listed: listed, what: what, err: err})
	case api.HasCode(err, "DomainRecordDuplicate"):
		// The first answer refused it: the record existed before.
		return apiRecord{}, fmt.Errorf("%s: a record with the same name, type, value and line already exists: %w", what, err)
	}
	return apiRecord{}, p.explainZoneError(ctx, c, z, fmt.Errorf("%s: %w", what, err))
}

// settleAdd decides an add that an attempt may have applied (its answer
// was lost, was a server error, or the caller gave up while it was on its
// way, possibly followed by DomainRecordDuplicate from a retry): it looks
// the record up. AppendRecords never touches a record that existed before
// it, so a record found is taken as this add's (returned as created, or
// deleted when the caller has given up, since certmagic never deletes a
// record whose append failed) only when that is proved:
//   - a record this process already knew (wrote, kept or listed as
//     written) before the add is not this add's;
//   - when the records at the name were listed under the zone's lock just
//     before the add (SetRecords), a record absent from that listing is
//     this add's, one present in it is not;
//   - otherwise its CreateTimestamp (AliDNS's clock) is compared with the
//     moment the first attempt left (sent, on our clock), using the bounds
//     on AliDNS's clock that its answers' Date headers give
//     (api.Client.ServerTime): created before sent, it existed already;
//     created after, it is this add's (or one made by another program in
//     the same instant, which for an identical record means the record
//     the caller wants is there).
//
// When neither is proved (the Date header has whole seconds, so a record
// created within a second or so of sent is usually undecided) the record
// is left alone and the error says it may exist. An error after which
// the lookup proved nothing was created does not match ErrOutcomeUnknown.
func (p *Provider) settleAdd(ctx context.Context, c *api.Client, z string, zs *zoneState, v apiValue, st settling) (apiRecord, error) {
	what, err := st.what, st.err
	gaveUp := ctx.Err() != nil
	// When the caller has gone, the lookup and clean-up get their own time.
	ctx, cancel := settleContext(ctx)
	defer cancel()
	r, found, lerr := p.findValue(ctx, c, z, v)
	if lerr != nil {
		return apiRecord{}, fmt.Errorf("%s: %w; the record may exist (checking failed: %w): DeleteRecords with the same name, type and value removes it", what, err, lerr)
	}
	notCreated := func(why string) error {
		return fmt.Errorf("%s: %w; %s", what, api.Settled(err), why)
	}
	if !found {
		return apiRecord{}, notCreated("the record was not created")
	}
	if _, known := zs.ids[r.RecordID]; known {
		return apiRecord{}, notCreated(fmt.Sprintf("an identical record already existed (id %s)", r.RecordID))
	}
	if !enabled(r) {
		// This add would have created an enabled record.
		return apiRecord{}, notCreated(fmt.Sprintf("a disabled record with this value already existed (id %s): enable or delete it", r.RecordID))
	}
	if !sameRecord(r, v) {
		// Not what this add would have created, and AliDNS keeps one
		// record per value: nothing was created.
		return apiRecord{}, notCreated(fmt.Sprintf("a record with this value exists (id %s) with priority %d and TTL %d s, not the %d and %d s asked for; it was left alone", r.RecordID, r.Priority, r.TTL, v.Priority, v.TTL))
	}
	switch st.creation(c, r) {
	case createdBefore:
		return apiRecord{}, notCreated(fmt.Sprintf("a record with this value already existed (id %s, created %s)", r.RecordID, time.UnixMilli(r.CreateTimestamp).UTC().Format(time.RFC3339)))
	case createdUnknown:
		return apiRecord{}, fmt.Errorf("%s: %w; the record may exist: one with this value exists (id %s), created too close to this call to tell whether this call created it, so it was left alone; DeleteRecords with the same name, type and value removes it", what, err, r.RecordID)
	}
	if gaveUp {
		if _, derr := p.deleteByID(ctx, c, zs, r); derr != nil {
			return apiRecord{}, fmt.Errorf("%s: %w; the record was created (id %s) and removing it failed: %w", what, err, r.RecordID, derr)
		}
		return apiRecord{}, notCreated(fmt.Sprintf("the record it created (id %s) was removed again", r.RecordID))
	}
	zs.remember(r)
	p.log().Info("record created (confirmed after a lost answer)", zap.String("zone", z), zap.String("name", v.RR), zap.String("type", v.Type), zap.String("record_id", r.RecordID), zap.Int64("ttl", r.TTL))
	return r, nil
}

// settling is what settleAdd knows of the add it settles.
type settling struct {
	sent   time.Time   // when the add's first attempt left
	listed []apiRecord // the records at the name before the add; nil: not known
	what   string      // the add, for messages
	err    error       // the add's error
}

// creation decides whether r was created by the add: by the listing made
// before it when there is one (a record absent from it is newer), else by
// r's creation time.
func (st settling) creation(c *api.Client, r apiRecord) creation {
	if st.listed == nil {
		return createdBy(c, r, st.sent)
	}
	for _, l := range st.listed {
		if l.RecordID == r.RecordID {
			return createdBefore
		}
	}
	return createdAfter
}

// creation is what a record's CreateTimestamp proves about an add.
type creation int

const (
	createdUnknown creation = iota
	createdBefore           // the record existed before the add was sent
	createdAfter            // the record was created after the add was sent
)

// createdBy compares r's CreateTimestamp (AliDNS's clock) with sent (ours).
// A timestamp that is a whole second may have been truncated, so the
// record may have been created up to a second later than it says.
func createdBy(c *api.Client, r apiRecord, sent time.Time) creation {
	lo, hi, ok := c.ServerTime(sent)
	if !ok || r.CreateTimestamp <= 0 {
		return createdUnknown
	}
	created := time.UnixMilli(r.CreateTimestamp)
	res := time.Millisecond
	if r.CreateTimestamp%1000 == 0 {
		res = time.Second
	}
	switch {
	case !created.Add(res).After(lo):
		return createdBefore
	case !created.Before(hi):
		return createdAfter
	}
	return createdUnknown
}

// findValue looks up the enabled record on the provider's line that holds
// v's value (AliDNS's duplicate key: its priority and TTL may differ).
func (p *Provider) findValue(ctx context.Context, c *api.Client, z string, v apiValue) (apiRecord, bool, error) {
	recs, err := p.recordsAt(ctx, c, z, v.RR)
	if err != nil {
		return apiRecord{}, false, err
	}
	for _, r := range recs {
		if r.Line == p.line() && sameValue(r, v) {
			return r, true, nil
		}
	}
	return apiRecord{}, false, nil
}

// lockZone takes the zone's write lock for one record operation.
func lockZone(ctx context.Context, zs *zoneState) error {
	if err := zs.lock.lock(ctx); err != nil {
		return fmt.Errorf("waiting for earlier writes to zone %s: %w", zs.name, err)
	}
	return nil
}

// AppendRecords creates the given records, never touching others: one
// AddDomainRecord call per record. The returned records are as the zone
// holds them (stored form: lower-case names, the TTL raised to the zone's
// minimum, see canonical.go) and carry, in ProviderData, a RecordInfo with
// the AliDNS record id so that deleting them later takes a single call.
// Records of the same name and type but different values (an apex and a
// wildcard certificate's ACME challenges) coexist; an exact duplicate of
// an existing record is refused by AliDNS (DomainRecordDuplicate), and so
// is input that holds one value twice, before any call.
//
// An add whose answer is lost is retried (AliDNS refuses a second record
// with the same value, so a retry cannot create two) and then settled by a
// lookup. A record that existed before the call is never changed, deleted
// or returned as created: a record found is taken as this call's only when
// its creation time proves it (settleAdd); otherwise the error says that
// the record may exist (errors.Is(err, ErrOutcomeUnknown)), and
// DeleteRecords with the same name, type and value removes it. When the
// caller gives up (its context ends) during an add, a record proved to be
// this call's is removed again.
func (p *Provider) AppendRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	c, z, zs, in, err := p.prepareWrite(zone, recs)
	if err != nil {
		return nil, err
	}
	defer releaseZone(zs)
	seen := make(map[valueKey]bool, len(in))
	for _, v := range in {
		if seen[v.key()] {
			return nil, fmt.Errorf("appending to zone %s: %s record %q with value %q is given twice; AliDNS keeps one record per value", z, v.Type, v.RR, v.Value)
		}
		seen[v.key()] = true
	}
	if err := lockZone(ctx, zs); err != nil {
		return nil, err
	}
	defer zs.lock.unlock()
	out := make([]libdns.Record, 0, len(in))
	for _, v := range in {
		created, err := p.add(ctx, c, z, zs, v, nil)
		if err != nil {
			return out, err
		}
		out = append(out, fromAPI(created))
	}
	return out, nil
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
	defer releaseZone(zs)
	order, groups, err := groupRRsets(in)
	if err != nil {
		return nil, atomicErr(fmt.Errorf("setting records in zone %s: %w", z, err))
	}
	if err := lockZone(ctx, zs); err != nil {
		return nil, atomicErr(err)
	}
	defer zs.lock.unlock()

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
	applied := 0 // changes that changed the zone
	for _, ch := range plan {
		rec, err := p.apply(ctx, c, z, zs, ch)
		if err != nil {
			err = fmt.Errorf("setting records in zone %s: %s: %w", z, describe(ch), err)
			if applied == 0 && !api.MayHaveApplied(err) {
				return nil, atomicErr(err)
			}
			this := "this one was not"
			if api.MayHaveApplied(err) {
				this = "this one may have been"
			}
			return nil, fmt.Errorf("%w (%d of %d changes were applied before this failure and %s: read the zone to see its state)", err, applied, len(plan), this)
		}
		// An update the zone's minimum TTL made a no-op changed nothing.
		if ch.action != "UpdateDomainRecord" || !sameRecord(rec, ch.old.stored()) {
			applied++
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

// DeleteRecords deletes the records that match the input, in the given
// zone only, and returns exactly those it deleted, as the zone held them.
// Records are matched on name (required), type, TTL and value, with an
// empty type, zero TTL or empty value matching any; only enabled records
// on the provider's line are matched. Values and TTLs compare in the form
// AliDNS stores (canonical.go): an MX preference 0 matches the stored 1,
// HTTPS params in any order, host names in any case, and a TTL below the
// zone's minimum matches the minimum: learned from a write, or asked of
// AliDNS (DescribeDomainInfo) when a record differs from the input only by
// a TTL that may have been raised; if that cannot be asked, the error names
// the stored TTL rather than missing the record silently.
// Records that do not exist are ignored.
//
// A record returned by this provider carries its AliDNS record id in
// ProviderData. The id is used directly (one call, no lookup) only while
// this process knows it still holds that record: it created, updated or
// kept it through a Provider of the same endpoint and zone, and has not
// changed it since. Otherwise the record is looked up by name and value,
// so a record from another zone or one read before an update is never
// deleted by a stale id. The one case left: an id this process issued
// whose record was changed outside this process (console, another
// program) is deleted by id, with its new data.
func (p *Provider) DeleteRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	c, z, err := p.prepare(zone)
	if err != nil {
		return nil, err
	}
	zs := p.zone(c, z)
	defer releaseZone(zs)
	if err := lockZone(ctx, zs); err != nil {
		return nil, err
	}
	defer zs.lock.unlock()
	d := deletion{p: p, c: c, z: z, zs: zs, done: make(map[string]bool), byName: make(map[string][]apiRecord)}
	for _, rec := range recs {
		if err := d.one(ctx, rec); err != nil {
			return d.deleted, err
		}
	}
	return d.deleted, nil
}

// deletion is one DeleteRecords call's progress.
type deletion struct {
	p       *Provider
	c       *api.Client
	z       string
	zs      *zoneState
	deleted []libdns.Record
	done    map[string]bool        // record ids deleted (or found gone)
	byName  map[string][]apiRecord // lookups made, by lower-case name
}

func (d *deletion) one(ctx context.Context, rec libdns.Record) error {
	want := rec.RR()
	if strings.TrimSpace(want.Name) == "" {
		return fmt.Errorf("deleting from zone %s: a record without a name cannot be matched (use \"@\" for the apex)", d.z)
	}
	name, err := relativeName(want.Name, d.z)
	if err != nil {
		return err
	}
	if r, ok := d.p.knownRecord(d.zs, rec, name); ok {
		if d.done[r.RecordID] {
			return nil
		}
		return d.remove(ctx, r)
	}
	key := storedName(name)
	existing, ok := d.byName[key]
	if !ok {
		if existing, err = d.p.recordsAt(ctx, d.c, d.z, name); err != nil {
			return err
		}
		d.byName[key] = existing
	}
	for _, r := range existing {
		if d.done[r.RecordID] {
			continue
		}
		match, err := d.p.matches(ctx, d.c, d.zs, r, want, name)
		if err != nil {
			return fmt.Errorf("deleting from zone %s: %w", d.z, err)
		}
		if match {
			if err := d.remove(ctx, r); err != nil {
				return err
			}
		}
	}
	return nil
}

// remove deletes r by id and, if this call deleted it, adds it to the
// result as the zone held it.
func (d *deletion) remove(ctx context.Context, r apiRecord) error {
	gone, err := d.p.deleteByID(ctx, d.c, d.zs, r)
	if err != nil {
		return fmt.Errorf("deleting %s record %q (%s) from zone %s: %w", r.Type, r.RR, r.RecordID, d.z, err)
	}
	d.done[r.RecordID] = true
	if gone {
		d.deleted = append(d.deleted, fromAPI(r))
	}
	return nil
}

// knownRecord returns the record whose id is in rec's ProviderData when
// this process knows the id still holds exactly rec (see DeleteRecords).
// Called with the zone's lock held.
func (p *Provider) knownRecord(zs *zoneState, rec libdns.Record, name string) (apiRecord, bool) {
	info, ok := infoOf(rec)
	if !ok || info.RecordID == "" || (info.Line != "" && info.Line != p.line()) {
		return apiRecord{}, false
	}
	rr := rec.RR()
	if rr.Data == "" || rr.Type == "" {
		return apiRecord{}, false
	}
	rr.Name = name
	v, err := dataToAPI(rr)
	if err != nil {
		return apiRecord{}, false
	}
	r, ok := zs.ids[info.RecordID]
	if !ok || !sameValue(r, v) || !samePriority(v.Type, r.Priority, v.Priority) {
		return apiRecord{}, false
	}
	if match, _ := p.ttlMatches(zs, v.TTL, r.TTL); !match {
		return apiRecord{}, false
	}
	return r, true
}

// ttlMatches compares a TTL given to DeleteRecords (0: any) with a stored
// one in stored form: below the zone's minimum, a TTL is stored as the
// minimum. undecided is set when the TTLs differ in a way the zone's
// minimum, not yet learned by this process, may explain.
func (p *Provider) ttlMatches(zs *zoneState, want, stored int64) (match, undecided bool) {
	if want == 0 || want == stored {
		return true, false
	}
	if m := zs.learnedMinTTL(); m > 0 {
		return max(want, m) == stored, false
	}
	// Undecided only where a minimum may explain it: a TTL raised to the
	// minimum equals one of the editions' minimums (600 or 60 s).
	return false, want < stored && (stored == defaultTTL || stored == 60)
}

// ListZones lists every zone hosted in the account, as fully-qualified
// ASCII names with a trailing dot (punycode for internationalised zones).
func (p *Provider) ListZones(ctx context.Context) ([]libdns.Zone, error) {
	c, err := p.client()
	if err != nil {
		return nil, err
	}
	zones, err := listZones(ctx, c)
	if err != nil {
		return nil, err
	}
	out := make([]libdns.Zone, 0, len(zones))
	for _, z := range zones {
		out = append(out, libdns.Zone{Name: z.ascii() + "."})
	}
	return out, nil
}

// matches applies DeleteRecords' matching rules to an existing record,
// comparing in stored form.
func (p *Provider) matches(ctx context.Context, c *api.Client, zs *zoneState, r apiRecord, want libdns.RR, name string) (bool, error) {
	if !enabled(r) || r.Line != p.line() {
		return false, nil
	}
	if want.Type != "" && !strings.EqualFold(want.Type, r.Type) {
		return false, nil
	}
	if want.Data != "" {
		rr := want
		rr.Name, rr.Type = name, r.Type
		v, err := dataToAPI(rr)
		if err != nil || !sameValue(r, v) || !samePriority(v.Type, r.Priority, v.Priority) {
			return false, nil
		}
	}
	match, undecided := p.ttlMatches(zs, int64(want.TTL/time.Second), r.TTL)
	if undecided {
		// Only here does the zone's minimum matter without a write having
		// taught it: ask AliDNS for it (one call, rare).
		if _, err := p.askMinTTL(ctx, c, zs); err != nil {
			return false, fmt.Errorf("%s record %q (%s) holds TTL %d s, not the %d s given, and AliDNS raises a TTL below the zone's minimum, which could not be learned (%w): give TTL 0 (any) or %d s to delete it", r.Type, r.RR, r.RecordID, r.TTL, int64(want.TTL/time.Second), err, r.TTL)
		}
		match, _ = p.ttlMatches(zs, int64(want.TTL/time.Second), r.TTL)
	}
	return match, nil
}

// askMinTTL learns the zone's minimum TTL from DescribeDomainInfo (its
// MinTtl) and remembers it as a QuotaExceeded.TTL answer would.
func (p *Provider) askMinTTL(ctx context.Context, c *api.Client, zs *zoneState) (int64, error) {
	var info struct {
		MinTTL int64 `json:"MinTtl"`
	}
	if err := c.Do(ctx, "DescribeDomainInfo", url.Values{"DomainName": {zs.name}}, &info); err != nil {
		return 0, fmt.Errorf("asking for the zone's minimum TTL: %w", err)
	}
	if info.MinTTL <= 0 {
		return 0, fmt.Errorf("asking for the zone's minimum TTL: DescribeDomainInfo gave no MinTtl")
	}
	zs.learnMinTTL(info.MinTTL)
	return info.MinTTL, nil
}

// deleteByID deletes record r and reports whether this call deleted it:
// false (and no error) when it was already gone before, true when an
// earlier attempt of this call may have been what removed it. A delete
// whose answers left its outcome unknown is looked up by id (on its own
// bounded context if the caller has gone), so that it is reported as done
// or not done, never assumed. Called with the zone's lock held.
func (p *Provider) deleteByID(ctx context.Context, c *api.Client, zs *zoneState, r apiRecord) (bool, error) {
	// The call names only the id; its debug line also says what it
	// deletes, like the other calls' lines.
	labels := []string{"zone", zs.name, "name", r.RR, "type", r.Type}
	err := c.DoPaced(api.WithLogLabels(ctx, labels...), &zs.pace, "DeleteDomainRecord", url.Values{"RecordId": {r.RecordID}}, nil)
	if api.HasCode(err, "DomainRecordNotBelongToUser") {
		zs.forget(r.RecordID)
		return api.MayHaveApplied(err), nil
	}
	if api.MayHaveApplied(err) {
		lctx, cancel := settleContext(ctx)
		defer cancel()
		_, found, lerr := p.recordByID(lctx, c, zs.name, r.RR, r.RecordID)
		switch {
		case lerr != nil:
			return false, fmt.Errorf("%w; looking the record up failed: %w", err, lerr)
		case found:
			return false, fmt.Errorf("%w; the record was looked up and is still there: it was not deleted", api.Settled(err))
		}
		err = nil // gone: one of this call's attempts deleted it
	}
	if err != nil {
		return false, err
	}
	zs.forget(r.RecordID)
	p.log().Info("record deleted", zap.String("zone", zs.name), zap.String("name", r.RR), zap.String("type", r.Type), zap.String("record_id", r.RecordID))
	return true, nil
}

// settleContext is ctx, or, when the caller has gone, a context of its own
// bounded by settleTimeout, for the lookups (and clean-up) that decide a
// write whose outcome is unknown.
func settleContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx.Err() == nil {
		return ctx, func() {}
	}
	return context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
}
