package alidns

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// Env files for `caddy alidns check/zones --envfile` are read exactly as
// `caddy run --envfile` reads them, so that the check sees the variables
// Caddy will see. Caddy's parser (parseEnvFile in
// github.com/caddyserver/caddy/v2/cmd/main.go, v2.11.9) is not exported,
// so parseCaddyEnvFile mirrors it line for line, quirks included:
//
//   - lines are trimmed; blank lines and lines starting with # are skipped;
//   - KEY=VALUE is cut at the first "="; "export " is removed from the key;
//     a key containing a space, or a value starting with a space or tab,
//     is an error;
//   - everything from the first "#" of the value on is dropped, even
//     inside quotes ("a#b" reads as a);
//   - a value starting with " or ' continues on the following lines until
//     a line ends with that quote, which is then removed, with \" (or \')
//     unescaped; an unclosed quote runs to the end of the file;
//   - a key given twice takes its last value; a UTF-8 BOM is not removed
//     (the first key then starts with U+FEFF);
//   - variables already set in the environment are not overridden, so with
//     several files the first one to set a variable wins.
//
// The e2e test TestEnvFileParity compares the result with `caddy environ
// --envfile` on a corpus of tricky files, so a change in Caddy is caught.

// parseCaddyEnvFile parses an env file as caddy run --envfile does.
func parseCaddyEnvFile(envInput io.Reader) (map[string]string, error) {
	envMap := make(map[string]string)
	scanner := bufio.NewScanner(envInput)
	var lineNumber int
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		lineNumber++
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, val, isCut := strings.Cut(line, "=")
		if !isCut {
			return nil, fmt.Errorf("can't parse line %d; line should be in KEY=VALUE format", lineNumber)
		}
		key = strings.TrimPrefix(key, "export ")
		if key == "" {
			return nil, fmt.Errorf("missing or empty key on line %d", lineNumber)
		}
		if strings.Contains(key, " ") {
			return nil, fmt.Errorf("invalid key on line %d: contains whitespace: %s", lineNumber, key)
		}
		if strings.HasPrefix(val, " ") || strings.HasPrefix(val, "\t") {
			// Caddy quotes the value here; a value may be a secret.
			return nil, fmt.Errorf("invalid value on line %d: whitespace before value", lineNumber)
		}
		if commentStart, _, found := strings.Cut(val, "#"); found {
			val = strings.TrimRight(commentStart, " \t")
		}
		if strings.HasPrefix(val, `"`) || strings.HasPrefix(val, "'") {
			quote := string(val[0])
			for !strings.HasSuffix(line, quote) || strings.HasSuffix(line, `\`+quote) {
				val = strings.ReplaceAll(val, `\`+quote, quote)
				if !scanner.Scan() {
					break
				}
				lineNumber++
				line = strings.ReplaceAll(scanner.Text(), `\`+quote, quote)
				val += "\n" + line
			}
			val = strings.TrimPrefix(val, quote)
			val = strings.TrimSuffix(val, quote)
		}
		envMap[key] = val
	}
	if err := scanner.Err(); err != nil {
		return nil, err
	}
	return envMap, nil
}

// envFileWarnings are the places where Caddy's reading of an env file
// most likely differs from what its author meant, named by line and
// variable, never by value.
func envFileWarnings(content string) []string {
	var out []string
	if strings.HasPrefix(content, "\ufeff") {
		out = append(out, "the file starts with a UTF-8 byte order mark (BOM): Caddy reads the first variable's name with it, so that variable is not set; save the file as UTF-8 without BOM")
	}
	for i, l := range strings.Split(content, "\n") {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		key, val, ok := strings.Cut(t, "=")
		if !ok {
			continue
		}
		key = strings.TrimPrefix(strings.TrimPrefix(key, "\ufeff"), "export ")
		quoted := strings.HasPrefix(val, `"`) || strings.HasPrefix(val, "'")
		if j := strings.IndexByte(val, '#'); j >= 0 && (quoted || (j > 0 && val[j-1] != ' ' && val[j-1] != '\t')) {
			out = append(out, fmt.Sprintf("line %d: Caddy cuts the value of %s at its '#' (even inside quotes); a value holding '#' cannot be given in an env file, set it in the environment instead", i+1, key))
		}
	}
	return out
}

// loadEnvFile sets the variables of an env file that are not set yet, as
// caddy run --envfile does, and returns warnings about lines Caddy reads
// differently from how they look. Errors name the file and line, never a
// value.
func loadEnvFile(name string) ([]string, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("reading environment file (--envfile): %w", err)
	}
	envMap, err := parseCaddyEnvFile(strings.NewReader(string(b)))
	if err != nil {
		return nil, fmt.Errorf("parsing environment file %s: %w", name, err)
	}
	for k, v := range envMap {
		if _, exists := os.LookupEnv(k); !exists {
			if err := os.Setenv(k, v); err != nil {
				return nil, fmt.Errorf("environment file %s: setting %s: %w", name, k, err)
			}
		}
	}
	var warnings []string
	for _, w := range envFileWarnings(string(b)) {
		warnings = append(warnings, name+": "+w)
	}
	return warnings, nil
}
