package config

import (
	"fmt"
	"strings"
)

// expandEnv replaces ${VAR} and ${VAR:-default} in s with values from
// lookup; "$$" stands for a literal "$" and a "$" not followed by "{" or "$"
// is kept as it is (so "pa$word" needs no escaping). ${VAR:-default} uses
// the default when VAR is unset or empty, as a shell does. A variable that
// is unset and has no default is an error: a missing secret must stop the
// daemon, not become an empty token.
//
// Expansion runs on scalar values after YAML parsing (see decode.go), so a
// secret containing ": " or "#" cannot change the structure of the file and
// a ${VAR} mentioned in a comment is never looked up.
func expandEnv(s string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", fmt.Errorf("unterminated ${ in %q (write $$ for a literal $)", s)
			}
			v, err := expandVar(s[i+2:i+2+end], lookup)
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			i += 2 + end
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// expandVar resolves the inside of one ${...}: "NAME" or "NAME:-default".
func expandVar(ref string, lookup func(string) (string, bool)) (string, error) {
	name, def, hasDef := strings.Cut(ref, ":-")
	if !validEnvName(name) {
		return "", fmt.Errorf("invalid variable reference ${%s} (want ${NAME} or ${NAME:-default}; write $$ for a literal $)", ref)
	}
	v, ok := lookup(name)
	if hasDef && v == "" {
		return def, nil
	}
	if !ok {
		return "", fmt.Errorf("environment variable %s is not set (set it, or write ${%s:-default})", name, name)
	}
	return v, nil
}

// validEnvName reports whether name is a portable environment variable name.
func validEnvName(name string) bool {
	if name == "" || (name[0] >= '0' && name[0] <= '9') {
		return false
	}
	for _, c := range []byte(name) {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
