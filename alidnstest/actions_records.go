package alidnstest

import (
	"sort"
	"strconv"
	"strings"
)

// recordJSON renders a record as in DescribeDomainRecords.
func recordJSON(r *record, rd Readings) map[string]any {
	m := map[string]any{
		"RecordId":        r.RecordID,
		"DomainName":      r.Zone,
		"RR":              r.RR,
		"Type":            r.Type,
		"Value":           r.Value,
		"TTL":             r.TTL,
		"Line":            r.Line,
		"Status":          r.Status,
		"Locked":          r.Locked,
		"Weight":          r.Weight,
		"LbaStatus":       false,
		"CreateTimestamp": rd.stamp(r.Created),
		"UpdateTimestamp": rd.stamp(r.Updated),
	}
	switch r.Type {
	case "MX", "HTTPS", "SVCB":
		m["Priority"] = r.Priority
	}
	if r.Remark != "" {
		m["Remark"] = r.Remark
	}
	return m
}

// recordSpec is a validated record definition from request parameters.
type recordSpec struct {
	rr, typ, value, line string
	ttl, priority        int64
}

func (a *actx) recordSpec(z *zone) (recordSpec, *apiError) {
	var rs recordSpec
	var e *apiError
	if rs.rr, e = normalizeRR(a.get("RR"), z.ascii); e != nil {
		return rs, e
	}
	rs.rr = a.rd.storedRR(rs.rr, a.get("RR"))
	if rs.typ, e = normalizeType(a.get("Type")); e != nil {
		return rs, e
	}
	rs.value = a.rd.storedValue(rs.typ, a.get("Value"))
	if e = validateValue(rs.typ, rs.value); e != nil {
		return rs, e
	}
	if rs.ttl, e = parseTTL(a.get("TTL"), z.edition); e != nil {
		return rs, e
	}
	if rs.priority, e = parsePriority(rs.typ, a.get("Priority")); e != nil {
		return rs, e
	}
	if rs.line, e = parseLine(a.get("Line")); e != nil {
		return rs, e
	}
	return rs, nil
}

// checkRecordConflicts reports DomainRecordDuplicate/DomainRecordConflict
// for rs against the other records of the zone (self excluded).
func (st *state) checkRecordConflicts(zoneKey string, rs recordSpec, self string) *apiError {
	rrKey := rrASCII(rs.rr)
	vk := valueKey(rs.typ, rs.value)
	for _, r := range st.records {
		if r.zoneKey != zoneKey || r.RecordID == self || rrASCII(r.RR) != rrKey || r.Line != rs.line {
			continue
		}
		if r.Type == rs.typ && valueKey(r.Type, r.Value) == vk {
			return errCode("DomainRecordDuplicate")
		}
		if (r.Type == "CNAME") != (rs.typ == "CNAME") {
			return errCode("DomainRecordConflict")
		}
	}
	return nil
}

func (s *Server) addDomainRecord(a *actx) (map[string]any, *apiError) {
	z, e := s.st.lookupZone(a.get("DomainName"))
	if e != nil {
		return nil, e
	}
	if e := s.checkWriteWindow(z.ascii); e != nil {
		return nil, e
	}
	rs, e := a.recordSpec(z)
	if e != nil {
		return nil, e
	}
	if e := s.st.checkRecordConflicts(z.ascii, rs, ""); e != nil {
		return nil, e
	}
	s.st.seq++
	r := &record{
		Record: Record{
			RecordID: s.st.newRecordID(), Zone: z.name, RR: rs.rr, Type: rs.typ, Value: rs.value,
			TTL: rs.ttl, Priority: rs.priority, Line: rs.line, Status: "ENABLE", Weight: 1,
			Created: a.now, Updated: a.now,
		},
		seq:     s.st.seq,
		zoneKey: z.ascii,
	}
	s.st.records[r.RecordID] = r
	s.markWrite(z.ascii)
	return map[string]any{"RecordId": r.RecordID}, nil
}

// writableRecord is the record a write by RecordId acts on: it must
// exist, not be locked, and its zone must not be busy with an earlier
// write.
func (s *Server) writableRecord(a *actx) (*record, *zone, *apiError) {
	r, z, e := s.st.lookupRecord(a.get("RecordId"))
	if e != nil {
		return nil, nil, e
	}
	if r.Locked {
		return nil, nil, errCode("DomainRecordLocked")
	}
	if e := s.checkWriteWindow(z.ascii); e != nil {
		return nil, nil, e
	}
	return r, z, nil
}

