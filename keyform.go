package alidns

import "strings"

// What an AccessKey looks like, to catch the ID and the secret given in
// each other's place before the first certificate, and to show an ID
// without ever showing part of a secret. Alibaba Cloud AccessKey IDs of
// RAM users start with "LTAI" and those of STS credentials with "STS."
// (see "Create an AccessKey pair" and the STS AssumeRole response in the
// Alibaba Cloud documentation); secrets are random letters and digits.

// keyIDPrefixes are the prefixes of AccessKey IDs.
var keyIDPrefixes = []string{"LTAI", "STS."}

// hasKeyIDForm reports whether v has the form of an AccessKey ID.
func hasKeyIDForm(v string) bool {
	for _, p := range keyIDPrefixes {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	return false
}

// swappedKeys reports whether an AccessKey pair was given the wrong way
// round: the secret has the form of an ID and the ID does not. Values
// holding a placeholder are judged once it is expanded.
func swappedKeys(id, secret string) bool {
	if strings.Contains(id, "{") || strings.Contains(secret, "{") {
		return false
	}
	return hasKeyIDForm(secret) && !hasKeyIDForm(id)
}

// describeKeyID names an AccessKey ID for the check's report: enough of
// it to tell keys apart when it has an ID's form, nothing when it does
// not, since it may then be a secret given in its place.
func describeKeyID(id string) string {
	switch {
	case !hasKeyIDForm(id):
		return "AccessKey ID not shown (it does not start with LTAI or STS. as AccessKey IDs do)"
	case len(id) < 10:
		return "AccessKey ID " + id[:4] + "…"
	}
	return "AccessKey ID " + id[:4] + "…" + id[len(id)-3:]
}
