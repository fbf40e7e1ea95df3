package alidns

import (
	"strings"

	"golang.org/x/net/idna"
)

// Internationalised (IDN) zones.
//
// certmagic and most libdns callers name zones and records in ASCII
// (punycode, "xn--fsqu00a.xn--fiqs8s."), but AliDNS identifies an IDN zone
// by its Unicode name: a punycode DomainName is answered with
// InvalidDomainName.NoExist (caddyserver/caddy issue 6905), and
// DescribeDomains lists each zone with both DomainName (Unicode) and
// PunyCode (ASCII). lego fixed the same by matching the zone on PunyCode
// and sending the listed DomainName (go-acme/lego PR 1088).
//
// We send the Unicode form too, but convert locally with x/net/idna
// instead of looking the zone up in DescribeDomains: punycode decoding is
// exact (the PunyCode AliDNS lists is the ToASCII of its DomainName, and
// decoding it gives that DomainName back), whereas a lookup would cost one
// more API call per challenge (certmagic's path stays at two:
// AddDomainRecord and DeleteDomainRecord) and need the DescribeDomains
// RAM permission, which the README's minimal policy does not grant.
//
// RR (host record) labels are sent in Unicode as well: AliDNS documents
// CJK characters as valid in RR, its console stores Chinese host records
// in that form, and sending the zone's own form keeps a record created
// here identical to one a user types in the console (exact-name lookups
// such as DescribeSubDomainRecords then find both). ASCII labels
// (_acme-challenge, www, *) are unchanged by the conversion, so only
// names with an IDN label below the zone are affected.

// idnProfile maps like a DNS lookup but accepts the '_' and '*' labels of
// record names.
var idnProfile = idna.New(idna.MapForLookup(), idna.Transitional(false), idna.StrictDomainName(false))

// unicodeName returns the canonical AliDNS form of a domain or host name
// (no trailing dot): lower case, with every punycode label decoded to
// Unicode. Names that are not valid IDNA are returned lower-cased, with
// only their decodable punycode labels decoded.
func unicodeName(name string) string {
	n := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(name), "."))
	if a, err := idnProfile.ToASCII(n); err == nil {
		n = strings.ToLower(a)
	}
	labels := strings.Split(n, ".")
	for i, l := range labels {
		if !strings.HasPrefix(l, "xn--") {
			continue
		}
		if u, err := idna.Punycode.ToUnicode(l); err == nil {
			labels[i] = u
		}
	}
	return strings.Join(labels, ".")
}

// asciiName returns the ASCII (punycode) form of a name in lower case, as
// DNS and ACME see it; names that cannot be converted are returned
// lower-cased.
func asciiName(name string) string {
	n := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(name), "."))
	if a, err := idnProfile.ToASCII(n); err == nil {
		return strings.ToLower(a)
	}
	if a, err := idna.Punycode.ToASCII(n); err == nil {
		return strings.ToLower(a)
	}
	return n
}
