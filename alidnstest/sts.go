package alidnstest

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// DefaultIMDSRole is the RAM role name served by the ECS metadata endpoints.
const DefaultIMDSRole = "sim-ecs-role"

// accessKey is a registered credential. Guarded by Server.mu.
type accessKey struct {
	id      string
	secret  string
	token   string    // STS security token; "" for permanent keys
	expires time.Time // STS expiration (simulator clock)
	allowed map[string]bool
}

// STSCredential is a temporary credential issued by the simulator.
type STSCredential struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
	Expiration      time.Time
}

// AddAccessKey registers a permanent access key (replacing any key with the
// same id).
func (s *Server) AddAccessKey(id, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.keys[id] = &accessKey{id: id, secret: secret}
}

// RevokeAccessKey deletes an access key (permanent or STS); later requests
// signed with it fail with InvalidAccessKeyId.NotFound (HTTP 404).
func (s *Server) RevokeAccessKey(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.st.keys, id)
}

// IssueSTS issues a temporary credential valid for ttl on the simulator
// clock. Requests must carry its SecurityToken; after expiry they fail with
// InvalidSecurityToken.Expired (HTTP 400).
func (s *Server) IssueSTS(ttl time.Duration) STSCredential {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueSTSLocked(ttl)
}

func (s *Server) issueSTSLocked(ttl time.Duration) STSCredential {
	k := &accessKey{
		id:      "STS.sim" + randomHex(10),
		secret:  "sim-sts-secret-" + randomHex(12),
		token:   "sim-sts-token-" + randomHex(32),
		expires: s.now().Add(ttl).UTC().Truncate(time.Second),
	}
	s.st.keys[k.id] = k
	return STSCredential{AccessKeyID: k.id, AccessKeySecret: k.secret, SecurityToken: k.token, Expiration: k.expires}
}

// SetSTSTTL sets the lifetime of credentials issued by the
// /credentials-uri and ECS metadata endpoints.
func (s *Server) SetSTSTTL(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.stsTTL = d
}

// AllowActions restricts an access key to the given actions, like a RAM
// policy; other actions fail with Forbidden.RAM (HTTP 400, with
// AccessDeniedDetail). Repeated calls add actions. Keys never passed to
// AllowActions may call every action. Calling it with no actions denies
// everything.
func (s *Server) AllowActions(keyID string, actions ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.st.keys[keyID]
	if !ok {
		return
	}
	if k.allowed == nil {
		k.allowed = map[string]bool{}
	}
	for _, a := range actions {
		k.allowed[a] = true
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("alidnstest: crypto/rand: " + err.Error())
	}
	return hex.EncodeToString(b)
}

const credTimeLayout = "2006-01-02T15:04:05Z"

// CredentialFetches is how many temporary credentials the credential
// endpoints (credentials URI, ECS metadata, STS AssumeRoleWithOIDC) have
// issued, broken ones included.
func (s *Server) CredentialFetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.credFetches
}

// CredentialRequests lists the requests the credential endpoints received,
// as "METHOD host path" (the host is the one asked for, e.g.
// 100.100.100.200 when the server is used as an HTTP proxy).
func (s *Server) CredentialRequests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.st.credRequests...)
}

// BreakCredentialEndpoints makes the credentials URI and ECS metadata
// endpoints answer (while broken) an incomplete credential: an AccessKey
// pair without SecurityToken and Expiration. A client must refuse it, and
// its error must not quote the secret in it.
func (s *Server) BreakCredentialEndpoints(broken bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.credBroken = broken
}

// logCredentialRequest records a request to a credential endpoint.
func (s *Server) logCredentialRequest(r *http.Request) {
	host := r.URL.Host
	if host == "" {
		host = r.Host
	}
	s.mu.Lock()
	s.st.credRequests = append(s.st.credRequests, r.Method+" "+host+" "+r.URL.Path)
	s.mu.Unlock()
}

