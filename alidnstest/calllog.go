package alidnstest

import (
	"net/url"
	"time"
)

// CodeDropped is the Call.Code of calls whose connection the simulator
// closed without answering (Faults.DropRate, DropNextAfterApply).
const CodeDropped = "SimulatedConnectionDrop"

// maxCalls bounds the call log; the oldest entries are discarded beyond it.
const maxCalls = 100000

// Call is one API request as seen by the simulator.
type Call struct {
	// Action is the requested action ("" if none could be determined).
	Action string
	// Params holds the business parameters (query ∪ form body, without
	// protocol parameters such as Signature, Timestamp or Format).
	Params url.Values
	// AccessKeyID is the claimed access key id (even if unknown).
	AccessKeyID string
	// Scheme is "V3", "RPC", or "" when the request carried no signature.
	Scheme string
	// Status is the HTTP status answered; 0 for dropped connections.
	Status int
	// Code is the error code answered, CodeDropped, or "" on success.
	Code string
	// RequestID is the RequestId answered.
	RequestID string
	// Start is when the request arrived (real clock).
	Start time.Time
	// Duration is the time spent answering, including injected latency.
	Duration time.Duration
	// Fault is the kind of injected fault (scripted or random) that shaped
	// the answer, "" for none. Throttling, WriteWindow and ErrorRate
	// answers are ordinary API errors and show in Code only.
	Fault FaultKind
	// AfterApply reports that the call was applied (its change committed)
	// before Fault replaced or delayed its answer.
	AfterApply bool
}

type callLog struct {
	calls []Call
}

func (s *Server) logCall(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.cl.calls) >= maxCalls {
		s.cl.calls = append(s.cl.calls[:0:0], s.cl.calls[len(s.cl.calls)-maxCalls/2:]...)
	}
	s.cl.calls = append(s.cl.calls, c)
}

// Calls returns a copy of the call log, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.cl.calls))
	for i, c := range s.cl.calls {
		c.Params = copyValues(c.Params)
		out[i] = c
	}
	return out
}

// CallCount returns the number of logged calls of an action, or of all
// calls when action is "".
func (s *Server) CallCount(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if action == "" {
		return len(s.cl.calls)
	}
	n := 0
	for _, c := range s.cl.calls {
		if c.Action == action {
			n++
		}
	}
	return n
}

// TakeCalls returns the call log, oldest first, and clears it in one step,
// so that a harness counting calls over a long run (beyond the log's bound)
// loses none.
func (s *Server) TakeCalls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.cl.calls
	s.cl.calls = nil
	return out
}

// ResetCalls clears the call log.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cl.calls = nil
}

func copyValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
