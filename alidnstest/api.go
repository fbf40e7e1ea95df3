package alidnstest

import (
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	schemeV3  = "V3"
	schemeRPC = "RPC"

	maxBodyBytes = 1 << 20
	clockSkew    = 15 * time.Minute
	nonceWindow  = 15 * time.Minute
	tsLayout     = "2006-01-02T15:04:05Z"
)

// commonParams are protocol parameters that Call.Params leaves out.
var commonParams = map[string]bool{
	"Action": true, "Version": true, "AccessKeyId": true, "Signature": true,
	"SignatureMethod": true, "SignatureVersion": true, "SignatureNonce": true,
	"SignatureType": true, "Timestamp": true, "Format": true,
	"SecurityToken": true, "RegionId": true, "Lang": true, "UserClientIp": true,
}

// apiRequest is a parsed (not yet authenticated) API request.
type apiRequest struct {
	scheme  string
	action  string
	version string
	keyID   string
	params  url.Values // query ∪ form body
	query   url.Values
	body    []byte
	xml     bool
	auth    v3Authorization
	authErr error
}

// parseAPIRequest extracts the scheme, action and parameters of r.
func parseAPIRequest(r *http.Request, body []byte) *apiRequest {
	q := r.URL.Query()
	req := &apiRequest{query: q, params: url.Values{}, body: body}
	for k, v := range q {
		req.params[k] = append(req.params[k], v...)
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" && len(body) > 0 {
		if form, err := url.ParseQuery(string(body)); err == nil {
			for k, v := range form {
				req.params[k] = append(req.params[k], v...)
			}
		}
	}
	if h := r.Header.Get("Authorization"); strings.HasPrefix(strings.TrimSpace(h), v3Algorithm) {
		req.scheme = schemeV3
		req.action = r.Header.Get("x-acs-action")
		req.version = r.Header.Get("x-acs-version")
		req.auth, req.authErr = parseV3Authorization(h)
		req.keyID = req.auth.KeyID
		return req
	}
	req.action = req.params.Get("Action")
	req.version = req.params.Get("Version")
	req.keyID = req.params.Get("AccessKeyId")
	req.xml = !strings.EqualFold(req.params.Get("Format"), "JSON")
	if req.params.Has("SignatureMethod") || req.params.Has("Signature") {
		req.scheme = schemeRPC
	}
	return req
}

// businessParams returns a copy of the parameters without protocol ones.
func businessParams(p url.Values) url.Values {
	out := url.Values{}
	for k, v := range p {
		if !commonParams[k] {
			out[k] = append([]string(nil), v...)
		}
	}
	return out
}

// serveAPI handles one Alidns API request end to end.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	req := parseAPIRequest(r, body)
	call := Call{
		Action:      req.action,
		Params:      businessParams(req.params),
		AccessKeyID: req.keyID,
		Scheme:      req.scheme,
		RequestID:   newRequestID(),
		Start:       start,
	}

	latency, drop := s.preFaults()
	if latency > 0 && !s.hold(r, latency, &call) {
		return
	}
	if drop {
		s.dropConn(w, call)
		return
	}

	var resp map[string]any
	e := s.checkRequest(r, req)
	if e == nil {
		if in, ok := s.takeBefore(req.action); ok {
			call.Fault = in.Kind
			switch in.Kind {
			case FaultSlow:
				if !s.hold(r, in.Delay, &call) {
					return // the client gave up: nothing was applied
				}
			case FaultAPIError:
				e = injectedError(in)
			default:
				s.answerFault(w, r, req, call, in)
				return
			}
		}
	}
	if e == nil {
		spec := actions[req.action]
		var after *Injection
		var fault *Injection
		s.mu.Lock()
		e, fault = s.beforeFaults(req.action)
		if e == nil && fault == nil {
			resp, e = spec.handler(s, &actx{p: req.params, now: s.now(), action: req.action, rd: s.rd})
			if e == nil {
				after = s.afterFaults(req.action)
			}
		}
		s.mu.Unlock()
		switch {
		case fault != nil:
			call.Fault = fault.Kind
			s.answerFault(w, r, req, call, *fault)
			return
		case after != nil:
			call.Fault, call.AfterApply = after.Kind, true
			switch after.Kind {
			case FaultAPIError:
				e, resp = injectedError(*after), nil
			case FaultSlow:
				if !s.hold(r, after.Delay, &call) {
					return // the change stays applied; the answer is lost
				}
			default:
				s.answerFault(w, r, req, call, *after)
				return
			}
		}
	}
	s.respond(w, r, req, call, resp, e)
}