func (s *Server) updateDomainRecord(a *actx) (map[string]any, *apiError) {
	r, z, e := s.writableRecord(a)
	if e != nil {
		return nil, e
	}
	rs, e := a.recordSpec(z)
	if e != nil {
		return nil, e
	}
	if rrASCII(rs.rr) == rrASCII(r.RR) && rs.typ == r.Type && valueKey(rs.typ, rs.value) == valueKey(r.Type, r.Value) &&
		rs.ttl == r.TTL && rs.line == r.Line && rs.priority == r.Priority {
		return nil, errCode("DomainRecordDuplicate")
	}
	if e := s.st.checkRecordConflicts(z.ascii, rs, r.RecordID); e != nil {
		return nil, e
	}
	r.RR, r.Type, r.Value, r.TTL, r.Priority, r.Line = rs.rr, rs.typ, rs.value, rs.ttl, rs.priority, rs.line
	r.Updated = a.now
	s.markWrite(z.ascii)
	return map[string]any{"RecordId": r.RecordID}, nil
}

func (s *Server) deleteDomainRecord(a *actx) (map[string]any, *apiError) {
	r, z, e := s.writableRecord(a)
	if e != nil {
		return nil, e
	}
	delete(s.st.records, r.RecordID)
	s.markWrite(z.ascii)
	return map[string]any{"RecordId": r.RecordID}, nil
}

func (s *Server) setDomainRecordStatus(a *actx) (map[string]any, *apiError) {
	r, z, e := s.st.lookupRecord(a.get("RecordId"))
	if e != nil {
		return nil, e
	}
	status, e := parseStatus(a.get("Status"))
	if e != nil {
		return nil, e
	}
	if r.Locked {
		return nil, errCode("DomainRecordLocked")
	}
	if e := s.checkWriteWindow(z.ascii); e != nil {
		return nil, e
	}
	r.Status = status
	r.Updated = a.now
	s.markWrite(z.ascii)
	return map[string]any{"RecordId": r.RecordID, "Status": status}, nil
}

func (s *Server) updateDomainRecordRemark(a *actx) (map[string]any, *apiError) {
	r, _, e := s.st.lookupRecord(a.get("RecordId"))
	if e != nil {
		return nil, e
	}
	r.Remark = a.get("Remark")
	r.Updated = a.now
	return map[string]any{}, nil
}

func (s *Server) deleteSubDomainRecords(a *actx) (map[string]any, *apiError) {
	z, e := s.st.lookupZone(a.get("DomainName"))
	if e != nil {
		return nil, e
	}
	rr, e := normalizeRR(a.get("RR"), z.ascii)
	if e != nil {
		return nil, e
	}
	typ := ""
	if t := a.get("Type"); t != "" {
		if typ, e = normalizeType(t); e != nil {
			return nil, e
		}
	}
	if e := s.checkWriteWindow(z.ascii); e != nil {
		return nil, e
	}
	key := rrASCII(rr)
	n := 0
	for id, r := range s.st.records {
		if r.zoneKey == z.ascii && rrASCII(r.RR) == key && (typ == "" || r.Type == typ) && !r.Locked {
			delete(s.st.records, id)
			n++
		}
	}
	s.markWrite(z.ascii)
	return map[string]any{"RR": rr, "TotalCount": strconv.Itoa(n)}, nil
}

// newestFirst sorts records by creation, newest first.
func newestFirst(recs []*record) {
	sort.Slice(recs, func(i, j int) bool { return recs[i].seq > recs[j].seq })
}

// recordFilter builds the DescribeDomainRecords filter from KeyWord,
// SearchMode and the per-field filters.
func (a *actx) recordFilter() (func(*record) bool, *apiError) {
	lower := strings.ToLower
	contains := func(s, sub string) bool { return sub == "" || strings.Contains(lower(s), lower(sub)) }
	equal := func(s, want string) bool { return want == "" || strings.EqualFold(s, want) }
	kw := a.get("KeyWord")
	rrKW, valKW, typeKW := a.get("RRKeyWord"), a.get("ValueKeyWord"), a.get("TypeKeyWord")
	typ, line, status := a.get("Type"), a.get("Line"), a.get("Status")
	mode := strings.ToUpper(a.get("SearchMode"))
	if mode == "" {
		mode = "ADVANCED"
		if kw != "" {
			mode = "LIKE"
		}
	}
	switch mode {
	case "LIKE":
		return func(r *record) bool { return contains(r.RR, kw) || contains(r.Value, kw) }, nil
	case "EXACT":
		return func(r *record) bool { return equal(r.RR, kw) || equal(r.Value, kw) }, nil
	case "ADVANCED":
		return func(r *record) bool {
			return contains(r.RR, rrKW) && contains(r.Value, valKW) && equal(r.Type, typeKW) &&
				equal(r.Type, typ) && (line == "" || r.Line == line) && equal(r.Status, status)
		}, nil
	case "COMBINATION":
		return func(r *record) bool {
			return equal(r.RR, rrKW) && equal(r.Value, valKW) && equal(r.Type, typeKW) &&
				equal(r.Type, typ) && (line == "" || r.Line == line) && equal(r.Status, status)
		}, nil
	}
	return nil, errInvalid("SearchMode", "SearchMode must be LIKE, EXACT, ADVANCED or COMBINATION.")
}

