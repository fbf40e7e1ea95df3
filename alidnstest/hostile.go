package alidnstest

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// HostileKind is what a HostileServer answers.
type HostileKind string

// Hostile answers. None of them is what AliDNS does; each is what a
// misconfigured endpoint, a proxy or captive portal in the way, or a
// hostile server could answer, and a client must survive it without
// leaking a secret, panicking, or spending unbounded resources.
const (
	// HostileRedirect answers every API request with a redirect (Status,
	// default 307) to Target followed by the request's path and query.
	// AliDNS never redirects; net/http would send the request's custom
	// headers (x-acs-security-token) to the new location.
	HostileRedirect HostileKind = "redirect"
	// HostilePages answers DescribeDomainRecords, DescribeSubDomainRecords
	// and DescribeDomains with TotalCount as the total and PageRecords
	// made-up entries on every page asked for (0: empty pages); other
	// actions succeed with a RequestId and a RecordId.
	HostilePages HostileKind = "pages"
	// HostileEcho answers an error (Status, default 400) in Format whose
	// every field repeats the request's x-acs-security-token and the
	// strings in Echo, raw and encoded (percent-encoded; in JSON also with
	// "\/" escapes; in HTML as entities), one copy straddling byte 200 of
	// the body. The X-Acs-Request-Id header repeats the token too.
	HostileEcho HostileKind = "echo"
	// HostileUnknownCodes answers every API request with an error code
	// never answered before ("Hostile.Unknown.1", ".2", ...).
	HostileUnknownCodes HostileKind = "unknown-codes"
)

// Formats of HostileEcho bodies and HostileServer credential answers.
const (
	FormatJSON = "json"
	FormatXML  = "xml"
	FormatHTML = "html"
	FormatText = "text" // key: value lines
)

// Hostile configures a HostileServer.
type Hostile struct {
	Kind HostileKind
	// Status overrides the HTTP status of HostileRedirect and HostileEcho.
	Status int
	// Target is where HostileRedirect points (scheme://host[:port]).
	Target string
	// TotalCount and PageRecords shape HostilePages answers.
	TotalCount  int64
	PageRecords int
	// Format is the body format of HostileEcho (default FormatJSON).
	Format string
	// Echo are further strings HostileEcho repeats (e.g. a secret that a
	// real server never sees, to exercise a client's scrubbing).
	Echo []string
}

// HostileServer is an HTTP server on loopback answering API requests as
// its Hostile says, without checking signatures. It also serves a
// hostile credentials URI at /credentials-uri (see CredentialFormat).
type HostileServer struct {
	// URL is the base URL (http://127.0.0.1:port).
	URL string
	srv *httptest.Server

	mu       sync.Mutex
	h        Hostile
	calls    map[string]int
	unknown  int
	credFmt  string
	issued   []string
	received []http.Header
}

// NewHostileServer starts a HostileServer answering as h says.
func NewHostileServer(h Hostile) *HostileServer {
	s := &HostileServer{h: h, calls: make(map[string]int), credFmt: FormatXML}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down.
func (s *HostileServer) Close() { s.srv.Close() }

// Set replaces the answers.
func (s *HostileServer) Set(h Hostile) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h = h
}

// Calls is the number of API requests received for action ("" = all).
func (s *HostileServer) Calls(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if action == "" {
		n := 0
		for _, c := range s.calls {
			n += c
		}
		return n
	}
	return s.calls[action]
}

// Headers are the headers of every API request received, in order.
func (s *HostileServer) Headers() []http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]http.Header(nil), s.received...)
}

// CredentialFormat sets the format of the credentials URI's answers
// (default FormatXML).
func (s *HostileServer) CredentialFormat(format string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.credFmt = format
}

// IssuedSecrets are the AccessKey secrets and STS tokens the credentials
// URI has put in its answers: none may appear in a client's errors.
func (s *HostileServer) IssuedSecrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}

func (s *HostileServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/credentials-uri" {
		s.serveCredentials(w)
		return
	}
	action := r.Header.Get("X-Acs-Action")
	if action == "" {
		action = r.URL.Query().Get("Action")
	}
	s.mu.Lock()
	s.calls[action]++
	s.received = append(s.received, r.Header.Clone())
	h := s.h
	s.unknown++
	n := s.unknown
	s.mu.Unlock()
	reqID := newRequestID()
	switch h.Kind {
	case HostileRedirect:
		status := h.Status
		if status == 0 {
			status = http.StatusTemporaryRedirect
		}
		w.Header().Set("Location", strings.TrimSuffix(h.Target, "/")+r.URL.RequestURI())
		w.WriteHeader(status)
	case HostilePages:
		writeJSON(w, http.StatusOK, hostilePage(action, r.URL.Query(), h, reqID), reqID)
	case HostileEcho:
		echoes := append([]string{r.Header.Get("X-Acs-Security-Token")}, h.Echo...)
		s.writeEcho(w, h, echoes)
	case HostileUnknownCodes:
		writeJSON(w, http.StatusBadRequest, map[string]any{
			"RequestId": reqID, "Code": "Hostile.Unknown." + strconv.Itoa(n), "Message": "a code no client knows",
		}, reqID)
	default:
		http.Error(w, "HostileServer: no Kind set", http.StatusNotImplemented)
	}
}

