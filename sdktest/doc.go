// Package sdktest is a test-only oracle that checks this project against
// the official Alibaba Cloud Go SDKs.
//
// It lives in a nested Go module on purpose: the SDKs
// (github.com/aliyun/alibaba-cloud-sdk-go, the darabonba-based
// github.com/alibabacloud-go/* packages) are large, pull in many
// transitive modules, and must never become dependencies of the main
// module, so that users building the Caddy plugin never download them.
// Only this module's go.mod names them; the parent module is reached
// through a replace directive, which also lets these tests import its
// internal packages (this module's path is below the parent's).
//
// The tests prove two things:
//
//   - Signer equivalence. The project's V3 ACS3-HMAC-SHA256 signer
//     (internal/api) produces byte-for-byte the same canonical query,
//     SignedHeaders and Authorization header as the darabonba OpenAPI
//     utilities, on the published vectors and on thousands of generated
//     inputs (unicode, reserved characters, empty values, STS tokens). The
//     legacy RPC HMAC-SHA1 scheme is cross-checked between the two SDK
//     generations the same way, since the simulator verifies it too.
//
//   - Simulator fidelity. Both SDK generations (V1 signing RPC HMAC-SHA1,
//     V2 signing V3) call every action of the alidnstest simulator and
//     decode its answers, success and error alike, into their own response
//     types; the project's own client sees the same state. The V2 SDK's
//     legacy RPC path, XML responses and the simulator's byte-level V3
//     canonical request are covered too.
//
// Every test stays on loopback: the SDKs get explicit credentials and an
// explicit 127.0.0.1 endpoint, and the metadata-service and CLI-profile
// credential sources are disabled in TestMain.
package sdktest
