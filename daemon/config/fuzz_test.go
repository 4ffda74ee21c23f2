package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// FuzzParse: arbitrary bytes never panic or hang Parse, and a Config that
// Parse accepts validates clean again and is unchanged by another
// ApplyDefaults.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.yaml")
	examples, _ := filepath.Glob("../../configs/*.yaml")
	for _, file := range append(files, examples...) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"", "~", "[]", "server: ~", "a: &a [*a]", "<<: {server: {}}", "server: {<<: *x}",
		"destinations: [{<<: [{name: a}, {name: b}], url: 'http://127.0.0.1/'}]",
		"server: {listen: ${X:-127.0.0.1:1}}", "defaults: {concurrency: ${N:-x}}",
		"routes: [{match: [{field: json.a, regex: '(?i)^a+$'}]}]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz")
		if err != nil {
			if c != nil {
				t.Fatal("Parse returned a config with an error")
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted config does not re-validate: %v", err)
		}
		again := *c
		if c.Destinations != nil {
			again.Destinations = make([]Destination, len(c.Destinations))
			copy(again.Destinations, c.Destinations)
		}
		again.ApplyDefaults()
		if !reflect.DeepEqual(&again, c) {
			t.Fatal("ApplyDefaults is not idempotent")
		}
	})
}

// FuzzParseSelector: a selector that parses writes back to itself.
func FuzzParseSelector(f *testing.F) {
	for _, s := range []string{"json.a.b", "form.key", "query.serverId", "header.X-Name", "json..a", "x", "form. a", "json.a.", "header."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := ParseSelector(s)
		if err != nil {
			return
		}
		if len(sel.Path) == 0 || sel.String() != s {
			t.Fatalf("ParseSelector(%q) = %#v, String %q", s, sel, sel.String())
		}
		if again, err := ParseSelector(sel.String()); err != nil || !reflect.DeepEqual(again, sel) {
			t.Fatalf("round trip of %q: %#v, %v", s, again, err)
		}
	})
}

// FuzzParseSize: accepted sizes are non-negative and do not overflow, and
// a plain byte count parses to itself.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"1MiB", "512KB", "100", "0", "-1", "9223372036854775807", "8589934591GiB", "1 parsec", "KiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("ParseSize(%q) = %d", s, n)
		}
		if m, err := ParseSize(strconv.FormatInt(n, 10)); err != nil || m != n {
			t.Fatalf("ParseSize(%d) = %d, %v", n, m, err)
		}
	})
}

// FuzzExpandEnv: expansion never panics, and text without "$" is returned
// unchanged; escaping every "$" as "$$" gives the text back.
func FuzzExpandEnv(f *testing.F) {
	for _, s := range []string{"${A}", "${A:-b}", "$$", "$x", "${", "${:-}", "a$", "${A:-${B}}", "${file:/f}", "${cred:c}", "${cred:../c}"} {
		f.Add(s)
	}
	src := sources{
		env:      func(k string) (string, bool) { return "/creds", k == "A" || k == "CREDENTIALS_DIRECTORY" },
		readFile: func(p string) ([]byte, error) { return []byte("content of " + p + "\n"), nil },
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _, _ = expandEnv(s, src)
		escaped := strings.ReplaceAll(s, "$", "$$")
		if got, _, err := expandEnv(escaped, src); err != nil || got != s {
			t.Fatalf("expandEnv(escape(%q)) = %q, %v", s, got, err)
		}
	})
}
