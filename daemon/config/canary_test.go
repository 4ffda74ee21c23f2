package config

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// canaryEnv sets the variables of testdata/canary/env, and
// CREDENTIALS_DIRECTORY to testdata/canary/creds, for this test.
func canaryEnv(t *testing.T) {
	t.Helper()
	f, err := os.Open("testdata/canary/env")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			t.Setenv(k, v)
		}
	}
	creds, err := filepath.Abs("testdata/canary/creds")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("CREDENTIALS_DIRECTORY", creds)
}

// TestProblemsShowNoSecret loads configs holding a distinct canary in every
// key that can hold a credential and in every value that came from ${...}
// (env, cred): each problem is reported at its path and line, and no canary
// appears in any message. test/e2e runs the same files through the binaries.
func TestProblemsShowNoSecret(t *testing.T) {
	tests := map[string][]want{
		"types.yaml": {
			{"server.read_timeout", "want a duration such as 10s"},
			{"server.max_body_size", "want a size such as 1MiB"},
			{"server.idle_timeout", "want a duration such as 10s"},
			{"storage.sync", "want true or false"},
			{"defaults.concurrency", "want an integer"},
			{"defaults.retry.on_status[0]", "want a status code or class"},
			{"defaults.retry.multiplier", "want a number, got a list"},
			{"routes[0].auth.token", "want a mapping (key: value), got a single value"},
			{"routes[0].auth.hmac.secrets", "want a list, got a single value"},
			// Validate runs on what decoded: the route names a destination
			// the file does not define.
			{"routes[0].destinations[0]", `unknown destination "d" (no destinations are defined)`},
		},
		"values.yaml": {
			{"server.listen", "the value is not host:port"},
			{"defaults.retry.multiplier", "must be at least 1"},
			{"destinations[0].method", "the value is not a valid HTTP method"},
			{"destinations[0].ca_file", "cannot read the file: no such file or directory"},
			// Both destinations inherit the bad multiplier: reported once,
			// at defaults.
			{"destinations[1].name", "duplicate name (also destinations[0])"},
			{"routes[0].path", "the value must start with /"},
			{"routes[0].methods[0]", "the value is not a method a route can take (want one of GET, HEAD,"},
			{"routes[0].idempotency_key", "the value is not a selector (want json.a.b"},
			{"routes[0].match[0].regex", "does not compile (want an RE2 regular expression)"},
			{"routes[0].auth.token.header", "the value is not a valid header name"},
			{"routes[0].auth.hmac.algo", "unknown algorithm (want sha1, sha256 or sha512)"},
			{"routes[0].destinations[0]", `unknown destination "nowhere" (known: 1 more from ${...}, not shown)`},
		},
		"secrets.yaml": {
			{"admin.status_page_token", "must be a bearer token"},
			{"destinations[0].url", "the value must be an absolute http:// or https:// URL"},
			{"destinations[0].headers.Authorization", "value must not contain CR, LF or NUL"},
			{"destinations[0].signing.secret", "not valid base64"},
			{"destinations[1].url", "the value is not a valid URL"},
			{"destinations[1].signing.secrets[0]", `must start with "whsec_"`},
			{"destinations[2].url", "the value has no host"},
			{"routes[0].auth.token", "set exactly one of query and header"},
			{"routes[0].auth.standard_webhooks.secret", `must start with "whsec_"`},
			{"routes[0].auth.standard_webhooks.secrets[0]", `must start with "whsec_"`},
		},
	}
	canaryEnv(t)
	for file, wants := range tests {
		t.Run(file, func(t *testing.T) {
			_, err := Load(filepath.Join("testdata/canary", file))
			checkProblems(t, asProblems(t, err), wants)
			if strings.Contains(err.Error(), "CANARY") {
				t.Errorf("a problem shows a canary secret:\n%v", err)
			}
		})
	}
	for file, msg := range map[string]string{
		"syntax.yaml": "yaml: line 8: mapping values are not allowed in this context",
		"anchor.yaml": "yaml: unknown anchor '…' referenced", // yaml.v3 gives no line
	} {
		t.Run(file, func(t *testing.T) {
			_, err := Load(filepath.Join("testdata/canary", file))
			if err == nil || !strings.HasSuffix(err.Error(), msg) {
				t.Fatalf("err = %v, want it to end %q", err, msg)
			}
			if strings.Contains(err.Error(), "CANARY") {
				t.Errorf("the YAML error shows a canary secret: %v", err)
			}
		})
	}
}

// TestSecretPath pins which YAML paths count as holding a credential.
func TestSecretPath(t *testing.T) {
	for path, want := range map[string]bool{
		"server.status_token":                        true,
		"admin.status_page_token":                    true,
		"routes[12].auth.token.value":                true,
		"routes[0].auth.token.values[3]":             true,
		"routes[0].auth.hmac.secrets[0]":             true,
		"routes[1].auth.standard_webhooks.secret":    true,
		"destinations[0].signing.secrets[10]":        true,
		"destinations[2].headers.X-Anything":         true,
		"destinations[2].query.page":                 true,
		"destinations[2].url":                        true,
		"routes[0].auth.token.header":                false,
		"routes[0].auth.hmac.algo":                   false,
		"destinations[0].name":                       false,
		"server.listen":                              false,
		"storage.dir":                                false,
		"routes[0].auth.standard_webhooks.tolerance": false,
	} {
		if got := secretPath(path); got != want {
			t.Errorf("secretPath(%q) = %v, want %v", path, got, want)
		}
	}
}
