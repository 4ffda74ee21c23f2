package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExpandEnv(t *testing.T) {
	env := map[string]string{"SET": "value", "EMPTY": "", "WITH_DOLLAR": "a$b"}
	src := sources{env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
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
		"bad name":              {in: "${1X}", err: "invalid ${...} reference"},
		"empty name":            {in: "${}", err: "invalid ${...} reference"},
		"shell dash form":       {in: "${UNSET-x}", err: "invalid ${...} reference"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, expanded, err := expandEnv(tc.in, src)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("expandEnv(%q) = %q, %v; want error containing %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.out {
				t.Fatalf("expandEnv(%q) = %q, %v; want %q", tc.in, got, err, tc.out)
			}
			if want := strings.Contains(strings.ReplaceAll(tc.in, "$$", ""), "${"); expanded != want {
				t.Errorf("expandEnv(%q) reports expanded %v, want %v", tc.in, expanded, want)
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

// TestExpandFileAndCred reads ${file:} and ${cred:} from real files: one
// trailing newline trimmed, errors naming the path or credential and never
// a file's content.
func TestExpandFileAndCred(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	lf := write("lf", "CANARY-lf\n")
	crlf := write("crlf", "CANARY-crlf\r\n")
	two := write("two", "CANARY-two\n\n")
	bare := write("bare", "CANARY-bare")
	write("api", "CANARY-cred\n")
	big := write("big", strings.Repeat("x", maxSecretFile+1))
	env := map[string]string{"CREDENTIALS_DIRECTORY": dir}
	withCreds := osSources()
	withCreds.env = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	noCreds := osSources()
	noCreds.env = func(string) (string, bool) { return "", false }
	tests := map[string]struct {
		in, out, err string
		src          sources
	}{
		"file, LF trimmed":       {in: "${file:" + lf + "}", out: "CANARY-lf"},
		"file, CRLF trimmed":     {in: "${file:" + crlf + "}", out: "CANARY-crlf"},
		"file, only one trimmed": {in: "${file:" + two + "}", out: "CANARY-two\n"},
		"file, no newline":       {in: "Bearer ${file:" + bare + "}", out: "Bearer CANARY-bare"},
		"cred":                   {in: "${cred:api}", out: "CANARY-cred"},
		"file missing":           {in: "${file:" + dir + "/nope}", err: "read ${file:" + dir + "/nope}: no such file or directory"},
		"file is a directory":    {in: "${file:" + dir + "}", err: "read ${file:" + dir + "}: is a directory"},
		"file too large":         {in: "${file:" + big + "}", err: "larger than 1MiB"},
		"file relative":          {in: "${file:secret}", err: "${file:secret}: want an absolute path"},
		"cred missing":           {in: "${cred:nope}", err: "read ${cred:nope} from " + dir + ": no such file"},
		"cred with slash":        {in: "${cred:../api}", err: "${cred:../api}: want a credential name"},
		"cred dot-dot":           {in: "${cred:..}", err: "want a credential name"},
		"cred dot":               {in: "${cred:.}", err: "want a credential name"},
		"cred empty":             {in: "${cred:}", err: "want a credential name"},
		"cred without directory": {in: "${cred:api}", src: noCreds, err: "${cred:api}: CREDENTIALS_DIRECTORY is not set"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			src := withCreds
			if tc.src.env != nil {
				src = tc.src
			}
			got, expanded, err := expandEnv(tc.in, src)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("expandEnv(%q) = %q, %v; want error containing %q", tc.in, got, err, tc.err)
				}
				if strings.Contains(err.Error(), "CANARY") || strings.Contains(err.Error(), "xxxx") {
					t.Fatalf("error shows a file's content: %v", err)
				}
				return
			}
			if err != nil || got != tc.out || !expanded {
				t.Fatalf("expandEnv(%q) = %q, %v, %v; want %q, expanded", tc.in, got, expanded, err, tc.out)
			}
		})
	}
}

// TestParseFileSecretErrorNamesKeyAndPath: a missing secret file stops the
// load with a problem at the key's path and line.
func TestParseFileSecretErrorNamesKeyAndPath(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "hook-secret")
	data := "server:\n  listen: 127.0.0.1:8080\n  status_token: \"${file:" + missing + "}\"\n"
	_, err := Parse([]byte(data), "test")
	ps := asProblems(t, err)
	checkProblems(t, ps, []want{{"server.status_token", "read ${file:" + missing + "}: no such file or directory"}})
	if ps[0].Line != 3 {
		t.Errorf("line %d, want 3", ps[0].Line)
	}
}
