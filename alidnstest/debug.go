package alidnstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// The /_sim/ endpoints are unauthenticated helpers for test harnesses that
// run the simulator in another process. They are not part of the Alidns API:
//
//	GET    /_sim/state                 Snapshot (zones and records) as JSON
//	GET    /_sim/zones                 []ZoneInfo
//	GET    /_sim/records?zone=NAME     []Record of one zone (creation order)
//	GET    /_sim/calls[?action=NAME]   {"Total":n,"ByAction":{...},"Calls":[...]}
//	DELETE /_sim/calls                 clear the call log
//	GET    /_sim/faults                current Faults
//	POST   /_sim/faults                replace Faults (JSON; durations as "250ms")
//	POST   /_sim/fail-next             FailSpec: {"Action","Code","Status","Mode":"before|after-apply|drop-after-apply","Kind","Delay"}
//	POST   /_sim/zones                 add a zone: ZoneInfo JSON ({"Name","Edition","Foreign"})
//	POST   /_sim/records?zone=NAME     seed a record (Record JSON, as PutRecord); answers the stored Record
//	POST   /_sim/expire-sts            expire every STS credential issued so far: {"Expired":n}

// ZoneInfo describes a zone of the simulated state.
type ZoneInfo struct {
	Name     string  `json:"Name"`     // Unicode DomainName
	PunyCode string  `json:"PunyCode"` // ASCII form
	Edition  Edition `json:"Edition"`
	Foreign  bool    `json:"Foreign"`
}

// Snapshot is a copy of the whole simulated state.
type Snapshot struct {
	Zones   []ZoneInfo `json:"Zones"`
	Records []Record   `json:"Records"`
}

// Snapshot returns a copy of all zones (sorted by name) and records
// (creation order).
func (s *Server) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	var snap Snapshot
	for _, z := range s.st.zones {
		snap.Zones = append(snap.Zones, ZoneInfo{z.name, z.ascii, z.edition, z.foreign})
	}
	sort.Slice(snap.Zones, func(i, j int) bool { return snap.Zones[i].PunyCode < snap.Zones[j].PunyCode })
	recs := make([]*record, 0, len(s.st.records))
	for _, r := range s.st.records {
		recs = append(recs, r)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].seq < recs[j].seq })
	snap.Records = make([]Record, 0, len(recs))
	for _, r := range recs {
		snap.Records = append(snap.Records, r.Record)
	}
	return snap
}

// FailSpec is the JSON body of POST /_sim/fail-next: one Injection.
//
//	{"Action":"AddDomainRecord","Mode":"after-apply","Kind":"reset"}
//	{"Action":"","Code":"Throttling.User"}
//	{"Kind":"slow","Delay":"3s","Mode":"after-apply"}
type FailSpec struct {
	Action string `json:"Action"`
	Code   string `json:"Code"`
	Status int    `json:"Status"`
	// Mode is "before" (default), "after-apply", or "drop-after-apply"
	// (the same as Mode "after-apply" with Kind "reset").
	Mode string `json:"Mode"`
	// Kind is a FaultKind: "api-error" (default), "gateway-html",
	// "empty-error", "reset", "empty-ok" or "slow".
	Kind FaultKind `json:"Kind,omitempty"`
	// Delay is FaultSlow's delay, a Go duration string ("3s").
	Delay string `json:"Delay,omitempty"`
}

// Injection converts the spec into an Injection.
func (f FailSpec) Injection() (Injection, error) {
	in := Injection{Action: f.Action, Kind: f.Kind, Code: f.Code, Status: f.Status}
	switch f.Mode {
	case "", "before":
	case "after-apply":
		in.AfterApply = true
	case "drop-after-apply":
		if f.Kind != "" && f.Kind != FaultReset {
			return in, fmt.Errorf("fail-next: Mode drop-after-apply contradicts Kind %q", f.Kind)
		}
		in.AfterApply, in.Kind = true, FaultReset
	default:
		return in, fmt.Errorf("fail-next: unknown Mode %q", f.Mode)
	}
	if f.Delay != "" {
		d, err := time.ParseDuration(f.Delay)
		if err != nil {
			return in, fmt.Errorf("fail-next: Delay: %w", err)
		}
		in.Delay = d
	}
	if in.Kind == "" {
		in.Kind = FaultAPIError
	}
	if in.Kind == FaultAPIError && in.Code == "" {
		return in, fmt.Errorf("fail-next: Code is required")
	}
	if err := in.validate(); err != nil {
		return in, fmt.Errorf("fail-next: %w", err)
	}
	return in, nil
}

