// Package api is the AliDNS (API version 2015-01-09) client of the
// provider: it signs requests with ACS3-HMAC-SHA256 (sign.go), sends them
// with explicit timeouts, retries what is safe to retry and says when a
// failed write may nevertheless have been applied (client.go, retry.go),
// paces requests once AliDNS throttles the account (limiter.go), and
// turns error answers into *Error values that name the code, request id
// and what to do (error.go). Credentials come from a CredentialProvider
// (credential.go).
package api
