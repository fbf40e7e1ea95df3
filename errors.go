package alidns

import (
	"errors"

	"github.com/libdns/libdns"
)

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
