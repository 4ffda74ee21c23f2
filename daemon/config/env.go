package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// sources supplies what ${...} references stand for: environment variables
// for ${VAR}, and files for ${file:PATH} and ${cred:NAME}.
type sources struct {
	env      func(string) (string, bool)
	readFile func(string) ([]byte, error)
}

// osSources reads the process environment and the filesystem.
func osSources() sources { return sources{env: os.LookupEnv, readFile: readSecretFile} }

// maxSecretFile bounds what ${file:} and ${cred:} read: a secret is small,
// and a path such as /dev/zero must not make the daemon read forever.
const maxSecretFile = 1 << 20

// readSecretFile reads a file of at most maxSecretFile bytes.
func readSecretFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxSecretFile {
		return nil, errors.New("larger than 1MiB")
	}
	return data, nil
}

// expandEnv replaces ${VAR}, ${VAR:-default}, ${file:PATH} and ${cred:NAME}
// in s; "$$" stands for a literal "$" and a "$" not followed by "{" or "$"
// is kept as it is (so "pa$word" needs no escaping). ${VAR:-default} uses
// the default when VAR is unset or empty, as a shell does. A variable that
// is unset and has no default is an error: a missing secret must stop the
// daemon, not become an empty token. It reports whether any ${...} was
// replaced: such a value may be a secret and is never shown in a problem.
//
// Expansion runs on scalar values after YAML parsing (see decode.go), so a
// secret containing ": " or "#" cannot change the structure of the file and
// a ${VAR} mentioned in a comment is never looked up. Errors name the
// reference (a variable, path or credential name), never a value.
func expandEnv(s string, src sources) (out string, expanded bool, err error) {
	if !strings.Contains(s, "$") {
		return s, false, nil
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
				return "", false, errors.New("unterminated ${ (write $$ for a literal $)")
			}
			v, err := expandRef(s[i+2:i+2+end], src)
			if err != nil {
				return "", false, err
			}
			b.WriteString(v)
			expanded = true
			i += 2 + end
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), expanded, nil
}

// expandRef resolves the inside of one ${...}.
func expandRef(ref string, src sources) (string, error) {
	if path, ok := strings.CutPrefix(ref, "file:"); ok {
		return expandFile(path, src)
	}
	if name, ok := strings.CutPrefix(ref, "cred:"); ok {
		return expandCred(name, src)
	}
	return expandVar(ref, src.env)
}

// expandFile reads ${file:PATH}: the file's content less one trailing
// newline, which every editor leaves and no secret means.
func expandFile(path string, src sources) (string, error) {
	if !filepath.IsAbs(path) {
		return "", fmt.Errorf("${file:%s}: want an absolute path (relayd's working directory is not the config's)", path)
	}
	data, err := src.readFile(path)
	if err != nil {
		return "", fmt.Errorf("read ${file:%s}: %w", path, unwrapPathError(err))
	}
	return trimNewline(string(data)), nil
}

// expandCred reads ${cred:NAME} from $CREDENTIALS_DIRECTORY, where systemd
// puts what LoadCredential= names.
func expandCred(name string, src sources) (string, error) {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return "", fmt.Errorf("${cred:%s}: want a credential name, not a path", name)
	}
	dir, ok := src.env("CREDENTIALS_DIRECTORY")
	if !ok || dir == "" {
		return "", fmt.Errorf("${cred:%s}: CREDENTIALS_DIRECTORY is not set (set LoadCredential=%s:... in the systemd unit)", name, name)
	}
	data, err := src.readFile(filepath.Join(dir, name))
	if err != nil {
		return "", fmt.Errorf("read ${cred:%s} from %s: %w", name, dir, unwrapPathError(err))
	}
	return trimNewline(string(data)), nil
}

// unwrapPathError drops the *PathError's operation and path, which the
// message names already.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// trimNewline removes one trailing "\n" or "\r\n".
func trimNewline(s string) string {
	if t, ok := strings.CutSuffix(s, "\n"); ok {
		return strings.TrimSuffix(t, "\r")
	}
	return s
}

// expandVar resolves "NAME" or "NAME:-default".
func expandVar(ref string, lookup func(string) (string, bool)) (string, error) {
	name, def, hasDef := strings.Cut(ref, ":-")
	if !validEnvName(name) {
		// The reference is not shown: it may be part of a secret written
		// literally, with a "${" in it.
		return "", errors.New("invalid ${...} reference (want ${NAME}, ${NAME:-default}, ${file:/path} or ${cred:NAME}; write $$ for a literal $)")
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
