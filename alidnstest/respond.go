package alidnstest

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// newRequestID returns a fresh upper-case UUID-v4-like request id.
func newRequestID() string {
	h := []byte(strings.ToUpper(randomHex(16)))
	h[12] = '4'
	h[16] = "89AB"[h[16]%4]
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
}

// writeJSON writes v as a JSON response.
func writeJSON(w http.ResponseWriter, status int, v any, requestID string) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"Code":"InternalError","Message":"simulator could not encode its response"}`)
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	if requestID != "" {
		w.Header().Set("X-Acs-Request-Id", requestID)
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeXML writes v (a JSON-like map) as an XML document with the given root
// element. Arrays become repeated elements named after their key, which
// matches the Alidns XML shape (e.g. <DomainRecords><Record>…</Record>…).
func writeXML(w http.ResponseWriter, status int, root string, v map[string]any, requestID string) {
	// Normalize through JSON so that any value shape is handled uniformly.
	raw, err := json.Marshal(v)
	var generic any
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		err = dec.Decode(&generic)
	}
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"Code": "InternalError"}, requestID)
		return
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
	xmlValue(&b, root, generic)
	w.Header().Set("Content-Type", "text/xml;charset=utf-8")
	w.Header().Set("X-Acs-Request-Id", requestID)
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

func xmlValue(b *bytes.Buffer, name string, v any) {
	if arr, ok := v.([]any); ok {
		for _, item := range arr {
			xmlValue(b, name, item)
		}
		return
	}
	b.WriteString("<" + name + ">")
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			xmlValue(b, k, t[k])
		}
	case string:
		xmlEscape(b, t)
	case json.Number:
		b.WriteString(t.String())
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case nil:
	default:
		xmlEscape(b, fmt.Sprint(t))
	}
	b.WriteString("</" + name + ">")
}

func xmlEscape(b *bytes.Buffer, s string) {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")
	b.WriteString(r.Replace(s))
}

// stampDate sets the Date header of an API answer from the simulator's
// clock, as any HTTP server sets it from its own: clients read the
// server's time from it (to tell whether a record was created after a
// request left, whatever the clock skew), and WithClock must reach it.
func (s *Server) stampDate(w http.ResponseWriter) {
	w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
}

// respond writes the API response (success or error) and logs the call.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, req *apiRequest, call Call, resp map[string]any, e *apiError) {
	s.stampDate(w)
	status := http.StatusOK
	root := req.action + "Response"
	var body map[string]any
	if e != nil {
		status = e.Status
		root = "Error"
		body = map[string]any{
			"RequestId": call.RequestID,
			"HostId":    r.Host,
			"Code":      e.Code,
			"Message":   e.Message,
			"Recommend": "https://api.aliyun.com/troubleshoot?q=" + e.Code + "&product=Alidns&requestId=" + call.RequestID,
		}
		if e.Detail != nil {
			body["AccessDeniedDetail"] = e.Detail
		}
		for k, v := range e.headers {
			w.Header().Set(k, v)
		}
		if e.canonical != "" {
			w.Header().Set("X-Sim-Canonical-Request", strconv.Quote(e.canonical))
		}
		call.Code = e.Code
	} else {
		body = resp
		if body == nil {
			body = map[string]any{}
		}
		body["RequestId"] = call.RequestID
	}
	if e == nil && req.action == "" {
		root = "Response"
	}
	if req.xml && req.scheme != schemeV3 {
		writeXML(w, status, root, body, call.RequestID)
	} else {
		writeJSON(w, status, body, call.RequestID)
	}
	call.Status = status
	call.Duration = time.Since(call.Start)
	s.logCall(call)
}

// dropConn closes the client connection without answering (a simulated
// network failure) and logs the call with Code CodeDropped.
func (s *Server) dropConn(w http.ResponseWriter, call Call) {
	call.Code = CodeDropped
	call.Duration = time.Since(call.Start)
	s.logCall(call)
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0) // reset instead of an orderly close
	}
	_ = conn.Close()
}

// gatewayPage is the body of a FaultGatewayHTML answer, as nginx writes it.
const gatewayPage = `<html>
<head><title>%d %s</title></head>
<body>
<center><h1>%d %s</h1></center>
<hr><center>nginx</center>
</body>
</html>
`

// answerFault answers a call with a non-API fault (FaultGatewayHTML,
// FaultEmptyError, FaultEmptyOK, FaultReset) and logs it.
func (s *Server) answerFault(w http.ResponseWriter, r *http.Request, req *apiRequest, call Call, in Injection) {
	call.Fault = in.Kind
	switch in.Kind {
	case FaultReset:
		s.dropConn(w, call)
		return
	case FaultAPIError:
		s.respond(w, r, req, call, nil, injectedError(in))
		return
	}
	s.stampDate(w)
	switch in.Kind {
	case FaultGatewayHTML:
		status := in.Status
		if status == 0 {
			status = http.StatusBadGateway
		}
		text := http.StatusText(status)
		body := fmt.Sprintf(gatewayPage, status, text, status, text)
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Server", "nginx")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
		call.Status, call.Code = status, CodeGatewayHTML
	case FaultEmptyError:
		status := in.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(status)
		call.Status, call.Code = status, CodeEmptyError
	case FaultEmptyOK:
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		call.Status, call.Code = http.StatusOK, CodeEmptyOK
	default: // FaultSlow is handled by the caller
		panic("alidnstest: answerFault: unexpected kind " + string(in.Kind))
	}
	call.Duration = time.Since(call.Start)
	s.logCall(call)
}
