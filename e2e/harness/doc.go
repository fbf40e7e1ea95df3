// Package harness starts the real components of the end-to-end tests and
// of `make demo` on loopback, each as a separate process in its own
// process group, and stops them again:
//
//   - caddy, built by xcaddy with this repository's plugin and cached in
//     e2e/.cache by a content hash of the plugin's sources (BuildTools);
//   - Pebble, the ACME test CA, whose validation authority resolves the
//     DNS-01 challenges through the simulator's authoritative DNS
//     (StartPebble);
//   - the AliDNS API simulator, `go run ./cmd/alidns-sim` built as a binary
//     (StartSim);
//   - an in-process backend web server (StartBackend).
//
// Every Start function registers the component's shutdown with a Cleaner
// (*testing.T, or a Stack in the demo), so nothing is left running when a
// test fails. Ports are chosen free at run time unless the caller asks for
// specific ones.
package harness