// hostilePage is a listing answer with made-up entries.
func hostilePage(action string, q url.Values, h Hostile, reqID string) map[string]any {
	page, _ := strconv.Atoi(q.Get("PageNumber"))
	out := map[string]any{"RequestId": reqID, "TotalCount": h.TotalCount, "PageNumber": page, "PageSize": q.Get("PageSize")}
	entries := make([]map[string]any, 0, h.PageRecords)
	for i := range h.PageRecords {
		id := fmt.Sprintf("%d%06d", page, i)
		if action == "DescribeDomains" {
			entries = append(entries, map[string]any{"DomainName": "z" + id + ".example", "PunyCode": "z" + id + ".example"})
			continue
		}
		entries = append(entries, map[string]any{"RecordId": id, "RR": "r" + id, "Type": "A", "Value": "192.0.2.1", "TTL": 600, "Line": "default", "Status": "ENABLE"})
	}
	switch action {
	case "DescribeDomains":
		out["Domains"] = map[string]any{"Domain": entries}
	case "DescribeDomainRecords", "DescribeSubDomainRecords":
		out["DomainRecords"] = map[string]any{"Record": entries}
	default:
		return map[string]any{"RequestId": reqID, "RecordId": "1"}
	}
	return out
}

// writeEcho writes an error body repeating echoes in every field.
func (s *HostileServer) writeEcho(w http.ResponseWriter, h Hostile, echoes []string) {
	status := h.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	var all []string
	for _, e := range echoes {
		if e != "" {
			all = append(all, e, url.QueryEscape(e))
		}
	}
	text := strings.Join(all, " ")
	if len(echoes) > 0 && echoes[0] != "" {
		w.Header().Set("X-Acs-Request-Id", echoes[0])
	}
	pad := straddle(echoes[0])
	var body string
	switch h.Format {
	case FormatXML:
		w.Header().Set("Content-Type", "text/xml;charset=utf-8")
		body = pad + "<?xml version=\"1.0\"?><Error><RequestId>" + html.EscapeString(text) + "</RequestId><Code>Forbidden.RAM</Code><Message>" +
			html.EscapeString(text) + "</Message><SecurityToken>" + html.EscapeString(text) + "</SecurityToken></Error>"
	case FormatHTML:
		w.Header().Set("Content-Type", "text/html")
		var esc []string
		for _, e := range all {
			esc = append(esc, strings.NewReplacer("+", "&#43;", "/", "&#x2F;", "=", "&#61;").Replace(e))
		}
		body = pad + "<html><body><table><tr><td>x-acs-security-token</td><td>" + strings.Join(esc, " ") + "</td></tr></table></body></html>"
	case FormatText:
		w.Header().Set("Content-Type", "text/plain")
		body = pad + "\nx-acs-security-token: " + text + "\n"
	default:
		detail := map[string]any{"AuthPrincipalType": "SubUser", "AuthPrincipalDisplayName": text, "AuthAction": "alidns:" + text,
			"AuthResource": "acs:alidns:*:*:domain/" + text, "NoPermissionType": "ImplicitDeny", "EncodedDiagnosticMessage": text}
		b, _ := json.Marshal(map[string]any{"RequestId": text, "HostId": text, "Code": "Forbidden.RAM." + text, "Message": pad + text,
			"Recommend": "https://api.aliyun.com/troubleshoot?q=" + text, "AccessDeniedDetail": detail})
		// The same again with "\/" escapes, as some JSON encoders write.
		body = strings.TrimSuffix(string(b), "}") + `,"Escaped":"` + strings.ReplaceAll(text, "/", `\/`) + `"}`
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// serveCredentials answers the credentials URI with a fresh AccessKey pair
// and token in the configured format and HTTP 500 (so credentials-go
// quotes the body in its error); FormatJSON answers 200 with a complete
// pair but no Expiration (quoted too, as an incomplete credential).
func (s *HostileServer) serveCredentials(w http.ResponseWriter) {
	secret, token := "hostile-secret-"+randomHex(12), "hostile-token-"+randomHex(24)
	s.mu.Lock()
	s.issued = append(s.issued, secret, token)
	format := s.credFmt
	s.mu.Unlock()
	id := "STS.hostile" + randomHex(6)
	switch format {
	case FormatJSON:
		writeJSON(w, http.StatusOK, map[string]string{"Code": "Success", "AccessKeyId": id, "AccessKeySecret": secret, "SecurityToken": token}, "")
	case FormatHTML:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "<html><body><h1>Error</h1><table><tr><th>AccessKeyId</th><td>%s</td></tr><tr><th>AccessKeySecret</th><td>%s</td></tr>"+
			"<tr><th>SecurityToken</th><td>%s</td></tr></table></body></html>", id, secret, token)
	case FormatText:
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "AccessKeyId: %s\nAccessKeySecret: %s\nSecurityToken: %s\n", id, secret, token)
	default:
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "<Credentials><AccessKeyId>%s</AccessKeyId><AccessKeySecret>%s</AccessKeySecret><SecurityToken>%s</SecurityToken></Credentials>", id, secret, token)
	}
}

// straddle places copies of tok across bytes 200 and 1000 of the text it
// starts, where a client that cuts server text before scrubbing it would
// split the token into parts it no longer recognises.
func straddle(tok string) string {
	if tok == "" {
		return ""
	}
	var b strings.Builder
	for _, at := range []int{200, 1000} {
		b.WriteString(strings.Repeat("x", max(0, at-8-b.Len())))
		b.WriteString(tok + " ")
	}
	return b.String()
}
