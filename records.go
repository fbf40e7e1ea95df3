package alidns

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/libdns/libdns"
)

// RecordInfo is what this provider keeps in a returned record's
// ProviderData: the AliDNS record id (so DeleteRecords needs no lookup)
// and the AliDNS-only attributes that libdns has no field for.
type RecordInfo struct {
	RecordID string
	Line     string
	Status   string // ENABLE or DISABLE
	Locked   bool
	Weight   int
	Remark   string
}

// apiValue is the AliDNS form of a record's data: AliDNS keeps MX
// preference and HTTPS/SVCB priority in a separate Priority parameter, and
// writes host names without the trailing dot.
type apiValue struct {
	RR       string
	Type     string
	Value    string
	Priority int64 // 0 = not sent
	TTL      int64 // seconds; 0 = provider default
}

// record is v as the API lists a record (no id, TTL or line), for
// comparing values.
func (v apiValue) record() apiRecord {
	return apiRecord{RR: v.RR, Type: v.Type, Value: v.Value, Priority: v.Priority}
}

// toAPI converts a libdns record (of any concrete type) into the AliDNS
// parameters. name handling (relative to the zone, "@" for the apex) has
// been done by the caller through rr.Name.
func toAPI(rr libdns.RR) (apiValue, error) {
	v := apiValue{RR: rr.Name, Type: strings.ToUpper(rr.Type), TTL: int64(rr.TTL / time.Second)}
	data := strings.TrimSpace(rr.Data)
	switch v.Type {
	case "":
		return v, fmt.Errorf("record %q has no type", rr.Name)
	case "A", "AAAA":
		ip, err := netip.ParseAddr(data)
		if err != nil {
			return v, fmt.Errorf("record %q %s: invalid IP address %q", rr.Name, v.Type, data)
		}
		if ip.Is4() != (v.Type == "A") && !ip.Is4In6() {
			return v, fmt.Errorf("record %q: %s is not an %s address", rr.Name, data, v.Type)
		}
		v.Value = ip.String()
	case "CNAME", "NS":
		if data == "" {
			return v, fmt.Errorf("record %q %s has no target", rr.Name, v.Type)
		}
		if err := checkHost(rr.Name, v.Type, data); err != nil {
			return v, err
		}
		v.Value = hostToAPI(data)
	case "MX":
		f := strings.Fields(data)
		if len(f) != 2 {
			return v, fmt.Errorf("record %q MX: want \"preference target\", got %q", rr.Name, data)
		}
		pref, err := strconv.ParseUint(f[0], 10, 16)
		if err != nil {
			return v, fmt.Errorf("record %q MX: invalid preference %q", rr.Name, f[0])
		}
		// AliDNS wants 1..50; 0 is legal DNS but refused there, so map it to
		// the most preferred value AliDNS accepts rather than failing.
		v.Priority = max(int64(pref), 1)
		if v.Priority > 50 {
			return v, fmt.Errorf("record %q MX: preference %d is above AliDNS's maximum of 50", rr.Name, pref)
		}
		if err := checkHost(rr.Name, v.Type, f[1]); err != nil {
			return v, err
		}
		v.Value = hostToAPI(f[1])
	case "SRV":
		f := strings.Fields(data)
		if len(f) != 4 {
			return v, fmt.Errorf("record %q SRV: want \"priority weight port target\", got %q", rr.Name, data)
		}
		for _, n := range f[:3] {
			if _, err := strconv.ParseUint(n, 10, 16); err != nil {
				return v, fmt.Errorf("record %q SRV: invalid number %q", rr.Name, n)
			}
		}
		if err := checkHost(rr.Name, v.Type, f[3]); err != nil {
			return v, err
		}
		v.Value = strings.Join(append(f[:3:3], hostToAPI(f[3])), " ")
	case "HTTPS", "SVCB":
		parts := strings.SplitN(data, " ", 3)
		if len(parts) < 2 {
			return v, fmt.Errorf("record %q %s: want \"priority target [params]\", got %q", rr.Name, v.Type, data)
		}
		prio, err := strconv.ParseUint(parts[0], 10, 16)
		if err != nil {
			return v, fmt.Errorf("record %q %s: invalid priority %q", rr.Name, v.Type, parts[0])
		}
		v.Priority = int64(prio)
		if parts[1] != "." {
			if err := checkHost(rr.Name, v.Type, parts[1]); err != nil {
				return v, err
			}
		}
		v.Value = hostToAPI(parts[1])
		if len(parts) == 3 && strings.TrimSpace(parts[2]) != "" {
			v.Value += " " + strings.TrimSpace(parts[2])
		}
	case "TXT":
		// The raw text, unquoted: AliDNS splits long values into
		// 255-byte strings itself.
		v.Value = rr.Data
	default:
		v.Value = rr.Data
	}
	return v, nil
}

