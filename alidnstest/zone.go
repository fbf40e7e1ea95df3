package alidnstest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/idna"
)

// Edition is an Alidns instance edition (the API's VersionCode). It decides
// the minimum TTL of a zone's records.
type Edition string

// Known editions.
const (
	EditionFree               Edition = "mianfei"
	EditionPersonal           Edition = "version_personal"
	EditionEnterpriseBasic    Edition = "version_enterprise_basic"
	EditionEnterpriseAdvanced Edition = "version_enterprise_advanced"
)

// MaxTTL is the largest TTL any edition accepts.
const MaxTTL = 86400

// MinTTL returns the smallest TTL the edition accepts: 600 for Free and
// Personal, 60 for Enterprise Standard (historical value, unverified) and 1
// for Enterprise Ultimate. Unknown editions behave like Free.
func (e Edition) MinTTL() int64 {
	switch e {
	case EditionEnterpriseBasic:
		return 60
	case EditionEnterpriseAdvanced:
		return 1
	default:
		return 600
	}
}

// Name returns a human-readable edition name (the API's VersionName).
func (e Edition) Name() string {
	switch e {
	case EditionPersonal:
		return "Personal Edition"
	case EditionEnterpriseBasic:
		return "Enterprise Standard Edition"
	case EditionEnterpriseAdvanced:
		return "Enterprise Ultimate Edition"
	default:
		return "Free Edition"
	}
}

// ParseEdition accepts a VersionCode or a short alias (free, personal,
// enterprise_basic/standard, enterprise_advanced/ultimate).
func ParseEdition(s string) (Edition, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "free", string(EditionFree):
		return EditionFree, nil
	case "personal", string(EditionPersonal):
		return EditionPersonal, nil
	case "enterprise_basic", "standard", "basic", string(EditionEnterpriseBasic):
		return EditionEnterpriseBasic, nil
	case "enterprise_advanced", "ultimate", "advanced", string(EditionEnterpriseAdvanced):
		return EditionEnterpriseAdvanced, nil
	}
	return "", fmt.Errorf("unknown edition %q", s)
}

// Record is a DNS record of the simulated state, as returned by Records and
// accepted by PutRecord.
type Record struct {
	RecordID string    `json:"RecordId"`
	Zone     string    `json:"Zone"` // the zone's DomainName (Unicode form)
	RR       string    `json:"RR"`
	Type     string    `json:"Type"`
	Value    string    `json:"Value"`
	TTL      int64     `json:"TTL"`
	Priority int64     `json:"Priority"`
	Line     string    `json:"Line"`
	Status   string    `json:"Status"` // ENABLE or DISABLE
	Locked   bool      `json:"Locked"`
	Weight   int       `json:"Weight"`
	Remark   string    `json:"Remark"`
	Created  time.Time `json:"Created"`
	Updated  time.Time `json:"Updated"`
}

type zone struct {
	seq     int64
	name    string // Unicode DomainName
	ascii   string // PunyCode, lower case, the map key
	edition Edition
	foreign bool
	id      string
	created time.Time
}

type record struct {
	Record
	seq     int64
	zoneKey string
}

// state is the simulated account state. Guarded by Server.mu.
type state struct {
	zones     map[string]*zone
	records   map[string]*record
	nextID    int64
	seq       int64
	serial    uint32
	keys      map[string]*accessKey
	nonces    map[string]time.Time
	noncePurg time.Time
	imdsTok   map[string]time.Time
	// credential endpoints (credentials URI, ECS metadata, STS OIDC)
	credFetches  int
	credRequests []string // "METHOD host path"
	credBroken   bool
	lastWrite    map[string]time.Time // zone key -> real start time of the last write
	stsTTL       time.Duration
}

func (st *state) init() {
	st.zones = map[string]*zone{}
	st.records = map[string]*record{}
	st.nextID = 1800000000000000000
	st.serial = 1
	st.keys = map[string]*accessKey{}
	st.nonces = map[string]time.Time{}
	st.imdsTok = map[string]time.Time{}
	st.lastWrite = map[string]time.Time{}
}

