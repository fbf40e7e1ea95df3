// Package alidnstest provides an in-process simulator of the Alibaba Cloud
// DNS (Alidns) API, version 2015-01-09, in the spirit of net/http/httptest.
//
// A Server started with NewServer or NewTLSServer listens on loopback and
// serves:
//
//   - the Alidns RPC API at "/" (GET and POST, parameters from the query
//     string and/or an application/x-www-form-urlencoded body), accepting
//     both the legacy RPC HMAC-SHA1 signature (SignatureVersion 1.0) and the
//     V3 ACS3-HMAC-SHA256 signature. Signatures, timestamps (±15 min),
//     nonces (replay window 15 min), access keys, STS tokens and a simple
//     RAM allow-list are all enforced by code in this package, which is
//     deliberately independent of any client implementation;
//   - credential-source endpoints: GET /credentials-uri (credentials-go
//     "credentials URI" format) and an ECS instance-metadata (IMDS) subset
//     under /latest/ (PUT /latest/api/token, GET
//     /latest/meta-data/ram/security-credentials/[role]);
//   - unauthenticated test/debug endpoints under /_sim/ (see debug.go:
//     GET /_sim/records, GET /_sim/zones, GET|DELETE /_sim/calls,
//     GET|POST /_sim/faults). They exist for test harnesses only;
//   - an authoritative DNS server (UDP and TCP on the same port) answering
//     from the live simulated state.
//
// Responses are JSON (Content-Type application/json;charset=utf-8) for V3
// requests and for RPC requests with Format=JSON (any case). RPC requests
// without Format, or with Format=XML, are answered in XML like the real
// service (root element <ActionNameResponse> on success, <Error> on error).
//
// Fault injection (throttling, random 5xx, latency, dropped connections,
// per-zone write windows and scripted one-shot failures) is configured with
// SetFaults, FailNext, FailNextAfterApply and DropNextAfterApply. Every API
// call, including faulted ones, is recorded and can be inspected with Calls.
//
// All methods of Server are safe for concurrent use.
package alidnstest
