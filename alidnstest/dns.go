package alidnstest

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Authoritative DNS service. Every query is answered from the live state:
// writes through the API are visible immediately.
//
// Simplifications: records are served regardless of their Line (identical
// RRs are deduplicated); NS records below the apex are served as ordinary
// data, not as referrals; REDIRECT_URL/FORWARD_URL records are not served;
// the SOA negative-caching TTL (MINIMUM) is 1 second to keep tests fast.
// HTTPS/SVCB values are served as given when they start with a priority,
// otherwise as "<Priority> <value>".

const (
	soaTTL      = 600
	soaRefresh  = 3600
	soaRetry    = 600
	soaExpire   = 86400
	soaMinimum  = 1
	maxCNAMEHop = 8
)

// startDNS listens on addr for UDP and TCP (same port) and serves DNS.
func (s *Server) startDNS(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("parse DNS address %q: %w", addr, err)
	}
	var pc net.PacketConn
	var ln net.Listener
	for attempt := 0; ; attempt++ {
		pc, err = net.ListenPacket("udp", addr)
		if err != nil {
			return fmt.Errorf("listen UDP on %s: %w", addr, err)
		}
		udpPort := strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port)
		ln, err = net.Listen("tcp", net.JoinHostPort(host, udpPort))
		if err == nil {
			break
		}
		pc.Close()
		if port != "0" || attempt >= 20 {
			return fmt.Errorf("listen TCP on %s: %w", net.JoinHostPort(host, udpPort), err)
		}
	}
	handler := dns.HandlerFunc(s.serveDNS)
	s.dnsUDP = &dns.Server{PacketConn: pc, Handler: handler}
	s.dnsTCP = &dns.Server{Listener: ln, Handler: handler, ReadTimeout: 10 * time.Second}
	for _, srv := range []*dns.Server{s.dnsUDP, s.dnsTCP} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func(srv *dns.Server) { _ = srv.ActivateAndServe() }(srv)
		<-started
	}
	s.DNSAddr = pc.LocalAddr().String()
	return nil
}

// serveDNS answers one DNS query.
func (s *Server) serveDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.RecursionAvailable = false
	udpSize := dns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil {
		if sz := int(opt.UDPSize()); sz > udpSize {
			udpSize = sz
		}
		m.SetEdns0(uint16(udpSize), false)
	}
	switch {
	case req.Opcode != dns.OpcodeQuery:
		m.Rcode = dns.RcodeNotImplemented
	case len(req.Question) != 1:
		m.Rcode = dns.RcodeFormatError
	case req.Question[0].Qclass != dns.ClassINET && req.Question[0].Qclass != dns.ClassANY:
		m.Rcode = dns.RcodeRefused
	default:
		s.answer(m, req.Question[0])
	}
	if _, isUDP := w.RemoteAddr().(*net.UDPAddr); isUDP {
		m.Truncate(udpSize)
	}
	_ = w.WriteMsg(m)
}

// answer fills m for question q from the live state.
func (s *Server) answer(m *dns.Msg, q dns.Question) {
	qname := strings.ToLower(dns.Fqdn(q.Name))
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.st.zoneForName(qname)
	if z == nil {
		m.Rcode = dns.RcodeRefused
		return
	}
	m.Authoritative = true
	data := s.zoneData(z)
	apex := z.ascii + "."
	name := qname
	exists := false
	for hop := 0; hop <= maxCNAMEHop; hop++ {
		set, found := data.lookup(name, apex)
		if hop == 0 {
			exists = found
		}
		if !found {
			break
		}
		ans, target := pick(set, q.Qtype)
		m.Answer = append(m.Answer, ans...)
		if target == "" || !dns.IsSubDomain(apex, target) {
			break
		}
		name = target
	}
	if len(m.Answer) == 0 {
		if !exists {
			m.Rcode = dns.RcodeNameError
		}
		m.Ns = append(m.Ns, data.soa)
	}
}

// pick selects the RRs of set answering qtype, following a CNAME (returned
// as target) when the name has no RRs of that type.
func pick(set []dns.RR, qtype uint16) ([]dns.RR, string) {
	var out []dns.RR
	for _, rr := range set {
		if qtype == dns.TypeANY || rr.Header().Rrtype == qtype {
			out = append(out, rr)
		}
	}
	if len(out) > 0 || qtype == dns.TypeCNAME {
		return out, ""
	}
	for _, rr := range set {
		if c, ok := rr.(*dns.CNAME); ok {
			return []dns.RR{c}, strings.ToLower(c.Target)
		}
	}
	return nil, ""
}

// zoneForName returns the hosted (non-foreign) zone that is the longest
// suffix of fqdn, or nil. Called with s.mu held.
func (st *state) zoneForName(fqdn string) *zone {
	name := strings.TrimSuffix(fqdn, ".")
	for {
		if z, ok := st.zones[name]; ok {
			if z.foreign {
				return nil
			}
			return z
		}
		i := strings.IndexByte(name, '.')
		if i < 0 {
			return nil
		}
		name = name[i+1:]
	}
}

// zoneView holds a zone's RRsets keyed by lower-case FQDN.
type zoneView struct {
	sets map[string][]dns.RR
	soa  dns.RR
}