// idn is a lenient IDNA profile: it maps like a lookup but accepts
// underscores and '*' labels used in record names.
var idn = idna.New(idna.MapForLookup(), idna.Transitional(false), idna.StrictDomainName(false))

// domainToASCII normalizes a zone name (Unicode or Punycode, optional
// trailing dot) to lower-case ASCII. Wildcard labels are rejected.
func domainToASCII(name string) (string, error) {
	a, err := nameToASCII(name)
	if err != nil {
		return "", err
	}
	if a == "*" || strings.HasPrefix(a, "*.") || strings.Contains(a, ".*.") {
		return "", fmt.Errorf("invalid domain name %q: wildcard label", name)
	}
	return a, nil
}

// nameToASCII normalizes an owner name (Unicode or Punycode, optional
// trailing dot, '*' and '_' labels allowed) to lower-case ASCII.
func nameToASCII(name string) (string, error) {
	n := strings.TrimSuffix(strings.TrimSpace(name), ".")
	if n == "" {
		return "", fmt.Errorf("empty domain name")
	}
	a, err := idn.ToASCII(n)
	if err != nil {
		return "", fmt.Errorf("convert %q to ASCII: %w", name, err)
	}
	a = strings.ToLower(a)
	if len(a) > 253 || strings.Contains(a, "..") || strings.HasPrefix(a, ".") {
		return "", fmt.Errorf("invalid domain name %q", name)
	}
	for _, l := range strings.Split(a, ".") {
		if len(l) == 0 || len(l) > 63 || strings.ContainsAny(l, " @/\\\"'") || (l != "*" && strings.Contains(l, "*")) {
			return "", fmt.Errorf("invalid domain name %q", name)
		}
	}
	return a, nil
}

// domainToUnicode returns the Unicode form of an ASCII domain name.
func domainToUnicode(ascii string) string {
	u, err := idn.ToUnicode(ascii)
	if err != nil {
		return ascii
	}
	return u
}

// AddZone adds a zone hosted in the simulated account with the given
// edition. name may be Unicode (IDN) or Punycode; responses carry the
// Unicode form as DomainName and the ASCII form as PunyCode. Adding an
// existing zone changes its edition. It panics on an invalid name.
func (s *Server) AddZone(name string, ed Edition) {
	s.addZone(name, ed, false)
}

// AddForeignZone adds a zone that exists but is hosted in another account:
// API calls naming it fail with IncorrectDomainUser, it is not listed by
// DescribeDomains and the DNS server does not serve it.
func (s *Server) AddForeignZone(name string) {
	s.addZone(name, EditionFree, true)
}

func (s *Server) addZone(name string, ed Edition, foreign bool) {
	ascii, err := domainToASCII(name)
	if err != nil {
		panic(fmt.Sprintf("alidnstest: AddZone: %v", err))
	}
	if ed == "" {
		ed = EditionFree
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if z, ok := s.st.zones[ascii]; ok {
		z.edition, z.foreign = ed, foreign
		return
	}
	s.st.seq++
	s.st.zones[ascii] = &zone{
		name:    domainToUnicode(ascii),
		ascii:   ascii,
		edition: ed,
		foreign: foreign,
		seq:     s.st.seq,
		id:      fmt.Sprintf("00000000-0000-4000-8000-%012d", s.st.seq),
		created: s.now(),
	}
}

// RemoveZone deletes a zone and all its records.
func (s *Server) RemoveZone(name string) {
	ascii, err := domainToASCII(name)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.st.zones, ascii)
	for id, r := range s.st.records {
		if r.zoneKey == ascii {
			delete(s.st.records, id)
		}
	}
	s.st.serial++
}

// Zones returns the Unicode names of the zones hosted in the simulated
// account (not foreign ones), sorted.
func (s *Server) Zones() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, z := range s.st.zones {
		if !z.foreign {
			out = append(out, z.name)
		}
	}
	sort.Strings(out)
	return out
}

// Records returns a snapshot of all records (enabled or not) of a zone, in
// creation order. zone may be Unicode or Punycode.
func (s *Server) Records(zone string) []Record {
	ascii, err := domainToASCII(zone)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	recs := s.st.zoneRecords(ascii)
	out := make([]Record, len(recs))
	for i, r := range recs {
		out[i] = r.Record
	}
	return out
}

