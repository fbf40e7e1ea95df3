package alidnstest

import (
	"sort"
	"strings"
)

// twoLabelSuffixes are the multi-label public suffixes GetMainDomainName
// knows about (a deliberately small list).
var twoLabelSuffixes = map[string]bool{
	"com.cn": true, "net.cn": true, "org.cn": true, "gov.cn": true, "edu.cn": true, "ac.cn": true,
	"co.uk": true, "org.uk": true, "ac.uk": true, "gov.uk": true,
	"com.hk": true, "com.tw": true, "co.jp": true, "com.au": true, "net.au": true, "org.au": true,
	"co.nz": true, "com.br": true, "com.sg": true,
}

// mainDomain splits an ASCII name into its registrable domain and the rest
// (RR, "@" for the apex): the last two labels, or three when the last two
// form a known public suffix.
func mainDomain(ascii string) (main, rr string, ok bool) {
	labels := strings.Split(ascii, ".")
	n := 2
	if len(labels) >= 2 && twoLabelSuffixes[strings.Join(labels[len(labels)-2:], ".")] {
		n = 3
	}
	if len(labels) < n {
		return "", "", false
	}
	main = strings.Join(labels[len(labels)-n:], ".")
	rr = strings.Join(labels[:len(labels)-n], ".")
	if rr == "" {
		rr = "@"
	}
	return main, rr, true
}

// nameServers returns the simulated name servers of a zone, which the DNS
// server also publishes as the apex NS set: AliDNS's Free-edition servers,
// as DescribeDomains lists them (DnsServers).
func (z *zone) nameServers() []string {
	return []string{"dns1.hichina.com", "dns2.hichina.com"}
}

func (st *state) recordCount(zoneKey string) int {
	n := 0
	for _, r := range st.records {
		if r.zoneKey == zoneKey {
			n++
		}
	}
	return n
}

func (s *Server) domainJSON(z *zone) map[string]any {
	ns := make([]any, 0, 2)
	for _, n := range z.nameServers() {
		ns = append(ns, n)
	}
	return map[string]any{
		"DomainId":        z.id,
		"DomainName":      z.name,
		"PunyCode":        z.ascii,
		"AliDomain":       false,
		"RecordCount":     s.st.recordCount(z.ascii),
		"VersionCode":     string(z.edition),
		"VersionName":     z.edition.Name(),
		"InstanceId":      "sim-instance-" + z.id[len(z.id)-6:],
		"InstanceEndTime": "",
		"InstanceExpired": false,
		"GroupId":         "",
		"GroupName":       "",
		"ResourceGroupId": "rg-sim-default",
		"CreateTime":      z.created.UTC().Format("2006-01-02T15:04Z"),
		"CreateTimestamp": millis(z.created),
		"Remark":          "",
		"Starmark":        false,
		"RegistrantEmail": "",
		"DnsServers":      map[string]any{"DnsServer": ns},
		"Tags":            map[string]any{"Tag": []any{}},
	}
}

func (s *Server) describeDomains(a *actx) (map[string]any, *apiError) {
	page, size, e := a.paging(MaxDomainsPageSize)
	if e != nil {
		return nil, e
	}
	kw := strings.ToLower(a.get("KeyWord"))
	kwASCII := kw
	if kw != "" {
		if asc, err := nameToASCII(kw); err == nil {
			kwASCII = asc
		}
	}
	mode := strings.ToUpper(a.get("SearchMode"))
	if mode == "" {
		mode = "LIKE"
	}
	if mode != "LIKE" && mode != "EXACT" {
		return nil, errInvalid("SearchMode", "SearchMode must be LIKE or EXACT.")
	}
	var zones []*zone
	for _, z := range s.st.zones {
		if z.foreign {
			continue
		}
		name := strings.ToLower(z.name)
		switch {
		case kw == "":
		case mode == "EXACT" && (name == kw || z.ascii == kwASCII):
		case mode == "LIKE" && (strings.Contains(name, kw) || strings.Contains(z.ascii, kwASCII)):
		default:
			continue
		}
		zones = append(zones, z)
	}
	sort.Slice(zones, func(i, j int) bool { return zones[i].seq < zones[j].seq })
	lo, hi := pageOf(len(zones), page, size)
	list := make([]any, 0, hi-lo)
	for _, z := range zones[lo:hi] {
		list = append(list, s.domainJSON(z))
	}
	return map[string]any{
		"TotalCount": len(zones),
		"PageNumber": page,
		"PageSize":   size,
		"Domains":    map[string]any{"Domain": list},
	}, nil
}

func (s *Server) describeDomainInfo(a *actx) (map[string]any, *apiError) {
	z, e := s.st.lookupZone(a.get("DomainName"))
	if e != nil {
		return nil, e
	}
	m := s.domainJSON(z)
	delete(m, "RecordCount")
	delete(m, "Tags")
	m["MinTtl"] = z.edition.MinTTL()
	m["LineType"] = "domestic"
	m["InBlackHole"] = false
	m["InClean"] = false
	m["SlaveDns"] = false
	m["RegionLines"] = false
	m["SubDomain"] = false
	return m, nil
}

func (s *Server) getMainDomainName(a *actx) (map[string]any, *apiError) {
	in := a.get("InputString")
	if strings.TrimSpace(in) == "" {
		return nil, errMissing("InputString")
	}
	ascii, err := nameToASCII(in)
	if err != nil {
		return nil, errCodef("InvalidDomainName.Format", "Invalid domain name %q.", in)
	}
	main, rr, ok := mainDomain(ascii)
	if !ok {
		return nil, errCodef("InvalidDomainName.Format", "Invalid domain name %q.", in)
	}
	level := 1
	if rr != "@" {
		level = strings.Count(rr, ".") + 2
		rr = domainToUnicode(rr)
	}
	return map[string]any{
		"DomainName":  domainToUnicode(main),
		"RR":          rr,
		"DomainLevel": level,
	}, nil
}
