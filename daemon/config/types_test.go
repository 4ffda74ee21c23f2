package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	tests := map[string]int64{
		"100": 100, "0": 0, "1MiB": 1 << 20, "512KB": 512000, "512KiB": 512 << 10,
		"10MB": 10e6, "2GiB": 2 << 30, "1 MiB": 1 << 20, "64K": 64 << 10, "7B": 7, " 3M ": 3 << 20,
	}
	for in, want := range tests {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1", "1.5MiB", "1 parsec", "1mib", "99999999999TiB", "0x10"} {
		if got, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
		}
	}
}

func TestParseStatusMatch(t *testing.T) {
	tests := map[string]StatusMatch{
		"408": {408, 408}, "5xx": {500, 599}, "4XX": {400, 499}, " 429 ": {429, 429}, "100": {100, 100},
	}
	for in, want := range tests {
		if got, err := ParseStatusMatch(in); err != nil || got != want {
			t.Errorf("ParseStatusMatch(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"6xx", "0xx", "99", "600", "5x", "xx", "", "abc", "50x"} {
		if _, err := ParseStatusMatch(in); err == nil {
			t.Errorf("ParseStatusMatch(%q) accepted", in)
		}
	}
	m := StatusMatch{500, 599}
	if !m.Matches(503) || m.Matches(499) || m.Matches(600) {
		t.Error("5xx Matches is wrong")
	}
}

// TestScalarsInYAML decodes durations, sizes and statuses as YAML values,
// where an integer node differs from a string node.
func TestScalarsInYAML(t *testing.T) {
	good := map[string]func(*Config) any{
		"server: {read_timeout: 1m30s}":  func(c *Config) any { return c.Server.ReadTimeout.D() == 90*time.Second },
		"server: {max_body_size: 4096}":  func(c *Config) any { return c.Server.MaxBodySize == 4096 },
		"server: {max_body_size: 512KB}": func(c *Config) any { return c.Server.MaxBodySize == 512000 },
		"defaults: {retry: {on_status: [408, \"5xx\"]}}": func(c *Config) any {
			return reflect.DeepEqual(c.Defaults.Retry.OnStatus, []StatusMatch{{408, 408}, {500, 599}})
		},
		"defaults: {retry: {multiplier: 1.5}}": func(c *Config) any { return c.Defaults.Retry.Multiplier == 1.5 },
		"storage: {sync: false}":               func(c *Config) any { return !*c.Storage.Sync },
	}
	for doc, ok := range good {
		c, err := Parse([]byte(doc), "test")
		if err != nil {
			t.Errorf("%s: %v", doc, err)
		} else if ok(c) != true {
			t.Errorf("%s: decoded to the wrong value", doc)
		}
	}
	bad := map[string]want{
		"server: {read_timeout: 10}":                  {"server.read_timeout", `invalid duration "10"`},
		"server: {read_timeout: [1s]}":                {"server.read_timeout", "want a duration such as 10s, got a list"},
		"server: {max_body_size: 1.5MB}":              {"server.max_body_size", "invalid size"},
		"defaults: {retry: {on_status: [\"6xx\"]}}":   {"defaults.retry.on_status[0]", `invalid status "6xx"`},
		"defaults: {retry: {on_status: 5xx}}":         {"defaults.retry.on_status", "want a list"},
		"defaults: {max_redirects: five}":             {"defaults.max_redirects", "want an integer"},
		"destinations: [{name: {a: b}}]":              {"destinations[0].name", "want a string, got a mapping"},
		"server: {trusted_proxies: 10.0.0.1}":         {"server.trusted_proxies", "want a list"},
		"server: {listen: 127.0.0.1:8080, [a]: b}":    {"server", "keys must be plain strings"},
		"routes: [{match: [{field: form.a, in: x}]}]": {"routes[0].match[0].in", "want a list"},
	}
	for doc, w := range bad {
		_, err := Parse([]byte(doc), "test")
		if err == nil {
			t.Errorf("%s: accepted", doc)
			continue
		}
		if ps := asProblems(t, err); !hasProblem(ps, w) {
			t.Errorf("%s: got\n%v\nwant %s: …%s…", doc, err, w.path, w.msg)
		}
	}
}

func TestParseSelector(t *testing.T) {
	good := map[string]Selector{
		"json.a.b":        {SourceJSON, []string{"a", "b"}},
		"json.tracing_id": {SourceJSON, []string{"tracing_id"}},
		"form.key":        {SourceForm, []string{"key"}},
		"query.serverId":  {SourceQuery, []string{"serverId"}},
		"header.X-Name":   {SourceHeader, []string{"X-Name"}},
		"form.a.b":        {SourceForm, []string{"a.b"}},
	}
	for in, want := range good {
		got, err := ParseSelector(in)
		if err != nil || !reflect.DeepEqual(got, want) || got.String() != in {
			t.Errorf("ParseSelector(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "json", "json.", "json.a..b", "body.x", "form. x", "xml.a", ".a"} {
		if _, err := ParseSelector(in); err == nil || !strings.Contains(err.Error(), "invalid selector") {
			t.Errorf("ParseSelector(%q) err = %v", in, err)
		}
	}
}