// checkHost refuses what cannot be a host name: empty labels (".." or a
// leading dot), blanks, or more than 253 characters.
func checkHost(name, typ, h string) error {
	t := strings.TrimSuffix(h, ".")
	if t == "" || len(t) > 253 || strings.Contains(t, "..") || strings.HasPrefix(t, ".") || strings.ContainsAny(t, " \t\n\"") {
		return fmt.Errorf("record %q %s: %q is not a valid host name", name, typ, h)
	}
	return nil
}

// hostToAPI drops the trailing dot AliDNS does not use; "." alone (the
// ServiceBinding "same name" target) stays.
func hostToAPI(h string) string {
	if h == "." {
		return h
	}
	return strings.TrimSuffix(h, ".")
}

// hostFromAPI restores the trailing dot: AliDNS values are always
// fully qualified.
func hostFromAPI(h string) string {
	if h == "" || strings.HasSuffix(h, ".") {
		return h
	}
	return h + "."
}

// fromAPI converts an AliDNS record into the libdns typed struct for its
// type (libdns.RR for types libdns does not model, such as REDIRECT_URL),
// with RecordInfo in ProviderData.
func fromAPI(r apiRecord) libdns.Record {
	rr := libdns.RR{Name: r.RR, TTL: time.Duration(r.TTL) * time.Second, Type: strings.ToUpper(r.Type), Data: r.Value}
	if rr.Name == "" {
		rr.Name = "@"
	}
	switch rr.Type {
	case "CNAME", "NS":
		rr.Data = hostFromAPI(r.Value)
	case "MX":
		rr.Data = fmt.Sprintf("%d %s", r.Priority, hostFromAPI(r.Value))
	case "SRV":
		if f := strings.Fields(r.Value); len(f) == 4 {
			rr.Data = strings.Join(append(f[:3:3], hostFromAPI(f[3])), " ")
		}
	case "HTTPS", "SVCB":
		target, params, _ := strings.Cut(r.Value, " ")
		if target != "." {
			target = hostFromAPI(target)
		}
		rr.Data = strings.TrimSpace(fmt.Sprintf("%d %s %s", r.Priority, target, params))
	}
	info := RecordInfo{RecordID: r.RecordID, Line: r.Line, Status: strings.ToUpper(r.Status), Locked: r.Locked, Weight: r.Weight, Remark: r.Remark}
	typed, err := rr.Parse()
	if err != nil {
		// A value libdns cannot parse is still a record of the zone;
		// return it opaque rather than failing the whole listing.
		return rr
	}
	return withInfo(typed, info)
}

// withInfo sets ProviderData on the typed structs that have it.
func withInfo(rec libdns.Record, info RecordInfo) libdns.Record {
	switch r := rec.(type) {
	case libdns.Address:
		r.ProviderData = info
		return r
	case libdns.CAA:
		r.ProviderData = info
		return r
	case libdns.CNAME:
		r.ProviderData = info
		return r
	case libdns.MX:
		r.ProviderData = info
		return r
	case libdns.NS:
		r.ProviderData = info
		return r
	case libdns.SRV:
		r.ProviderData = info
		return r
	case libdns.ServiceBinding:
		r.ProviderData = info
		return r
	case libdns.TXT:
		r.ProviderData = info
		return r
	}
	return rec
}

// infoOf returns the RecordInfo this provider stored in rec, if any.
func infoOf(rec libdns.Record) (RecordInfo, bool) {
	var pd any
	switch r := rec.(type) {
	case libdns.Address:
		pd = r.ProviderData
	case libdns.CAA:
		pd = r.ProviderData
	case libdns.CNAME:
		pd = r.ProviderData
	case libdns.MX:
		pd = r.ProviderData
	case libdns.NS:
		pd = r.ProviderData
	case libdns.SRV:
		pd = r.ProviderData
	case libdns.ServiceBinding:
		pd = r.ProviderData
	case libdns.TXT:
		pd = r.ProviderData
	}
	switch v := pd.(type) {
	case RecordInfo:
		return v, v.RecordID != ""
	case *RecordInfo:
		if v != nil {
			return *v, v.RecordID != ""
		}
	}
	return RecordInfo{}, false
}

// sameData reports whether two record datas of type typ are the same
// DNS data: host names compare without case or trailing dot, addresses
// by value, everything else exactly.
func sameData(typ, a, b string) bool {
	if a == b {
		return true
	}
	switch typ {
	case "A", "AAAA":
		x, err1 := netip.ParseAddr(a)
		y, err2 := netip.ParseAddr(b)
		return err1 == nil && err2 == nil && x == y
	case "CNAME", "NS", "MX", "SRV", "HTTPS", "SVCB":
		na, nb := strings.Fields(a), strings.Fields(b)
		if len(na) != len(nb) {
			return false
		}
		for i := range na {
			x, errx := strconv.ParseUint(na[i], 10, 16)
			y, erry := strconv.ParseUint(nb[i], 10, 16)
			if errx == nil && erry == nil {
				if x != y {
					return false
				}
				continue
			}
			if !strings.EqualFold(strings.TrimSuffix(na[i], "."), strings.TrimSuffix(nb[i], ".")) {
				return false
			}
		}
		return true
	}
	return false
}
