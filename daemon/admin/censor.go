package admin

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/url"
	"strings"
)

// Censored replaces the value of a censored field.
const Censored = "censored"

// DefaultCensorFields are always censored, whatever server.censor_fields
// adds: a field whose name contains one of them (case-insensitively).
var DefaultCensorFields = []string{"password", "passwd", "secret", "token", "api_key", "apikey", "authorization", "cookie"}

// censor decides which field names are censored. It works on rendered
// copies only: the stored and delivered body is never altered.
type censor struct{ fields []string }

func newCensor(extra []string) censor {
	c := censor{fields: make([]string, 0, len(DefaultCensorFields)+len(extra))}
	for _, f := range append(append([]string{}, DefaultCensorFields...), extra...) {
		if f = strings.ToLower(strings.TrimSpace(f)); f != "" {
			c.fields = append(c.fields, f)
		}
	}
	return c
}

// match reports whether a field named name is censored.
func (c censor) match(name string) bool {
	name = strings.ToLower(name)
	for _, f := range c.fields {
		if strings.Contains(name, f) {
			return true
		}
	}
	return false
}

// header returns a header's value as shown.
func (c censor) header(name, value string) string {
	if c.match(name) {
		return Censored
	}
	return value
}

// query censors an urlencoded string (a query or a form body) pair by
// pair, keeping the order and encoding of everything it does not censor.
func (c censor) query(raw string) string {
	if raw == "" {
		return raw
	}
	pairs := strings.Split(raw, "&")
	changed := false
	for i, p := range pairs {
		key, _, hasValue := strings.Cut(p, "=")
		name, err := url.QueryUnescape(key)
		if err != nil {
			name = key
		}
		if hasValue && c.match(name) {
			pairs[i] = key + "=" + Censored
			changed = true
		}
	}
	if !changed {
		return raw
	}
	return strings.Join(pairs, "&")
}

// body censors a JSON or urlencoded form body by its Content-Type (a JSON
// body without one is recognised too); any other body is returned as is.
func (c censor) body(contentType string, body []byte) []byte {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mt == "application/x-www-form-urlencoded":
		return []byte(c.query(string(body)))
	case mt == "application/json" || strings.HasSuffix(mt, "+json") || (mt == "" && looksJSON(body)):
		return c.json(body)
	}
	return body
}

func looksJSON(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}

// json censors object keys at any depth; a body that is not valid JSON, or
// has nothing to censor, is returned unchanged (byte for byte).
func (c censor) json(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return body
	}
	if !c.walk(v) {
		return body
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return body
	}
	return bytes.TrimRight(out.Bytes(), "\n")
}

// walk replaces censored values in place and reports whether it did.
func (c censor) walk(v any) bool {
	changed := false
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if c.match(k) {
				t[k] = Censored
				changed = true
				continue
			}
			changed = c.walk(val) || changed
		}
	case []any:
		for _, val := range t {
			changed = c.walk(val) || changed
		}
	}
	return changed
}
