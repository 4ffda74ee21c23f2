package config

import (
	"net/url"
	"sort"
	"strings"
)

// SecretValues returns every configured value that can be a credential:
// the status token and the status page's, each route's token values and HMAC / Standard Webhooks
// secrets, each destination's signing secrets, the values of its headers
// and query parameters named like credentials (CredentialName), and the
// userinfo and query values of its URL. Output (censoring, tests'
// canary sweeps) must never show one. Empty values are left out; the list
// is sorted longest first, so a censor replacing occurrences in that order
// never leaves a longer secret's tail behind.
func (c *Config) SecretValues() []string {
	seen := map[string]bool{}
	add := func(vs ...string) {
		for _, v := range vs {
			if v != "" {
				seen[v] = true
			}
		}
	}
	add(c.Server.StatusToken, c.Admin.StatusPageToken)
	for _, r := range c.Routes {
		if a := r.Auth; a != nil {
			if a.Token != nil {
				add(a.Token.All()...)
			}
			if a.HMAC != nil {
				add(a.HMAC.All()...)
			}
			if a.StandardWebhooks != nil {
				add(a.StandardWebhooks.All()...)
			}
		}
	}
	for _, d := range c.Destinations {
		if d.Signing != nil {
			add(d.Signing.All()...)
		}
		for k, v := range d.Headers {
			if CredentialName(k) {
				add(v)
				if _, tok, ok := strings.Cut(v, " "); ok { // "Bearer <token>"
					add(strings.TrimSpace(tok))
				}
			}
		}
		for k, v := range d.Query {
			if CredentialName(k) {
				add(v)
			}
		}
		add(urlSecrets(d.URL)...)
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i]) != len(out[j]) {
			return len(out[i]) > len(out[j])
		}
		return out[i] < out[j]
	})
	return out
}

// credentialWords mark a header or parameter name as one that carries a
// credential.
var credentialWords = []string{"auth", "token", "secret", "key", "pass", "cookie", "signature", "session", "credential"}

// CredentialName reports whether a header or query parameter name looks
// like it carries a credential (Authorization, X-Api-Key, secret, ...).
func CredentialName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range credentialWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// urlSecrets returns the userinfo and query values of a destination URL.
func urlSecrets(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var out []string
	if u.User != nil {
		out = append(out, u.User.Username())
		if p, ok := u.User.Password(); ok {
			out = append(out, p)
		}
	}
	for _, vs := range u.Query() {
		out = append(out, vs...)
	}
	return out
}

// secretKeys are the YAML paths (list indexes written "[]") whose values can
// be credentials; secretMaps those whose every entry can be.
var (
	secretKeys = map[string]bool{
		"server.status_token":                       true,
		"admin.status_page_token":                   true,
		"routes[].auth.token.value":                 true,
		"routes[].auth.token.values[]":              true,
		"routes[].auth.hmac.secret":                 true,
		"routes[].auth.hmac.secrets[]":              true,
		"routes[].auth.standard_webhooks.secret":    true,
		"routes[].auth.standard_webhooks.secrets[]": true,
		"destinations[].signing.secret":             true,
		"destinations[].signing.secrets[]":          true,
		"destinations[].url":                        true, // userinfo, query
	}
	secretMaps = []string{"destinations[].headers.", "destinations[].query."}
)

// secretPath reports whether the value at a YAML path (as Problems name
// them, e.g. "routes[2].auth.token.values[0]") can be a credential, so a
// problem about it must not show it.
func secretPath(path string) bool {
	var b strings.Builder
	for i := 0; i < len(path); i++ {
		b.WriteByte(path[i])
		if path[i] == '[' {
			for i+1 < len(path) && path[i+1] >= '0' && path[i+1] <= '9' {
				i++
			}
		}
	}
	p := b.String()
	if secretKeys[p] {
		return true
	}
	for _, prefix := range secretMaps {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}
