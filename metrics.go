package alidns

import (
	"context"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/caddy-alidns/alidns/internal/api"
)

// apiMetrics are the Prometheus metrics of the AliDNS API calls, exposed
// with Caddy's own (at the admin endpoint's /metrics, or a metrics
// handler). They are per call: a call retried after throttling counts
// once in requests_total, with its final outcome, and its extra attempts
// in retries_total.
//
//	caddy_alidns_api_requests_total{action,code}    calls by final outcome: code is OK, the AliDNS error code
//	                                                (other for a code not in knownCodes), HTTP_<status> for a
//	                                                non-API answer (HTTP_other outside knownStatuses),
//	                                                NetworkError, Canceled or Timeout
//	caddy_alidns_api_request_duration_seconds{action} time per call, retries and waits included
//	caddy_alidns_api_retries_total{action}          attempts beyond the first
//	caddy_alidns_api_throttled_total{action}        attempts answered with a throttling code (Throttling.User, HTTP 429)
type apiMetrics struct {
	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	retries   *prometheus.CounterVec
	throttled *prometheus.CounterVec
}

// newAPIMetrics registers the metrics with reg, or reuses those already
// registered there: every dns.providers.alidns of a config shares them.
func newAPIMetrics(reg prometheus.Registerer) (*apiMetrics, error) {
	const ns, sub = "caddy", "alidns"
	m := &apiMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "api_requests_total",
			Help: "AliDNS API calls by action and final outcome (OK or the error code).",
		}, []string{"action", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "api_request_duration_seconds",
			Help:    "Duration of AliDNS API calls, retries and waits included.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"action"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "api_retries_total",
			Help: "AliDNS API requests sent again after a transient failure or throttling.",
		}, []string{"action"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "api_throttled_total",
			Help: "AliDNS API requests answered with a throttling error (Throttling.User, HTTP 429).",
		}, []string{"action"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	m.requests, err = register(reg, m.requests)
	if err == nil {
		m.duration, err = register(reg, m.duration)
	}
	if err == nil {
		m.retries, err = register(reg, m.retries)
	}
	if err == nil {
		m.throttled, err = register(reg, m.throttled)
	}
	if err != nil {
		return nil, fmt.Errorf("registering the AliDNS metrics: %w", err)
	}
	return m, nil
}

// register registers c, or returns the collector already registered
// under its name.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}

// observe records one API call; nil-safe.
func (m *apiMetrics) observe(c api.Call) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(c.Action, outcome(c.Err)).Inc()
	m.duration.WithLabelValues(c.Action).Observe(c.Duration.Seconds())
	if c.Attempts > 1 {
		m.retries.WithLabelValues(c.Action).Add(float64(c.Attempts - 1))
	}
	if c.Throttled > 0 {
		m.throttled.WithLabelValues(c.Action).Add(float64(c.Throttled))
	}
}

// knownCodes are the error codes that get their own value of the code
// label: those AliDNS and its gateway are known to answer (see the
// simulator's table in alidnstest/doc.go). A server can send any string
// as a code, and each distinct label value is a time series kept for the
// life of the process, so any other code counts as "other".
var knownCodes = map[string]bool{
	"DomainForbidden": true, "DomainNotExist": true, "DomainRecordConflict": true, "DomainRecordDuplicate": true,
	"DomainRecordLocked": true, "DomainRecordNotBelongToUser": true, "Forbidden": true, "Forbidden.NotAuthorized": true,
	"Forbidden.RAM": true, "IncompleteSignature": true, "IncorrectDomainUser": true, "InternalError": true,
	"InvalidAccessKeyId": true, "InvalidAccessKeyId.Inactive": true, "InvalidAccessKeyId.NotFound": true,
	"InvalidAction.NotFound": true, "InvalidDomainName.Format": true, "InvalidDomainName.NoExist": true,
	"InvalidParameter": true, "InvalidRR.Format": true, "InvalidSecurityToken.Expired": true,
	"InvalidSecurityToken.Malformed": true, "InvalidSecurityToken.MismatchWithAccessKey": true,
	"InvalidTimeStamp.Expired": true, "InvalidTimeStamp.Format": true, "InvalidVersion": true,
	"LastOperationNotFinished": true, "MissingParameter": true, "MissingSecurityToken": true,
	"QuotaExceeded.ARecord": true, "QuotaExceeded.Record": true, "QuotaExceeded.TTL": true,
	"RecordForbidden.BlackHole": true, "RecordForbidden.DNSChange": true, "ServiceUnavailable": true,
	"SignatureDoesNotMatch": true, "SignatureNonceUsed": true, "Throttling": true, "Throttling.Api": true,
	"Throttling.User": true, "UnknownError": true, "UnKnownError": true, "UnsupportedHTTPMethod": true,
}

// knownStatuses are the HTTP statuses of non-API answers that get their
// own label value (HTTP_<status>); others are HTTP_other.
var knownStatuses = map[int]bool{
	200: true, 301: true, 302: true, 303: true, 307: true, 308: true, 400: true, 401: true, 403: true, 404: true,
	405: true, 407: true, 408: true, 413: true, 429: true, 500: true, 502: true, 503: true, 504: true,
}

// outcome is the code label of a call's result: one of a fixed set.
func outcome(err error) string {
	var e *api.Error
	switch {
	case err == nil:
		return "OK"
	case errors.As(err, &e) && e.Code != "" && knownCodes[e.Code]:
		return e.Code
	case errors.As(err, &e) && e.Code != "":
		return "other"
	case errors.As(err, &e) && knownStatuses[e.HTTPStatus]:
		return fmt.Sprintf("HTTP_%d", e.HTTPStatus)
	case errors.As(err, &e):
		return "HTTP_other"
	case errors.Is(err, context.Canceled):
		return "Canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "Timeout"
	default:
		return "NetworkError"
	}
}
