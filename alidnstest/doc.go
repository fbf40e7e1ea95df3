// Package alidnstest provides an in-process simulator of the Alibaba Cloud
// DNS (Alidns) API, version 2015-01-09, in the spirit of net/http/httptest.
//
// A Server started with NewServer or NewTLSServer (or set up first with
// NewUnstartedServer, then started with Start or StartTLS) listens on
// loopback and serves:
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
//     /latest/meta-data/ram/security-credentials/[role]), and with WithOIDC
//     STS AssumeRoleWithOIDC at POST /?Action=AssumeRoleWithOIDC (RRSA).
//     CredentialFetches, CredentialRequests and BreakCredentialEndpoints
//     let tests count and break them;
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
// Fault injection (throttling and throttling bursts, random 5xx, gateway
// HTML and empty answers, latency, dropped connections, per-zone write
// windows, answers lost after a write was applied, and scripted one-shot
// failures of any FaultKind before or after apply) is configured with
// SetFaults and Inject (FailNext, FailNextAfterApply and DropNextAfterApply
// are shorthands for Inject). Every API call, including faulted ones, is
// recorded and can be inspected with Calls (Call.Fault, Call.AfterApply).
//
// HostileServer (hostile.go) answers what AliDNS never does: redirects,
// absurd page counts, errors that echo the request's credentials in
// JSON, XML, HTML or text, unknown error codes, and a credentials URI
// whose errors hold the secret, for tests that a client survives them.
//
// Where the real service's behaviour is not public, SetReadings chooses
// among plausible readings (Readings: white space around TXT values, the
// case of stored host records, the resolution of record timestamps, the
// order of stored HTTPS/SVCB params), so that a client can be tested
// under each. Every API answer (not a reset) carries a Date header from
// the simulator's clock (WithClock), as AliDNS's answers carry its own.
//
// # Error codes
//
// Errors are answered with the body {RequestId, HostId, Code, Message,
// Recommend} (plus AccessDeniedDetail for Forbidden.RAM). Codes and HTTP
// statuses used:
//
//	MissingParameter                            400  required parameter/header absent, or no signature at all
//	InvalidParameter                            400  malformed parameter (Type, Value, Priority, Line, Status, PageSize, SearchMode, ...)
//	InvalidVersion                              400  Version other than 2015-01-09
//	InvalidAction.NotFound                      404  unknown Action
//	UnsupportedHTTPMethod                       400  method other than GET/POST
//	IncompleteSignature                         400  malformed V3 Authorization, or a required header not in SignedHeaders
//	SignatureDoesNotMatch                       400  "... server string to sign is:<StringToSign>"
//	InvalidAccessKeyId.NotFound                 404  unknown or revoked access key
//	MissingSecurityToken                        400  STS key used without its token
//	InvalidSecurityToken.MismatchWithAccessKey  400  wrong token, or a token with a permanent key
//	InvalidSecurityToken.Expired                400  STS credential past its expiration
//	InvalidTimeStamp.Format                     400  Timestamp/x-acs-date not YYYY-MM-DDThh:mm:ssZ
//	InvalidTimeStamp.Expired                    400  more than 15 minutes off the server clock
//	SignatureNonceUsed                          400  nonce reused by the same key within 15 minutes
//	Forbidden.RAM                               400  action not allowed by AllowActions
//	InvalidDomainName.NoExist                   400  zone not hosted anywhere, or an IDN zone named in punycode
//	InvalidDomainName.Format                    400  unparsable domain name
//	IncorrectDomainUser                         400  zone hosted in another account (AddForeignZone)
//	DomainRecordNotBelongToUser                 400  unknown, deleted or foreign RecordId
//	DomainRecordDuplicate                       400  same RR+Type+Line+Value exists, or a no-op update
//	DomainRecordConflict                        400  CNAME and another type at the same RR and Line
//	DomainRecordLocked                          400  locked record (update, delete, status change)
//	QuotaExceeded.TTL                           400  TTL outside [edition minimum, 86400]
//	InvalidRR.Format                            400  RR violates the host-record rules
//	LastOperationNotFinished                    400  Faults.WriteWindow
//	Throttling.User                             429  Faults.QPS, Faults.ThrottleBurst (with an x-ratelimit-user-api header)
//	InternalError / ServiceUnavailable          500 / 503  Faults.ErrorRate; Faults.LostAnswerRate (after apply)
//
// Injected faults that are not API answers (Inject, Faults.GatewayErrorRate,
// Faults.LostAnswerRate) are logged with these Call.Code values:
//
//	SimulatedGatewayHTML      502  nginx HTML page, Content-Type text/html, no X-Acs-Request-Id
//	SimulatedEmptyError       500  empty body
//	SimulatedEmptyOK          200  empty body (applied or not, as Injection.AfterApply says)
//	SimulatedConnectionDrop     -  connection reset without an answer
//
// # Internationalised zones
//
// Like AliDNS, the simulator knows an IDN zone by its Unicode DomainName:
// a punycode DomainName ("xn--fsqu00a.xn--fiqs8s") on a record action is
// answered InvalidDomainName.NoExist (caddyserver/caddy issue 6905).
// DescribeDomains lists both forms (DomainName and PunyCode) and its
// KeyWord matches either. Host records (RR) are accepted in either form and
// the DNS server answers them in ASCII.
//
// All methods of Server are safe for concurrent use.
package alidnstest