// hold waits for d, or until the client goes away; then it logs the call
// with Code "ClientGone" and reports false.
func (s *Server) hold(r *http.Request, d time.Duration, call *Call) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		call.Code = "ClientGone"
		call.Duration = time.Since(call.Start)
		s.logCall(*call)
		return false
	}
}

// checkRequest authenticates and authorizes a request and validates its
// protocol-level parameters.
func (s *Server) checkRequest(r *http.Request, req *apiRequest) *apiError {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return errCode("UnsupportedHTTPMethod")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var k *accessKey
	var e *apiError
	switch req.scheme {
	case schemeV3:
		k, e = s.verifyV3(r, req)
	case schemeRPC:
		k, e = s.verifyRPC(r, req)
	default:
		if h := r.Header.Get("Authorization"); h != "" {
			return errCodef("IncompleteSignature", "The request signature does not conform to Aliyun standards: unsupported Authorization algorithm.")
		}
		if req.keyID == "" {
			return errMissing("AccessKeyId")
		}
		return errMissing("Signature")
	}
	if e != nil {
		return e
	}
	switch {
	case req.version == "":
		return errMissing("Version")
	case req.version != APIVersion:
		return errCodef("InvalidVersion", "Specified parameter Version is not valid. Only %s is supported.", APIVersion)
	case req.action == "":
		return errMissing("Action")
	}
	if _, ok := actions[req.action]; !ok {
		return errCodef("InvalidAction.NotFound", "Specified api %s is not found, please check your url and method.", req.action)
	}
	if k.allowed != nil && !k.allowed[req.action] {
		e := errCode("Forbidden.RAM")
		ptype := "SubUser"
		if k.token != "" {
			ptype = "AssumedRoleUser"
		}
		e.Detail = map[string]string{
			"AuthPrincipalOwnerId":     "1000000000000000",
			"AuthPrincipalType":        ptype,
			"AuthPrincipalDisplayName": k.id,
			"NoPermissionType":         "ImplicitDeny",
			"PolicyType":               "AccountLevelIdentityBasedPolicy",
			"AuthAction":               "alidns:" + req.action,
			"EncodedDiagnosticMessage": "c2ltdWxhdGVkIFJBTSBkZW55",
		}
		return e
	}
	return nil
}

// verifyRPC checks an RPC HMAC-SHA1 (SignatureVersion 1.0) request. Called
// with s.mu held.
func (s *Server) verifyRPC(r *http.Request, req *apiRequest) (*accessKey, *apiError) {
	p := req.params
	for _, name := range []string{"AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp"} {
		if p.Get(name) == "" {
			return nil, errMissing(name)
		}
	}
	if m := p.Get("SignatureMethod"); m != "HMAC-SHA1" {
		return nil, errInvalid("SignatureMethod", "Only HMAC-SHA1 is supported.")
	}
	if v := p.Get("SignatureVersion"); v != "1.0" {
		return nil, errInvalid("SignatureVersion", "Only 1.0 is supported.")
	}
	k, ok := s.st.keys[req.keyID]
	if !ok {
		return nil, errCode("InvalidAccessKeyId.NotFound")
	}
	sts := rpcStringToSign(r.Method, p)
	if !equalSignature(rpcSign(k.secret, sts), p.Get("Signature")) {
		e := errCode("SignatureDoesNotMatch")
		e.Message += " server string to sign is:" + sts
		return nil, e
	}
	if e := s.checkCommon(k, p.Get("SecurityToken"), p.Get("Timestamp"), p.Get("SignatureNonce")); e != nil {
		return nil, e
	}
	return k, nil
}

