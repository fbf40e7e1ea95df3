package alidnstest

import (
	"sort"
	"strings"
	"time"
)

// Readings choose, where no public source says how the real AliDNS
// stores or reports something, which plausible behaviour the simulator
// shows. A client must be correct under every reading; a randomized test
// draws them. The zero value is the simulator's default behaviour.
type Readings struct {
	// TXT is what happens to white space around a TXT value.
	TXT TXTReading
	// RRCase is whether host records (RR) are stored lower-cased.
	RRCase RRCaseReading
	// Timestamps is the resolution of CreateTimestamp and UpdateTimestamp.
	Timestamps TimestampReading
	// SvcParams is whether HTTPS/SVCB params are stored in the order sent.
	SvcParams SvcParamsReading
}

// TXTReading is how white space around a TXT value is stored. AliDNS is
// reported to strip trailing spaces (dnscontrol's AliDNS audit); nothing
// public shows leading ones.
type TXTReading int

// TXT readings.
const (
	// TXTTrimBoth strips white space on both sides (the default).
	TXTTrimBoth TXTReading = iota
	// TXTTrimTrailing strips trailing white space only.
	TXTTrimTrailing
	// TXTKeep stores the value exactly as sent.
	TXTKeep
)

// RRCaseReading is whether the RR of a record is stored lower-cased.
// DNS names compare without case; whether AliDNS keeps the case it was
// sent is not documented.
type RRCaseReading int

// RR case readings.
const (
	// RRLower stores and lists RR in lower case (the default).
	RRLower RRCaseReading = iota
	// RRKeep stores and lists RR as sent; comparisons still ignore case.
	RRKeep
)

// TimestampReading is the resolution of the record timestamps (Unix
// milliseconds) in DescribeDomainRecords and related answers. The
// published example of DescribeDomainRecords shows 1666501957000, which
// ends in 000: AliDNS may keep whole seconds only.
type TimestampReading int

// Timestamp readings.
const (
	// TimestampMillis reports milliseconds (the default).
	TimestampMillis TimestampReading = iota
	// TimestampSeconds reports whole seconds (the milliseconds are 000).
	TimestampSeconds
)

// SvcParamsReading is whether the params of an HTTPS/SVCB value are
// stored in the order sent. Their order carries no meaning (RFC 9460
// section 2.2); whether AliDNS normalises it is not documented.
type SvcParamsReading int

// SvcParams readings.
const (
	// SvcParamsAsSent stores the value as sent (the default).
	SvcParamsAsSent SvcParamsReading = iota
	// SvcParamsReordered stores the params sorted by key name, an order
	// that differs from RFC 9460's key-number order.
	SvcParamsReordered
)

// SetReadings sets the readings applied from the next API call on.
// Records already stored keep their form.
func (s *Server) SetReadings(r Readings) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rd = r
}

// CurrentReadings returns the readings in effect.
func (s *Server) CurrentReadings() Readings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rd
}

// StoredValue is the value of type typ as AliDNS under these readings
// stores (and lists) it when a client sends value: what a record written
// by an earlier run of the same client holds.
func (r Readings) StoredValue(typ, value string) string { return r.storedValue(typ, value) }

// storedValue is value as the readings store it for type typ.
func (r Readings) storedValue(typ, value string) string {
	switch {
	case typ != "TXT":
		value = strings.TrimSpace(value)
	case r.TXT == TXTTrimBoth:
		value = strings.TrimSpace(value)
	case r.TXT == TXTTrimTrailing:
		value = strings.TrimRight(value, " \t\r\n")
	}
	if (typ == "HTTPS" || typ == "SVCB") && r.SvcParams == SvcParamsReordered {
		value = reorderSvcParams(value)
	}
	return value
}

// storedRR is a validated, lower-cased RR as the readings store it, given
// the RR as sent.
func (r Readings) storedRR(lower, sent string) string {
	if r.RRCase == RRKeep && lower != "@" {
		return strings.TrimSpace(sent)
	}
	return lower
}

// stamp is t in Unix milliseconds at the readings' resolution.
func (r Readings) stamp(t time.Time) int64 {
	if r.Timestamps == TimestampSeconds {
		t = t.Truncate(time.Second)
	}
	return millis(t)
}

// reorderSvcParams sorts the params of an HTTPS/SVCB value ("[priority]
// target params...") by key name. A value with a quoted param, whose
// tokens may hold spaces, is left alone.
func reorderSvcParams(value string) string {
	if strings.Contains(value, `"`) {
		return value
	}
	f := strings.Fields(value)
	head := 1 // the target
	if len(f) > 1 && isUint(f[0], 65535) {
		head = 2 // priority and target
	}
	if len(f) <= head+1 {
		return value
	}
	params := f[head:]
	key := func(p string) string { k, _, _ := strings.Cut(p, "="); return k }
	sort.SliceStable(params, func(i, j int) bool { return key(params[i]) < key(params[j]) })
	return strings.Join(f, " ")
}
