package alidns

import (
	"errors"

	"github.com/libdns/libdns"

	"github.com/caddy-alidns/alidns/internal/api"
)

// ErrOutcomeUnknown is matched (errors.Is) by the error of a write that
// may nevertheless have been applied: a request reached AliDNS and its
// answer was lost, garbled or a server error, and nothing proved since
// that the change was not made (for an add: the record may exist, and
// DeleteRecords with the same name, type and value removes it). An error
// without it came from answers that each prove the write was not applied.
var ErrOutcomeUnknown = api.ErrOutcomeUnknown

// DefaultRetry is the retry policy of a Provider whose Retry is the zero
// value: 8 attempts, backoff from 200 ms doubling up to 2 s, at most 6 s
// asleep between attempts, and up to 60 s waiting for a zone that AliDNS
// reports busy.
var DefaultRetry = api.DefaultRetry

// NoRetry sends every API call once, except that a write refused because
// AliDNS reports its zone busy (LastOperationNotFinished, nothing applied)
// is sent again when the zone is free, up to DefaultRetry's MaxBusy.
var NoRetry = api.NoRetry

// ErrZoneUnchanged is matched (errors.Is) by every error after which the
// zone is provably as it was before the call: SetRecords returns such
// errors as a libdns.AtomicErr too, but libdns v1 declares AtomicErr as
// a plain alias of error, so errors.As cannot tell it apart from any
// other error. Test with errors.Is(err, alidns.ErrZoneUnchanged) instead.
var ErrZoneUnchanged = errors.New("the zone was not changed")

// unchangedError marks an error that left the zone unchanged.
type unchangedError struct{ err error }

func (e *unchangedError) Error() string   { return e.err.Error() + " (the zone was not changed)" }
func (e *unchangedError) Unwrap() []error { return []error{e.err, ErrZoneUnchanged} }

// atomicErr wraps err, after which the zone is unchanged, as a
// libdns.AtomicErr that also matches ErrZoneUnchanged.
func atomicErr(err error) error {
	return libdns.AtomicErr(&unchangedError{err: err})
}
