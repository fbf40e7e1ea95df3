// Package alidns is a libdns provider for Alibaba Cloud DNS (AliDNS) and
// the Caddy module dns.providers.alidns, so that Caddy obtains and renews
// certificates with the ACME DNS-01 challenge: on any port, also where
// ports 80 and 443 are closed.
//
// Used as a library, a zero Provider takes its AccessKey from the
// environment (ALICLOUD_ACCESS_KEY and ALICLOUD_SECRET_KEY, then Alibaba
// Cloud's default credential chain). Importing this package also compiles
// Caddy, which registers the module; github.com/caddy-alidns/alidns/alidnstest
// is an AliDNS simulator for tests.
//
// Where is what:
//
//	doc.go          this map
//	provider.go     Provider and the libdns methods (Get, Append, Set, Delete, ListZones) with their helpers
//	rrsetplan.go    SetRecords' plan for one RRset (no write can collide) and the writes that apply it
//	zonestate.go    what the process remembers per zone: FIFO write lock, busy-window pacer, issued record ids, learned minimum TTL
//	zones.go        zone names (IDN, relative names), the one zone lister, paging, "zone not hosted" explanations
//	wire.go         the JSON of AliDNS answers (records, pages, hosted zones)
//	idn.go          Unicode and ASCII forms of names (AliDNS wants Unicode)
//	settings.go     the table of options: expansion, checks, Caddyfile, flags
//	metrics.go      Prometheus metrics of the API calls
//	envfile.go      --envfile read exactly as caddy run reads it
//	records.go      mapping between libdns records and AliDNS record values
//	canonical.go    the stored form: how AliDNS keeps a record, used by every comparison and result
//	errors.go       ErrZoneUnchanged and the atomic-failure wrapper
//	credentials.go  where the AccessKey comes from (config, environment, RAM role, profile, default chain)
//	credentials_hint.go  the likely cause when no credentials are found
//	credentials_net.go   where credentials may travel: metadata service never through a proxy, plain http only to loopback
//	alidns.go       the Caddy module: registration, Provision, Validate
//	caddyfile.go    the Caddyfile block
//	command*.go     the caddy alidns check / zones subcommands (check's DNS side in command_dns.go, --config in command_config.go,
//	                the test record's create/wait/delete in command_testrecord.go)
//	keyform.go      what an AccessKey ID looks like: swapped keys refused, IDs shown only in part
//	internal/api    signing (ACS3-HMAC-SHA256), sending, retries, rate limiting, API errors, scrubbing server text
//	alidnstest      the AliDNS simulator (API, faults, authoritative DNS, credential endpoints) and HostileServer
//	libdnstest, sdktest, e2e   nested modules: conformance suite, official-SDK oracles, real Caddy + Pebble
package alidns
