// Package libdnstest runs the official libdns conformance suite
// (github.com/libdns/libdns/libdnstest, first released in libdns
// v1.2.0-alpha.1) against the provider and the project's AliDNS simulator,
// plus regression tests for what the serial suite does not exercise:
// concurrent challenges on one name and SetRecords on multi-value RRsets.
//
// It is a separate module so that the provider itself stays on libdns
// v1.1.1, the version Caddy v2.11 and certmagic require.
package libdnstest
