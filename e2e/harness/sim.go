package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// SimOptions configure StartSim.
type SimOptions struct {
	// Dir receives the simulator's log.
	Dir string
	// Zones are hosted zones (name[:edition]); default example.test.
	Zones []string
	// Args are further command-line flags of alidns-sim (e.g. -qps 5,
	// -key id:secret, -allow-actions ..., -sts-ttl 1h).
	Args []string
	// APIAddr and DNSAddr are the listen addresses (default
	// 127.0.0.1:0, a free port).
	APIAddr, DNSAddr string
	// Echo, if set, receives the simulator's output too.
	Echo io.Writer
}

// Sim is a running AliDNS simulator (cmd/alidns-sim).
type Sim struct {
	*Proc
	APIURL          string // the API endpoint (ALIDNS_ENDPOINT)
	DNSAddr         string // its authoritative DNS, UDP and TCP
	AccessKeyID     string // the default key ("" with -no-default-key)
	AccessKeySecret string
	CredentialsURI  string // ALIBABA_CLOUD_CREDENTIALS_URI serving STS credentials
	client          *http.Client
}

// StartSim starts the simulator and waits for its READY=1 line.
func StartSim(ctx context.Context, cl Cleaner, tools *Tools, opts SimOptions) (*Sim, error) {
	args := []string{"-api", or(opts.APIAddr, "127.0.0.1:0"), "-dns", or(opts.DNSAddr, "127.0.0.1:0")}
	zones := opts.Zones
	if len(zones) == 0 {
		zones = []string{"example.test"}
	}
	for _, z := range zones {
		args = append(args, "-zone", z)
	}
	args = append(args, opts.Args...)
	spec := ProcSpec{
		Name: "alidns-sim",
		Path: tools.Sim,
		Args: args,
		Env:  []string{"PATH=" + os.Getenv("PATH"), "HOME=" + or(opts.Dir, os.TempDir())},
		Dir:  opts.Dir,
		Echo: opts.Echo,
	}
	if opts.Dir != "" {
		spec.LogFile = filepath.Join(opts.Dir, "alidns-sim.log")
	}
	proc, err := StartProc(cl, spec)
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := proc.WaitOutput(wctx, "READY=1"); err != nil {
		return nil, err
	}
	s := &Sim{Proc: proc, client: &http.Client{Timeout: 10 * time.Second}}
	for _, line := range strings.Split(proc.Output(), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		switch k {
		case "API_URL":
			s.APIURL = v
		case "DNS_ADDR":
			s.DNSAddr = v
		case "ACCESS_KEY_ID":
			s.AccessKeyID = v
		case "ACCESS_KEY_SECRET":
			s.AccessKeySecret = v
		case "CREDENTIALS_URI":
			s.CredentialsURI = v
		}
	}
	if s.APIURL == "" || s.DNSAddr == "" {
		return nil, fmt.Errorf("alidns-sim printed no API_URL/DNS_ADDR:\n%s", proc.Output())
	}
	return s, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// SimRecord is a DNS record held by the simulator.
type SimRecord struct {
	RecordID string `json:"RecordId"`
	Zone     string `json:"Zone"`
	RR       string `json:"RR"`
	Type     string `json:"Type"`
	Value    string `json:"Value"`
	TTL      int64  `json:"TTL"`
}

// SimCall is one API request the simulator answered.
type SimCall struct {
	Action      string
	Params      url.Values
	AccessKeyID string
	Status      int
	Code        string
	RequestID   string
	Start       time.Time
}

// OK reports whether the call succeeded.
func (c SimCall) OK() bool { return c.Status == http.StatusOK && c.Code == "" }

// Records returns the records of zone.
func (s *Sim) Records(ctx context.Context, zone string) ([]SimRecord, error) {
	var out []SimRecord
	err := s.get(ctx, "/_sim/records?zone="+url.QueryEscape(zone), &out)
	return out, err
}

// ChallengeRecords returns the zone's TXT records at _acme-challenge
// names.
func (s *Sim) ChallengeRecords(ctx context.Context, zone string) ([]SimRecord, error) {
	recs, err := s.Records(ctx, zone)
	if err != nil {
		return nil, err
	}
	var out []SimRecord
	for _, r := range recs {
		if r.Type == "TXT" && (r.RR == "_acme-challenge" || strings.HasPrefix(r.RR, "_acme-challenge.")) {
			out = append(out, r)
		}
	}
	return out, nil
}

// WaitNoChallengeRecords waits until zone holds no challenge records.
func (s *Sim) WaitNoChallengeRecords(ctx context.Context, zone string) error {
	var last []SimRecord
	for {
		recs, err := s.ChallengeRecords(ctx, zone)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			return nil
		}
		last = recs
		select {
		case <-ctx.Done():
			return fmt.Errorf("challenge records left in zone %s: %+v", zone, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Calls returns the call log.
func (s *Sim) Calls(ctx context.Context) ([]SimCall, error) {
	var out struct{ Calls []SimCall }
	err := s.get(ctx, "/_sim/calls", &out)
	return out.Calls, err
}

// ResetCalls clears the call log.
func (s *Sim) ResetCalls(ctx context.Context) error {
	return s.do(ctx, http.MethodDelete, "/_sim/calls", nil, nil)
}

// SetFaults replaces the fault settings (the JSON of alidnstest.Faults,
// e.g. {"QPS": 5, "ErrorRate": 0.1}).
func (s *Sim) SetFaults(ctx context.Context, faults map[string]any) error {
	return s.do(ctx, http.MethodPost, "/_sim/faults", faults, nil)
}

// ExpireSTS makes every STS credential issued so far expire now and
// returns how many there were.
func (s *Sim) ExpireSTS(ctx context.Context) (int, error) {
	var out struct{ Expired int }
	err := s.do(ctx, http.MethodPost, "/_sim/expire-sts", nil, &out)
	return out.Expired, err
}

func (s *Sim) get(ctx context.Context, path string, out any) error {
	return s.do(ctx, http.MethodGet, path, nil, out)
}

func (s *Sim) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.APIURL+path, body)
	if err != nil {
		return err
	}
	res, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("simulator %s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("simulator %s %s: status %d: %s", method, path, res.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("simulator %s %s: %w: %s", method, path, err, b)
		}
	}
	return nil
}

// CountCalls counts calls by action: all of them, and the successful ones.
func CountCalls(calls []SimCall) (all, ok map[string]int) {
	all, ok = map[string]int{}, map[string]int{}
	for _, c := range calls {
		all[c.Action]++
		if c.OK() {
			ok[c.Action]++
		}
	}
	return all, ok
}

// CountCodes counts failed calls by error code ("HTTP <status>" when the
// answer had no code).
func CountCodes(calls []SimCall) map[string]int {
	out := map[string]int{}
	for _, c := range calls {
		if c.OK() {
			continue
		}
		code := c.Code
		if code == "" {
			code = "HTTP " + strconv.Itoa(c.Status)
		}
		out[code]++
	}
	return out
}