// verifyV3 checks an ACS3-HMAC-SHA256 request. Called with s.mu held.
func (s *Server) verifyV3(r *http.Request, req *apiRequest) (*accessKey, *apiError) {
	if req.authErr != nil {
		return nil, errCodef("IncompleteSignature", "The request signature does not conform to Aliyun standards: %v.", req.authErr)
	}
	required := []string{"x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"}
	for _, h := range required {
		if r.Header.Get(h) == "" {
			return nil, errMissing(h)
		}
	}
	if r.Header.Get("x-acs-security-token") != "" {
		required = append(required, "x-acs-security-token")
	}
	for _, h := range append(required, "host") {
		if !req.auth.signs(h) {
			return nil, errCodef("IncompleteSignature", "The request signature does not conform to Aliyun standards: header %q must be listed in SignedHeaders.", h)
		}
	}
	k, ok := s.st.keys[req.keyID]
	if !ok {
		return nil, errCode("InvalidAccessKeyId.NotFound")
	}
	actual := payloadHash(req.body)
	claimed := strings.TrimSpace(r.Header.Get("x-acs-content-sha256"))
	canon := v3CanonicalRequest(r, req.query, req.auth, claimed)
	sts := v3StringToSign(canon)
	if claimed != actual {
		canon = v3CanonicalRequest(r, req.query, req.auth, actual)
		e := errCode("SignatureDoesNotMatch")
		e.Message += " The x-acs-content-sha256 header does not match the SHA-256 of the request body. server string to sign is:" + v3StringToSign(canon)
		e.canonical = canon
		return nil, e
	}
	if !equalSignature(v3Sign(k.secret, sts), req.auth.Signature) {
		e := errCode("SignatureDoesNotMatch")
		e.Message += " server string to sign is:" + sts
		e.canonical = canon
		return nil, e
	}
	if e := s.checkCommon(k, r.Header.Get("x-acs-security-token"), r.Header.Get("x-acs-date"), r.Header.Get("x-acs-signature-nonce")); e != nil {
		return nil, e
	}
	return k, nil
}

// checkCommon applies the STS token, timestamp and nonce checks shared by
// both schemes, and records the nonce. Called with s.mu held.
func (s *Server) checkCommon(k *accessKey, token, ts, nonce string) *apiError {
	now := s.now()
	switch {
	case k.token == "" && token != "":
		return errCodef("InvalidSecurityToken.MismatchWithAccessKey", "Specified SecurityToken is not valid for a permanent AccessKey.")
	case k.token != "" && token == "":
		return errCode("MissingSecurityToken")
	case k.token != "" && !equalSignature(k.token, token):
		return errCode("InvalidSecurityToken.MismatchWithAccessKey")
	case k.token != "" && !now.Before(k.expires):
		return errCodef("InvalidSecurityToken.Expired", "Specified SecurityToken is expired (expiration %s).", k.expires.UTC().Format(tsLayout))
	}
	t, err := time.Parse(tsLayout, ts)
	if err != nil {
		return errCodef("InvalidTimeStamp.Format", "Specified time stamp or date value %q is not well formatted; use %s in UTC.", ts, "YYYY-MM-DDThh:mm:ssZ")
	}
	if d := now.Sub(t); d > clockSkew || d < -clockSkew {
		return errCodef("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired. Server time is %s, request time is %s.", now.UTC().Format(tsLayout), ts)
	}
	if now.Sub(s.st.noncePurg) > time.Minute {
		for n, at := range s.st.nonces {
			if now.Sub(at) > nonceWindow {
				delete(s.st.nonces, n)
			}
		}
		s.st.noncePurg = now
	}
	nk := k.id + "\x00" + nonce
	if at, ok := s.st.nonces[nk]; ok && now.Sub(at) <= nonceWindow {
		return errCode("SignatureNonceUsed")
	}
	s.st.nonces[nk] = now
	return nil
}
