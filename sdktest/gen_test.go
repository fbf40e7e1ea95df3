package sdktest

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"strings"
)

// gen produces deterministic pseudo-random signing inputs. The alphabet
// is weighted towards the characters that break naive encoders.
type gen struct{ r *rand.Rand }

func newGen(seed uint64) *gen { return &gen{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

// valueAtoms are the pieces values are assembled from: unreserved ASCII,
// every reserved character the encoders treat specially, percent
// sequences that look already encoded, multi-byte UTF-8 (é, CJK, emoji,
// a combining mark), control bytes and invalid UTF-8.
var valueAtoms = []string{
	"a", "Z", "q", "0", "9", "-", "_", ".", "~",
	" ", "  ", "*", "/", "+", "=", "&", "%", "?", "#", "@", ":", ";", ",", "!", "$", "'", "(", ")", "[", "]", "\"", "<", ">", "\\", "^", "`", "{", "}", "|",
	"%20", "%2A", "%7E", "%7e", "%25", "+%", "%%",
	"é", "ü", "ß", "中", "文", "解析", "日本語", "한", "😀", "🇨🇳", "e\u0301", "\u00a0", "\u200b",
	"\t", "\n", "\x00", "\x7f", "\xff", "\xc3",
	"_acme-challenge", "www", "example.com", "abc def/+=*~", "v=spf1 include:_spf.example.com ~all",
}

// nameAtoms build parameter and header names. Real Alidns parameter names
// only use RFC 3986 unreserved characters (letters, digits, "." as in
// Tag.1.Key), which is also the only alphabet on which the darabonba V3
// signer encodes names correctly (see TestV3NameEncodingDivergence).
var nameAtoms = []string{
	"Domain", "Name", "RR", "Type", "Value", "TTL", "Line", "Priority", "Page", "Size", "Key", "Word",
	"Tag", ".", "1", "2", "10", "-", "_", "~", "a", "B", "z", "Z", "x",
}

var realNames = []string{
	"DomainName", "RR", "Type", "Value", "TTL", "Line", "Priority", "RecordId", "PageNumber", "PageSize",
	"RRKeyWord", "TypeKeyWord", "ValueKeyWord", "KeyWord", "SearchMode", "SubDomain", "Status",
	"InputString", "NeedDetailAttributes", "Lang", "UserClientIp", "Tag.1.Key", "Tag.1.Value",
	"Tag.10.Key", "Tag.2.Key", "GroupId", "OrderBy", "Direction",
}

func (g *gen) intn(n int) int { return g.r.IntN(n) }

func (g *gen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

// value returns a value of 0..maxAtoms atoms; about one in eight is empty.
func (g *gen) value(maxAtoms int) string {
	if g.intn(8) == 0 {
		return ""
	}
	var b strings.Builder
	for n := 1 + g.intn(maxAtoms); n > 0; n-- {
		b.WriteString(g.pick(valueAtoms))
	}
	return b.String()
}

// name returns a non-empty parameter name over the unreserved alphabet.
func (g *gen) name() string {
	if g.intn(2) == 0 {
		return g.pick(realNames)
	}
	var b strings.Builder
	for n := 1 + g.intn(4); n > 0; n-- {
		b.WriteString(g.pick(nameAtoms))
	}
	return b.String()
}

// headerName returns a lower-case x-acs-* header name made of token
// characters.
func (g *gen) headerName() string {
	const alpha = "abcdefghijklmnopqrstuvwxyz0123456789-"
	n := 1 + g.intn(12)
	b := []byte("x-acs-")
	for i := 0; i < n; i++ {
		b = append(b, alpha[g.intn(len(alpha))])
	}
	return string(b)
}

// token returns an STS-token-like string (base64 alphabet, with + / =).
func (g *gen) token() string {
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
	b := []byte("STS.")
	for n := 20 + g.intn(200); n > 0; n-- {
		b = append(b, alpha[g.intn(len(alpha))])
	}
	return string(b)
}

// secret returns an AccessKeySecret; sometimes with non-ASCII bytes.
func (g *gen) secret() string {
	if g.intn(4) == 0 {
		return g.value(6)
	}
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 30)
	for i := range b {
		b[i] = alpha[g.intn(len(alpha))]
	}
	return string(b)
}

func (g *gen) keyID() string {
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := []byte("LTAI")
	for n := 12 + g.intn(12); n > 0; n-- {
		b = append(b, alpha[g.intn(len(alpha))])
	}
	return string(b)
}

func (g *gen) hexN(n int) string {
	b := make([]byte, n/2)
	for i := range b {
		b[i] = byte(g.r.UintN(256))
	}
	return hex.EncodeToString(b)
}

func (g *gen) payloadHash() string {
	if g.intn(3) == 0 {
		return emptyHash
	}
	sum := sha256.Sum256([]byte(g.value(10)))
	return hex.EncodeToString(sum[:])
}

// params returns 0..maxN parameters with distinct names.
func (g *gen) params(maxN int) map[string]string {
	m := make(map[string]string)
	for n := g.intn(maxN + 1); n > 0; n-- {
		m[g.name()] = g.value(8)
	}
	return m
}

const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// isUnreserved reports whether s consists of RFC 3986 unreserved bytes.
func isUnreserved(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
			return false
		}
	}
	return true
}
