package admin

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Censored replaces the value of a censored field.
const Censored = "censored"

// DefaultCensorFields are always censored, whatever server.censor_fields
// adds: a field whose name contains one of them (case-insensitively).
var DefaultCensorFields = []string{"password", "passwd", "secret", "token", "api_key", "apikey", "authorization", "cookie"}

// CensorRules are what the running config says to censor; the daemon
// builds them from its current config, so a reload changes them.
type CensorRules struct {
	// Fields are added to DefaultCensorFields (server.censor_fields):
	// matched as substrings of a name.
	Fields []string
	// Names are header and parameter names matched whole
	// (case-insensitively): the names routes' auth reads credentials from.
	Names []string
	// Secrets are configured secret values (config.SecretValues); every
	// occurrence in what is shown becomes "censored".
	Secrets []string
}

// censor decides which field names and values are censored. It works on
// rendered copies only: the stored and delivered body is never altered.
type censor struct {
	fields  []string
	names   map[string]bool
	secrets []string          // every form a secret may take in output, longest first
	replace *strings.Replacer // nil without secrets
}

func newCensor(r CensorRules) censor {
	c := censor{fields: make([]string, 0, len(DefaultCensorFields)+len(r.Fields)), names: map[string]bool{}}
	for _, f := range append(append([]string{}, DefaultCensorFields...), r.Fields...) {
		if f = strings.ToLower(strings.TrimSpace(f)); f != "" {
			c.fields = append(c.fields, f)
		}
	}
	for _, n := range r.Names {
		if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
			c.names[n] = true
		}
	}
	c.secrets = secretForms(r.Secrets)
	if len(c.secrets) > 0 {
		pairs := make([]string, 0, 2*len(c.secrets))
		for _, s := range c.secrets {
			pairs = append(pairs, s, Censored)
		}
		c.replace = strings.NewReplacer(pairs...)
	}
	return c
}

// secretForms lists each secret as it may appear in a message: raw,
// URL-encoded (query, form) and JSON-escaped, longest first so that the
// replacer, which tries them in order, never leaves a longer one's tail.
func secretForms(secrets []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		js, _ := json.Marshal(s)
		for _, f := range []string{s, url.QueryEscape(s), url.PathEscape(s), string(js[1 : len(js)-1])} {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	sortLongestFirst(out)
	return out
}

func sortLongestFirst(s []string) {
	for i := 1; i < len(s); i++ { // insertion sort: a handful of secrets
		for j := i; j > 0 && len(s[j]) > len(s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// match reports whether a field named name is censored.
func (c censor) match(name string) bool {
	name = strings.ToLower(name)
	if c.names[name] {
		return true
	}
	for _, f := range c.fields {
		if strings.Contains(name, f) {
			return true
		}
	}
	return false
}

// text replaces every occurrence of a configured secret. When a secret
// still shows after that (a replacement next to text that completes it
// again), the whole text is censored: no secret is ever shown.
func (c censor) text(s string) string {
	if c.replace == nil || s == "" {
		return s
	}
	s = c.replace.Replace(s)
	for _, v := range c.secrets {
		if strings.Contains(s, v) {
			return Censored
		}
	}
	return s
}

// header returns a header's value as shown.
func (c censor) header(name, value string) string {
	if c.match(name) {
		return Censored
	}
	return c.text(value)
}

// query censors an urlencoded string (a query or a form body): secret
// values first, then pair by pair by name, keeping the order and encoding
// of everything it does not censor. Secrets go first so that a
// replacement cannot join text into a new, uncensored pair.
func (c censor) query(raw string) string {
	if raw == "" {
		return raw
	}
	raw = c.text(raw)
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
	return c.text(strings.Join(pairs, "&"))
}

// body censors a JSON or urlencoded form body by its Content-Type (a JSON
// body without one is recognised too), then replaces secret values in any
// body.
func (c censor) body(contentType string, body []byte) []byte {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mt == "application/x-www-form-urlencoded":
		return []byte(c.query(string(body)))
	case mt == "application/json" || strings.HasSuffix(mt, "+json") || (mt == "" && looksJSON(body)):
		return c.bytes(c.json(body))
	}
	return c.bytes(body)
}

// snippet censors a downstream's answer, kept without its Content-Type:
// JSON and form-encoded answers by field name, any answer by secret value.
func (c censor) snippet(b []byte) []byte {
	if looksJSON(b) {
		return c.bytes(c.json(b))
	}
	if looksForm(b) {
		return []byte(c.query(string(b)))
	}
	return c.bytes(b)
}

// bytes is text for a body that need not be UTF-8.
func (c censor) bytes(b []byte) []byte {
	if c.replace == nil {
		return b
	}
	return []byte(c.text(string(b)))
}

func looksJSON(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}

// looksForm reports whether b reads as an urlencoded form: printable text
// without spaces holding at least one name=value pair.
func looksForm(b []byte) bool {
	if !utf8.Valid(b) || !bytes.ContainsRune(b, '=') {
		return false
	}
	return bytes.IndexFunc(b, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) < 0
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

// url shows a destination URL without its credentials: userinfo and query
// values become "censored", and any secret value left is replaced.
func (c censor) url(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return c.text(raw)
	}
	if u.User != nil {
		u.User = url.User(Censored)
	}
	if u.RawQuery != "" {
		pairs := strings.Split(u.RawQuery, "&")
		for i, p := range pairs {
			if key, _, ok := strings.Cut(p, "="); ok {
				pairs[i] = key + "=" + Censored
			}
		}
		u.RawQuery = strings.Join(pairs, "&")
	}
	return c.text(u.String())
}