// issueForEndpoint issues a credential for a credential endpoint: the
// fields of its answer, with lastUpdated set when asked.
func (s *Server) issueForEndpoint(lastUpdated bool) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.credFetches++
	c := s.issueSTSLocked(s.st.stsTTL)
	if s.st.credBroken {
		return map[string]string{"Code": "Success", "AccessKeyId": c.AccessKeyID, "AccessKeySecret": c.AccessKeySecret}
	}
	out := map[string]string{
		"Code":            "Success",
		"AccessKeyId":     c.AccessKeyID,
		"AccessKeySecret": c.AccessKeySecret,
		"SecurityToken":   c.SecurityToken,
		"Expiration":      c.Expiration.UTC().Format(credTimeLayout),
	}
	if lastUpdated {
		out["LastUpdated"] = s.now().UTC().Format(credTimeLayout)
	}
	return out
}

// serveCredentialsURI serves GET /credentials-uri in the credentials-go
// "credentials URI" format, issuing a fresh STS credential each call.
func (s *Server) serveCredentialsURI(w http.ResponseWriter, r *http.Request) {
	s.logCredentialRequest(r)
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	writeJSON(w, http.StatusOK, s.issueForEndpoint(false), "")
}

// serveAssumeRoleWithOIDC answers STS AssumeRoleWithOIDC for the trust
// given with WithOIDC.
func (s *Server) serveAssumeRoleWithOIDC(w http.ResponseWriter, r *http.Request) {
	s.logCredentialRequest(r)
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"Code": "InvalidParameter", "Message": "POST a form"}, "")
		return
	}
	trust := s.cfg.oidc
	f := r.PostForm
	if f.Get("OIDCToken") != trust.Token || f.Get("RoleArn") != trust.RoleArn || f.Get("OIDCProviderArn") != trust.ProviderArn {
		writeJSON(w, http.StatusBadRequest, map[string]string{"Code": "AuthenticationFail.OIDCToken.Invalid", "Message": "the OIDC token, role or provider does not match the trust"}, "")
		return
	}
	c := s.issueForEndpoint(false)
	delete(c, "Code")
	writeJSON(w, http.StatusOK, map[string]any{"RequestId": newRequestID(), "Credentials": c}, "")
}

const imdsTokenHeader = "X-Aliyun-Ecs-Metadata-Token"

// serveIMDS serves the subset of the ECS instance metadata service used by
// credentials-go's ECS RAM role provider. IMDSv2 tokens are optional; when a
// token is sent it must have been issued and not be expired.
func (s *Server) serveIMDS(w http.ResponseWriter, r *http.Request) {
	s.logCredentialRequest(r)
	const credPrefix = "/latest/meta-data/ram/security-credentials/"
	if r.URL.Path == "/latest/api/token" {
		if r.Method != http.MethodPut {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		ttl := 21600 * time.Second
		if v := r.Header.Get("X-Aliyun-Ecs-Metadata-Token-Ttl-Seconds"); v != "" {
			if d, err := time.ParseDuration(v + "s"); err == nil && d > 0 {
				ttl = d
			}
		}
		tok := "sim-imds-" + randomHex(16)
		s.mu.Lock()
		s.st.imdsTok[tok] = time.Now().Add(ttl)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte(tok))
		return
	}
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if tok := r.Header.Get(imdsTokenHeader); tok != "" {
		s.mu.Lock()
		exp, ok := s.st.imdsTok[tok]
		s.mu.Unlock()
		if !ok || time.Now().After(exp) {
			http.Error(w, "invalid metadata token", http.StatusUnauthorized)
			return
		}
	}
	if !strings.HasPrefix(r.URL.Path, credPrefix) {
		http.NotFound(w, r)
		return
	}
	role := strings.TrimPrefix(r.URL.Path, credPrefix)
	if role == "" {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte(s.cfg.imdsRole))
		return
	}
	if role != s.cfg.imdsRole {
		http.NotFound(w, r)
		return
	}
	writeJSON(w, http.StatusOK, s.issueForEndpoint(true), "")
}