// lookup returns the RRset of name (possibly synthesized from a wildcard)
// and whether the name exists (including empty non-terminals).
func (v zoneView) lookup(name, apex string) ([]dns.RR, bool) {
	if set, ok := v.sets[name]; ok {
		return set, true
	}
	if v.hasDescendant(name) {
		return nil, true
	}
	// Wildcard: find the closest existing ancestor; "*.<ancestor>" applies.
	for anc := parent(name); anc != "" && dns.IsSubDomain(apex, anc); anc = parent(anc) {
		if _, ok := v.sets[anc]; !ok && !v.hasDescendant(anc) {
			continue
		}
		wset, ok := v.sets["*."+anc]
		if !ok {
			return nil, false
		}
		out := make([]dns.RR, 0, len(wset))
		for _, rr := range wset {
			c := dns.Copy(rr)
			c.Header().Name = name
			out = append(out, c)
		}
		return out, true
	}
	return nil, false
}

func (v zoneView) hasDescendant(name string) bool {
	suffix := "." + name
	for owner := range v.sets {
		if strings.HasSuffix(owner, suffix) {
			return true
		}
	}
	return false
}

func parent(name string) string {
	i := strings.IndexByte(name, '.')
	if i < 0 || i == len(name)-1 {
		return ""
	}
	return name[i+1:]
}

// zoneData builds the DNS view of a zone. Called with s.mu held.
func (s *Server) zoneData(z *zone) zoneView {
	apex := z.ascii + "."
	ns := z.nameServers()
	v := zoneView{sets: map[string][]dns.RR{}}
	v.soa = &dns.SOA{
		Hdr:     dns.RR_Header{Name: apex, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: soaTTL},
		Ns:      ns[0] + ".",
		Mbox:    "hostmaster." + apex,
		Serial:  s.st.serial,
		Refresh: soaRefresh, Retry: soaRetry, Expire: soaExpire, Minttl: soaMinimum,
	}
	v.add(v.soa)
	for _, n := range ns {
		v.add(&dns.NS{Hdr: dns.RR_Header{Name: apex, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: soaTTL}, Ns: n + "."})
	}
	for _, r := range s.st.records {
		if r.zoneKey != z.ascii || r.Status != "ENABLE" {
			continue
		}
		owner := apex
		if rr := rrASCII(r.RR); rr != "@" {
			owner = rr + "." + apex
		}
		if rr := toDNS(owner, &r.Record); rr != nil {
			v.add(rr)
		}
	}
	for _, n := range ns {
		if _, ok := v.sets[n+"."]; !ok {
			v.add(&dns.A{Hdr: dns.RR_Header{Name: n + ".", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: soaTTL}, A: net.IPv4(127, 0, 0, 1)})
		}
	}
	return v
}

func (v zoneView) add(rr dns.RR) {
	name := strings.ToLower(rr.Header().Name)
	for _, have := range v.sets[name] {
		if dns.IsDuplicate(have, rr) {
			return
		}
	}
	v.sets[name] = append(v.sets[name], rr)
}

// toDNS converts a record to an RR, or nil when it cannot be represented.
func toDNS(owner string, r *Record) dns.RR {
	hdr := func(t uint16) dns.RR_Header {
		return dns.RR_Header{Name: owner, Rrtype: t, Class: dns.ClassINET, Ttl: uint32(r.TTL)}
	}
	host := func(v string) string { return dns.Fqdn(strings.ToLower(strings.TrimSpace(v))) }
	switch r.Type {
	case "A":
		ip := net.ParseIP(r.Value).To4()
		if ip == nil {
			return nil
		}
		return &dns.A{Hdr: hdr(dns.TypeA), A: ip}
	case "AAAA":
		ip := net.ParseIP(r.Value)
		if ip == nil || ip.To4() != nil && !strings.Contains(r.Value, ":") {
			return nil
		}
		return &dns.AAAA{Hdr: hdr(dns.TypeAAAA), AAAA: ip}
	case "CNAME":
		return &dns.CNAME{Hdr: hdr(dns.TypeCNAME), Target: host(r.Value)}
	case "NS":
		return &dns.NS{Hdr: hdr(dns.TypeNS), Ns: host(r.Value)}
	case "MX":
		return &dns.MX{Hdr: hdr(dns.TypeMX), Preference: uint16(r.Priority), Mx: host(r.Value)}
	case "TXT":
		return &dns.TXT{Hdr: hdr(dns.TypeTXT), Txt: txtChunks(r.Value)}
	case "SRV", "CAA", "HTTPS", "SVCB":
		value := r.Value
		if f := strings.Fields(value); (r.Type == "HTTPS" || r.Type == "SVCB") && len(f) > 0 {
			if _, err := strconv.ParseUint(f[0], 10, 16); err != nil || len(f) < 2 {
				value = strconv.FormatInt(r.Priority, 10) + " " + value // "target [params]" form
			}
		}
		rr, err := dns.NewRR(fmt.Sprintf("%s %d IN %s %s", owner, r.TTL, r.Type, value))
		if err != nil || rr == nil {
			return nil
		}
		return rr
	}
	return nil
}

// txtChunks splits a TXT value into ≤255-byte character strings, escaped
// for miekg/dns (which interprets backslash escapes when packing).
func txtChunks(v string) []string {
	var out []string
	for len(v) > 255 {
		out = append(out, v[:255])
		v = v[255:]
	}
	out = append(out, v)
	for i, c := range out {
		out[i] = strings.ReplaceAll(c, `\`, `\\`)
	}
	return out
}