// zoneRecords returns the records of a zone sorted oldest first.
func (st *state) zoneRecords(zoneKey string) []*record {
	var out []*record
	for _, r := range st.records {
		if r.zoneKey == zoneKey {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// PutRecord stores a record directly, bypassing the API and its
// validation (useful to seed locked, disabled, foreign or malformed
// records). Zero fields get defaults: TTL 600, Line "default", Status
// ENABLE, Weight 1, Created/Updated now. A new RecordID is assigned when
// r.RecordID is empty; otherwise a record with the same id is replaced. It
// panics if the zone was not added with AddZone or AddForeignZone.
func (s *Server) PutRecord(zone string, r Record) Record {
	ascii, err := domainToASCII(zone)
	if err != nil {
		panic(fmt.Sprintf("alidnstest: PutRecord: %v", err))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z, ok := s.st.zones[ascii]
	if !ok {
		panic(fmt.Sprintf("alidnstest: PutRecord: zone %q not added", zone))
	}
	now := s.now()
	r.Zone = z.name
	r.Type = strings.ToUpper(r.Type)
	if r.RR == "" {
		r.RR = "@"
	}
	if r.TTL == 0 {
		r.TTL = 600
	}
	if r.Line == "" {
		r.Line = "default"
	}
	r.Status = strings.ToUpper(r.Status)
	if r.Status == "" {
		r.Status = "ENABLE"
	}
	if r.Weight == 0 {
		r.Weight = 1
	}
	if r.Created.IsZero() {
		r.Created = now
	}
	if r.Updated.IsZero() {
		r.Updated = r.Created
	}
	if r.RecordID == "" {
		r.RecordID = s.st.newRecordID()
	}
	s.st.seq++
	s.st.records[r.RecordID] = &record{Record: r, seq: s.st.seq, zoneKey: ascii}
	s.st.serial++
	return r
}

// SetRecordLocked locks or unlocks a record; locked records cannot be
// updated, deleted or have their status changed through the API. It reports
// whether the record exists.
func (s *Server) SetRecordLocked(recordID string, locked bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.st.records[recordID]
	if ok {
		r.Locked = locked
	}
	return ok
}

func (st *state) newRecordID() string {
	st.nextID++
	return strconv.FormatInt(st.nextID, 10)
}

// lookupZone resolves a DomainName parameter to a hosted zone.
func (st *state) lookupZone(name string) (*zone, *apiError) {
	if strings.TrimSpace(name) == "" {
		return nil, errMissing("DomainName")
	}
	ascii, err := domainToASCII(name)
	if err != nil {
		return nil, errCode("InvalidDomainName.Format")
	}
	z, ok := st.zones[ascii]
	if !ok {
		return nil, errCode("InvalidDomainName.NoExist")
	}
	if z.foreign {
		return nil, errCode("IncorrectDomainUser")
	}
	if z.name != z.ascii && hasPunycodeLabel(name) {
		// AliDNS knows an IDN zone by its Unicode DomainName only: the
		// punycode form (its PunyCode in DescribeDomains) is answered as
		// an unknown domain (caddyserver/caddy issue 6905).
		return nil, errCode("InvalidDomainName.NoExist")
	}
	return z, nil
}

// hasPunycodeLabel reports whether a name has an ACE ("xn--") label.
func hasPunycodeLabel(name string) bool {
	for _, l := range strings.Split(strings.ToLower(strings.TrimSpace(name)), ".") {
		if strings.HasPrefix(l, "xn--") {
			return true
		}
	}
	return false
}

// lookupRecord resolves a RecordId parameter to a record of a hosted zone.
func (st *state) lookupRecord(id string) (*record, *zone, *apiError) {
	if strings.TrimSpace(id) == "" {
		return nil, nil, errMissing("RecordId")
	}
	r, ok := st.records[id]
	if !ok {
		return nil, nil, errCode("DomainRecordNotBelongToUser")
	}
	z, ok := st.zones[r.zoneKey]
	if !ok || z.foreign {
		return nil, nil, errCode("DomainRecordNotBelongToUser")
	}
	return r, z, nil
}
