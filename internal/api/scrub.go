package api

import (
	"html"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Text the server sends back (error messages, request ids, gateway pages)
// can quote the request, and so the STS token or even the secret: a
// signature-mismatch message quotes the string to sign, a WAF page may
// reflect the request headers. Every piece of such text is scrubbed of
// the credential in use before it is kept, and only then cut to length,
// so that no cut can split a secret into a part the scrubber no longer
// recognises.

// scrubPrefixLen is how much of the start of a secret counts as the
// secret: a server (or a cut) that truncates an echoed token still leaves
// its start, which must not appear either.
const scrubPrefixLen = 8

// maxScrubScan bounds how much of a non-API body is scrubbed (and so can
// be shown at all): the rest is never displayed.
const maxScrubScan = 64 << 10

const (
	redacted = "[redacted]"
	// withheld replaces a whole piece of text that still holds a secret
	// in an encoding the scrubber does not rewrite.
	withheld = "[withheld: the server's text quoted a credential]"
)

// scrubber removes one credential's secret material from server text.
type scrubber struct {
	secrets []string // the secret and the token (raw), long enough to matter
	forms   []string // every encoded form of them that is replaced, longest first
}

func newScrubber(cred Credential) scrubber {
	var s scrubber
	for _, secret := range []string{cred.AccessKeySecret, cred.SecurityToken} {
		if len(secret) < 4 {
			continue
		}
		s.secrets = append(s.secrets, secret)
		s.forms = append(s.forms, encodedForms(secret)...)
	}
	// Longest first, so that a form containing another is replaced whole.
	for i := 1; i < len(s.forms); i++ {
		for j := i; j > 0 && len(s.forms[j]) > len(s.forms[j-1]); j-- {
			s.forms[j], s.forms[j-1] = s.forms[j-1], s.forms[j]
		}
	}
	return s
}

// encodedForms are the ways a secret is seen echoed: as sent (headers),
// percent-encoded once or twice (the signed query and the canonical
// request quoted by signature errors), with lower-case hex, and escaped
// for JSON and HTML.
func encodedForms(secret string) []string {
	pe := PercentEncode(secret)
	forms := []string{
		secret, pe, PercentEncode(pe), strings.ToLower(pe),
		strings.ReplaceAll(secret, "/", `\/`),
		html.EscapeString(secret),
	}
	seen := make(map[string]bool, len(forms))
	out := forms[:0]
	for _, f := range forms {
		if f != "" && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// clean returns s without the credential's secret material: every known
// encoding of a secret, and the token run starting with a secret's first
// scrubPrefixLen characters, become [redacted]. Text that still decodes
// (percent, JSON or HTML escapes) to a secret or its start is withheld
// whole.
func (sc scrubber) clean(s string) string {
	if len(sc.secrets) == 0 || s == "" {
		return s
	}
	for _, f := range sc.forms {
		s = strings.ReplaceAll(s, f, redacted)
	}
	for _, secret := range sc.secrets {
		s = redactRuns(s, secret[:min(len(secret), scrubPrefixLen)])
	}
	if sc.leaks(s) {
		return withheld
	}
	return s
}

// cut is clean followed by cutting to at most n bytes (on a rune
// boundary), with "…" marking a cut.
func (sc scrubber) cut(s string, n int) string {
	if len(s) > maxScrubScan {
		// Past what is ever shown; cleaning it would only cost time. A
		// secret straddling this point leaves its start, which clean
		// redacts.
		s = s[:maxScrubScan]
	}
	return truncate(sc.clean(s), n)
}

// leaks reports whether s, decoded in any of the ways a server may have
// escaped a secret, contains one (or its start).
func (sc scrubber) leaks(s string) bool {
	return anyDecoding(s, 3, func(d string) bool {
		for _, secret := range sc.secrets {
			if strings.Contains(d, secret[:min(len(secret), scrubPrefixLen)]) {
				return true
			}
		}
		return false
	})
}

// anyDecoding reports whether found holds for s or for any decoding of s
// by up to depth rounds of percent, JSON and HTML unescaping.
func anyDecoding(s string, depth int, found func(string) bool) bool {
	if found(s) {
		return true
	}
	if depth == 0 || !strings.ContainsAny(s, `%\&`) {
		return false
	}
	for _, dec := range []func(string) string{percentDecode, jsonUnescape, html.UnescapeString} {
		if d := dec(s); d != s && anyDecoding(d, depth-1, found) {
			return true
		}
	}
	return false
}

// redactRuns replaces every run of token characters that contains prefix
// (from the prefix's start) with [redacted].
func redactRuns(s, prefix string) string {
	if prefix == "" || !strings.Contains(s, prefix) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, prefix)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(redacted)
		j := i + len(prefix)
		for j < len(s) && isTokenByte(s[j]) {
			j++
		}
		s = s[j:]
	}
}

// isTokenByte reports whether c can be part of a secret, a token or one
// of their encodings.
func isTokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("+/=-_.~%", c) >= 0
}

// percentDecode decodes every valid %XX escape and leaves the rest.
func percentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// jsonUnescape decodes JSON string escapes (\/, \", \\, \uXXXX, ...) and
// leaves malformed ones.
func jsonUnescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch c := s[i+1]; c {
		case '/', '"', '\\':
			b.WriteByte(c)
			i++
		case 'n', 't', 'r', 'b', 'f':
			b.WriteByte("\n\t\r\b\f"[strings.IndexByte("ntrbf", c)])
			i++
		case 'u':
			if i+5 < len(s) {
				if v, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil {
					b.WriteRune(rune(v))
					i += 5
					continue
				}
			}
			b.WriteByte(s[i])
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