func recordPage(recs []*record, page, size int, ascending bool, rd Readings) map[string]any {
	newestFirst(recs)
	if ascending {
		sort.Slice(recs, func(i, j int) bool { return recs[i].seq < recs[j].seq })
	}
	lo, hi := pageOf(len(recs), page, size)
	list := make([]any, 0, hi-lo)
	for _, r := range recs[lo:hi] {
		list = append(list, recordJSON(r, rd))
	}
	return map[string]any{
		"TotalCount":    len(recs),
		"PageNumber":    page,
		"PageSize":      size,
		"DomainRecords": map[string]any{"Record": list},
	}
}

func (s *Server) describeDomainRecords(a *actx) (map[string]any, *apiError) {
	z, e := s.st.lookupZone(a.get("DomainName"))
	if e != nil {
		return nil, e
	}
	page, size, e := a.paging(MaxRecordsPageSize)
	if e != nil {
		return nil, e
	}
	match, e := a.recordFilter()
	if e != nil {
		return nil, e
	}
	var recs []*record
	for _, r := range s.st.records {
		if r.zoneKey == z.ascii && match(r) {
			recs = append(recs, r)
		}
	}
	return recordPage(recs, page, size, strings.EqualFold(a.get("Direction"), "ASC"), a.rd), nil
}

func (s *Server) describeSubDomainRecords(a *actx) (map[string]any, *apiError) {
	sub := a.get("SubDomain")
	if strings.TrimSpace(sub) == "" {
		return nil, errMissing("SubDomain")
	}
	subASCII, err := nameToASCII(sub)
	if err != nil {
		return nil, errCodef("InvalidDomainName.Format", "Invalid domain name %q.", sub)
	}
	var z *zone
	var e *apiError
	if dn := a.get("DomainName"); dn != "" {
		if z, e = s.st.lookupZone(dn); e != nil {
			return nil, e
		}
		if subASCII != z.ascii && !strings.HasSuffix(subASCII, "."+z.ascii) {
			return nil, errInvalid("SubDomain", "SubDomain is not within DomainName.")
		}
	} else if z, e = s.st.zoneForSubDomain(subASCII); e != nil {
		return nil, e
	}
	page, size, e := a.paging(MaxSubDomainPageSize)
	if e != nil {
		return nil, e
	}
	rr := "@"
	if subASCII != z.ascii {
		rr = strings.TrimSuffix(subASCII, "."+z.ascii)
	}
	typ, line := a.get("Type"), a.get("Line")
	var recs []*record
	for _, r := range s.st.records {
		if r.zoneKey == z.ascii && rrASCII(r.RR) == rr && (typ == "" || strings.EqualFold(r.Type, typ)) && (line == "" || r.Line == line) {
			recs = append(recs, r)
		}
	}
	return recordPage(recs, page, size, false, a.rd), nil
}

// zoneForSubDomain finds the zone of a SubDomain without DomainName the way
// the real service does: by public suffix. A sub-zone hosted as its own
// domain is not found this way (IncorrectDomainUser).
func (st *state) zoneForSubDomain(subASCII string) (*zone, *apiError) {
	main, _, ok := mainDomain(subASCII)
	if !ok {
		return nil, errCode("InvalidDomainName.Format")
	}
	if z, ok := st.zones[main]; ok {
		if z.foreign {
			return nil, errCode("IncorrectDomainUser")
		}
		return z, nil
	}
	for _, z := range st.zones {
		if strings.HasSuffix(subASCII, "."+z.ascii) || subASCII == z.ascii {
			return nil, errCode("IncorrectDomainUser")
		}
	}
	return nil, errCode("InvalidDomainName.NoExist")
}

func (s *Server) describeDomainRecordInfo(a *actx) (map[string]any, *apiError) {
	r, z, e := s.st.lookupRecord(a.get("RecordId"))
	if e != nil {
		return nil, e
	}
	m := recordJSON(r, a.rd)
	m["DomainId"] = z.id
	m["PunyCode"] = z.ascii
	m["GroupId"] = ""
	m["GroupName"] = ""
	if _, ok := m["Remark"]; !ok {
		m["Remark"] = ""
	}
	return m, nil
}
