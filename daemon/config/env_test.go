package config

import (
	"strings"
	"testing"
)

func TestExpandEnv(t *testing.T) {
	env := map[string]string{"SET": "value", "EMPTY": "", "WITH_DOLLAR": "a$b"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := map[string]struct{ in, out, err string }{
		"no dollar":             {in: "plain", out: "plain"},
		"set":                   {in: "x-${SET}-y", out: "x-value-y"},
		"set but empty":         {in: "[${EMPTY}]", out: "[]"},
		"default when unset":    {in: "${UNSET:-fallback}", out: "fallback"},
		"default when empty":    {in: "${EMPTY:-fallback}", out: "fallback"},
		"default ignored":       {in: "${SET:-fallback}", out: "value"},
		"empty default":         {in: "${UNSET:-}", out: ""},
		"default with colon":    {in: "${UNSET:-http://h:1/p}", out: "http://h:1/p"},
		"escaped dollar":        {in: "pa$$word", out: "pa$word"},
		"escaped reference":     {in: "$${SET}", out: "${SET}"},
		"plain $x untouched":    {in: "$x and $ and end$", out: "$x and $ and end$"},
		"value not re-expanded": {in: "${WITH_DOLLAR}", out: "a$b"},
		"two references":        {in: "${SET}${SET}", out: "valuevalue"},
		"unset":                 {in: "Bearer ${UNSET}", err: "environment variable UNSET is not set"},
		"unterminated":          {in: "${SET", err: "unterminated ${"},
		"bad name":              {in: "${1X}", err: "invalid variable reference ${1X}"},
		"empty name":            {in: "${}", err: "invalid variable reference"},
		"shell dash form":       {in: "${UNSET-x}", err: "invalid variable reference"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := expandEnv(tc.in, lookup)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("expandEnv(%q) = %q, %v; want error containing %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.out {
				t.Fatalf("expandEnv(%q) = %q, %v; want %q", tc.in, got, err, tc.out)
			}
		})
	}
}

// TestParseExpandsEnv checks expansion end to end: typed values, the line
// of an unset variable, and that comments are never expanded.
func TestParseExpandsEnv(t *testing.T) {
	t.Setenv("RELAYD_TEST_TOKEN", "s3cret: #not-a-comment")
	t.Setenv("RELAYD_TEST_CONC", "7")
	t.Setenv("RELAYD_TEST_SKIP", "true")
	data := `# ${RELAYD_TEST_UNSET_IN_COMMENT} is never looked up
server:
  status_token: ${RELAYD_TEST_TOKEN}
defaults:
  concurrency: ${RELAYD_TEST_CONC}
  tls_skip_verify: ${RELAYD_TEST_SKIP}
  timeout: ${RELAYD_TEST_UNSET_TIMEOUT:-3s}
destinations:
  - name: d
    url: http://127.0.0.1:${RELAYD_TEST_UNSET_PORT:-9101}/x
    headers: {X-Literal: "$${NOT_A_VAR}", X-Plain: "$HOME"}
routes:
  - name: r
    path: /r
    destinations: [d]
`
	c, err := Parse([]byte(data), "test")
	if err != nil {
		t.Fatal(err)
	}
	d := c.Destinations[0]
	checks := map[string][2]any{
		"status_token":    {c.Server.StatusToken, "s3cret: #not-a-comment"},
		"concurrency":     {c.Defaults.Concurrency, 7},
		"inherited conc":  {d.Concurrency, 7},
		"tls_skip_verify": {*d.TLSSkipVerify, true},
		"timeout":         {d.Timeout, Duration(3e9)},
		"url":             {d.URL, "http://127.0.0.1:9101/x"},
		"$$":              {d.Headers["X-Literal"], "${NOT_A_VAR}"},
		"plain $":         {d.Headers["X-Plain"], "$HOME"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %#v, want %#v", name, c[0], c[1])
		}
	}
}

func TestParseUnsetVariableNamesItAndTheLine(t *testing.T) {
	data := "server:\n  listen: 127.0.0.1:8080\n  status_token: \"${RELAYD_TEST_SURELY_UNSET}\"\n" +
		"destinations:\n  - name: d\n    url: ${RELAYD_TEST_ALSO_UNSET}\n"
	_, err := Parse([]byte(data), "test")
	checkProblems(t, asProblems(t, err), []want{
		{"server.status_token", "RELAYD_TEST_SURELY_UNSET is not set"},
		{"destinations[0].url", "RELAYD_TEST_ALSO_UNSET is not set"},
	})
	if ps := asProblems(t, err); ps[0].Line != 3 || ps[1].Line != 6 {
		t.Errorf("lines %d, %d; want 3, 6", ps[0].Line, ps[1].Line)
	}
}