// Apply queues the scripted fault on s.
func (f FailSpec) Apply(s *Server) error {
	in, err := f.Injection()
	if err != nil {
		return err
	}
	s.Inject(in)
	return nil
}

// ExpireSTS makes every STS credential issued so far expire now (on the
// simulator clock), as if its lifetime had run out while the client still
// held it: later requests signed with one fail with
// InvalidSecurityToken.Expired. Credentials issued afterwards are not
// affected. It returns how many credentials were expired.
func (s *Server) ExpireSTS() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	n := 0
	for _, k := range s.st.keys {
		if k.token != "" && now.Before(k.expires) {
			k.expires = now
			n++
		}
	}
	return n
}

func (s *Server) serveDebug(w http.ResponseWriter, r *http.Request) {
	h, ok := s.debugRoutes()[r.Method+" "+strings.TrimPrefix(r.URL.Path, "/_sim/")]
	if !ok {
		debugFail(w, http.StatusNotFound, fmt.Errorf("unknown simulator endpoint %s %s", r.Method, r.URL.Path))
		return
	}
	h(w, r)
}

// debugRoutes are the /_sim/ endpoints by "METHOD path".
func (s *Server) debugRoutes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET state": func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Snapshot(), "") },
		"GET zones": func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Snapshot().Zones, "") },
		"GET records": func(w http.ResponseWriter, r *http.Request) {
			z := r.URL.Query().Get("zone")
			if z == "" {
				debugFail(w, http.StatusBadRequest, fmt.Errorf("query parameter zone is required"))
				return
			}
			recs := s.Records(z)
			if recs == nil {
				recs = []Record{}
			}
			writeJSON(w, http.StatusOK, recs, "")
		},
		"GET calls":    s.debugCalls,
		"DELETE calls": func(w http.ResponseWriter, _ *http.Request) { s.ResetCalls(); w.WriteHeader(http.StatusNoContent) },
		"GET faults":   func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.CurrentFaults(), "") },
		"POST faults": func(w http.ResponseWriter, r *http.Request) {
			if f, ok := decodeDebug[Faults](w, r, "faults"); ok {
				s.SetFaults(f)
				writeJSON(w, http.StatusOK, f, "")
			}
		},
		"POST zones":     s.debugAddZone,
		"POST records":   s.debugPutRecord,
		"POST fail-next": s.debugFailNext,
		"POST expire-sts": func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, map[string]int{"Expired": s.ExpireSTS()}, "")
		},
	}
}

func debugFail(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"Error": err.Error()}, "")
}

// decodeDebug decodes a JSON request body, answering 400 when it cannot.
func decodeDebug[T any](w http.ResponseWriter, r *http.Request, what string) (T, bool) {
	var v T
	if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
		debugFail(w, http.StatusBadRequest, fmt.Errorf("decode %s: %w", what, err))
		return v, false
	}
	return v, true
}

func (s *Server) debugCalls(w http.ResponseWriter, r *http.Request) {
	action := r.URL.Query().Get("action")
	calls := []Call{}
	by := map[string]int{}
	for _, c := range s.Calls() {
		by[c.Action]++
		if action == "" || c.Action == action {
			calls = append(calls, c)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"Total": len(calls), "ByAction": by, "Calls": calls}, "")
}

func (s *Server) debugAddZone(w http.ResponseWriter, r *http.Request) {
	z, ok := decodeDebug[ZoneInfo](w, r, "zone")
	if !ok {
		return
	}
	if _, err := domainToASCII(z.Name); err != nil {
		debugFail(w, http.StatusBadRequest, err)
		return
	}
	if z.Foreign {
		s.AddForeignZone(z.Name)
	} else {
		s.AddZone(z.Name, z.Edition)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) debugPutRecord(w http.ResponseWriter, r *http.Request) {
	rec, ok := decodeDebug[Record](w, r, "record")
	if !ok {
		return
	}
	zone := r.URL.Query().Get("zone")
	if !s.hasZone(zone) {
		debugFail(w, http.StatusNotFound, fmt.Errorf("zone %q not added", zone))
		return
	}
	writeJSON(w, http.StatusOK, s.PutRecord(zone, rec), "")
}

func (s *Server) debugFailNext(w http.ResponseWriter, r *http.Request) {
	f, ok := decodeDebug[FailSpec](w, r, "fail-next")
	if !ok {
		return
	}
	if err := f.Apply(s); err != nil {
		debugFail(w, http.StatusBadRequest, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// hasZone reports whether a zone (hosted or foreign) was added.
func (s *Server) hasZone(name string) bool {
	ascii, err := domainToASCII(name)
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.st.zones[ascii]
	return ok
}
