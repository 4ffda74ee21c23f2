package config

import (
	"slices"
	"strings"
	"testing"
)

// TestStatusPageToken: a token that cannot follow "Bearer " in a header is
// a problem naming the key, never the value; a good one is a secret value,
// so everything admin shows censors it.
func TestStatusPageToken(t *testing.T) {
	for name, tc := range map[string]struct {
		token string
		ok    bool
	}{
		"empty: page open":    {"", true},
		"hex":                 {"3f9a0c2e7b", true},
		"b64token with =":     {"a-b.c_d~e+f/g==", true},
		"space":               {"two words", false},
		"only =":              {"==", false},
		"= inside":            {"ab=cd", false},
		"newline":             {"abc\ndef", false},
		"non-ASCII":           {"tökén", false},
		"quote (header soup)": {`abc"def`, false},
	} {
		t.Run(name, func(t *testing.T) {
			y := "admin:\n  socket: /tmp/a.sock\n  metrics_listen: 127.0.0.1:9464\n  status_page_token: " + yamlQuote(tc.token) + "\n"
			cfg, err := Parse([]byte(y), "test.yaml")
			if tc.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if tc.token != "" && !slices.Contains(cfg.SecretValues(), tc.token) {
					t.Errorf("SecretValues lacks the status page token")
				}
				return
			}
			ps := asProblems(t, err)
			checkProblems(t, ps, []want{{"admin.status_page_token", "must be a bearer token"}})
			if strings.Contains(err.Error(), tc.token) {
				t.Errorf("the problem shows the token: %v", err)
			}
		})
	}
}

func yamlQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
