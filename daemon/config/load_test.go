package config

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// want is one expected problem: its exact path and a piece of its message.
type want struct{ path, msg string }

// TestBadConfigs loads each bad fixture and checks that it yields exactly
// the listed problems (every one of them, not just the first), each at its
// path with the expected message, and located on a line of the file.
func TestBadConfigs(t *testing.T) {
	tests := map[string][]want{
		"server.yaml": {
			{"server.listen", "not host:port"},
			{"server.read_timeout", "greater than 0"},
			{"server.idle_timeout", "greater than 0"},
			{"server.trusted_proxies[0]", `"10.0.0.0/33" is not an IP address or CIDR`},
			{"server.trusted_proxies[1]", `"not-an-ip" is not an IP address or CIDR`},
			{"server.censor_fields[1]", "must not be empty"},
			{"admin.socket", "must not be empty"},
			{"admin.metrics_listen", "not host:port"},
			{"storage.dir", "must not be empty"},
			{"storage.retention", "greater than 0"},
		},
		"listen_port.yaml": {{"server.listen", "invalid port"}},
		"defaults.yaml": {
			{"defaults.timeout", "greater than 0"},
			{"defaults.max_redirects", "between 0 and 20"},
			{"defaults.concurrency", "at least 1"},
			{"defaults.retry.multiplier", "at least 1"},
			{"defaults.retry.randomization", "below 1"},
			{"defaults.retry.max_interval", "below initial_interval"},
			{"defaults.retry.max_elapsed", "greater than 0"},
			{"defaults.retry.max_attempts", "must not be negative"},
			{"defaults.retry.on_status[1]", "2xx responses are successes"},
		},
		"destinations.yaml": {
			{"destinations[0].name", "must not be empty"},
			{"destinations[0].url", "absolute http:// or https://"},
			{"destinations[1].name", "may only contain letters, digits"},
			{"destinations[1].url", "absolute http:// or https://"},
			{"destinations[2].url", "has no host"},
			{"destinations[2].method", `"PO ST" is not a valid HTTP method`},
			{"destinations[2].headers.Bad Header", "not a valid header name"},
			{"destinations[2].max_redirects", "between 0 and 20"},
			{"destinations[2].rate_limit", "must be 0 (no limit) or more"},
			{"destinations[3].name", `duplicate name "dup" (also destinations[2])`},
			{"destinations[3].ca_file", "cannot read"},
			{"destinations[3].signing.scheme", `unknown scheme "hmac"`},
			{"destinations[3].signing.secret", `must start with "whsec_"`},
			{"destinations[3].retry.multiplier", "at least 1"},
			{"destinations[3].retry.randomization", "at least 0"},
			{"destinations[4].ca_file", "holds no PEM certificate"},
			{"destinations[4].signing.secret", "not valid base64"},
			{"destinations[4].redirect_hosts[0]", "no scheme, path or userinfo"},
			{"destinations[4].redirect_hosts[3]", "port must be 1-65535"},
		},
		"routes.yaml": {
			{"routes[0].path_prefix", "only one of path and path_prefix"},
			{"routes[0].methods[0]", `"GE T" is not a method a route can take (want one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)`},
			{"routes[0].destinations[1]", `unknown destination "biling" (known: "billing", "mailer")`},
			{"routes[1].name", `duplicate name "one"`},
			{"routes[1]", "set path (exact) or path_prefix"},
			{"routes[1].destinations[1]", `"mailer" is listed twice`},
			{"routes[2].path", "must start with /"},
			{"routes[2].destinations", "route has no destinations"},
			{"routes[3].path_prefix", "reserves for its own endpoints"},
			{"routes[3].idempotency_key", `unknown source "body"`},
			{"routes[3].ordering_key", "empty JSON key"},
			{"routes[3].tracing_key", `invalid selector "form"`},
			{"routes[4].match[0].field", `unknown source "xml"`},
			{"routes[4].match[1]", "exactly one of equals, in, regex or exists (2 set)"},
			{"routes[4].match[2]", "exactly one of equals, in, regex or exists (0 set)"},
			{"routes[4].match[3].regex", "does not compile"},
			{"routes[4].match[4].in", "at least one value"},
		},
		"no_route_destination.yaml": {
			{"routes[0].destinations[0]", `unknown destination "billing" (no destinations are defined)`},
		},
		"auth.yaml": {
			{"routes[0].auth.allow_ips[1]", `"300.1.1.1" is not an IP address or CIDR`},
			{"routes[0].auth.token", "exactly one of query and header"},
			{"routes[0].auth.hmac.header", "must not be empty"},
			{"routes[0].auth.hmac.secret", "must not be empty"},
			{"routes[0].auth.hmac.algo", `unknown algorithm "md5"`},
			{"routes[0].auth.standard_webhooks.secret", `must start with "whsec_"`},
			{"routes[1].auth.token", "exactly one of query and header"},
			{"routes[1].auth.token.value", "must not be empty"},
			{"routes[2].auth", "configures no check"},
		},
		"unknown_keys.yaml": {
			{"listen", `unknown key "listen" (valid keys: admin, defaults,`},
			{"server.lisen", `unknown key "lisen" (did you mean "listen"?)`},
			{"destinations[0].tls_skip_verfy", `unknown key "tls_skip_verfy" (did you mean "tls_skip_verify"?)`},
			{"routes[0].match[0].feild", `unknown key "feild"`},
		},
		"types.yaml": {
			{"server.max_body_size", `invalid size "1 parsec"`},
			{"storage.sync", `want true or false, got "maybe"`},
			{"defaults.timeout", `invalid duration "fast"`},
			{"defaults.concurrency", `want an integer, got "many"`},
			{"defaults.retry.on_status[1]", `invalid status "6xx"`},
			{"defaults.retry.multiplier", "want a number, got a list"},
			{"destinations[0].headers", "want a mapping"},
			{"destinations[0].timeout", `invalid duration "10"`},
			{"routes", "want a list, got a mapping"},
		},
		"dead_letter.yaml": {
			{"destinations[0].dead_letter", `unknown destination "biling"`},
			{"destinations[1].dead_letter", "cannot be its own dead_letter"},
			{"destinations[2].dead_letter", "destinations[3] has a dead_letter of its own"},
		},
		"duplicate_keys.yaml": {
			{"server.listen", `key "listen" appears twice (first on line 2)`},
			{"destinations[0].headers.A", `key "A" appears twice`},
		},
	}
	files, _ := filepath.Glob("testdata/bad/*.yaml")
	if len(files) != len(tests) {
		t.Errorf("%d bad fixtures but %d test cases: every fixture needs its expectations", len(files), len(tests))
	}
	for file, wants := range tests {
		t.Run(file, func(t *testing.T) {
			_, err := Load(filepath.Join("testdata/bad", file))
			ps := asProblems(t, err)
			checkProblems(t, ps, wants)
		})
	}
}

// checkProblems asserts that ps holds exactly wants (as a multiset of
// paths), each message containing its piece and each with a line.
func checkProblems(t *testing.T, ps Problems, wants []want) {
	t.Helper()
	var got, exp []string
	for _, p := range ps {
		got = append(got, p.Path)
		if p.Line <= 0 {
			t.Errorf("%s: no line number", p)
		}
	}
	for _, w := range wants {
		exp = append(exp, w.path)
		if !hasProblem(ps, w) {
			t.Errorf("no problem at %s containing %q", w.path, w.msg)
		}
	}
	sort.Strings(got)
	sort.Strings(exp)
	if strings.Join(got, "\n") != strings.Join(exp, "\n") {
		t.Errorf("problem paths differ\ngot:\n%v\nwant paths:\n  %s", (&ps).Error(), strings.Join(exp, "\n  "))
	}
}

func hasProblem(ps Problems, w want) bool {
	for _, p := range ps {
		if p.Path == w.path && strings.Contains(p.Message, w.msg) {
			return true
		}
	}
	return false
}

func asProblems(t *testing.T, err error) Problems {
	t.Helper()
	var ps *Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %v (%T) is not *Problems", err, err)
	}
	return *ps
}

func TestGoodConfigs(t *testing.T) {
	files, _ := filepath.Glob("testdata/good/*.yaml")
	if len(files) == 0 {
		t.Fatal("no good fixtures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := Load(f)
			if err != nil {
				t.Fatalf("Load:\n%v", err)
			}
			if err := c.Validate(); err != nil {
				t.Errorf("a loaded config does not re-validate:\n%v", err)
			}
		})
	}
}

func TestProblemLinesPointAtTheValue(t *testing.T) {
	_, err := Parse([]byte("server:\n  listen: 127.0.0.1:8080\n\n  read_timeout: -1s\n"), "test")
	ps := asProblems(t, err)
	if len(ps) != 1 || ps[0].Line != 4 {
		t.Fatalf("got %v, want one problem on line 4", err)
	}
	if got := ps[0].String(); got != "server.read_timeout: must be greater than 0, got -1s (line 4)" {
		t.Errorf("String() = %q", got)
	}
}

func TestProblemsErrorOneLineEach(t *testing.T) {
	ps := Problems{{Path: "a.b", Message: "bad"}, {Path: "c", Message: "worse", Line: 3}, {Message: "empty"}}
	want := "a.b: bad\nc: worse (line 3)\n(top level): empty"
	if got := ps.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestParseRejectsEmptyAndNonConfigs(t *testing.T) {
	tests := map[string]struct{ data, msg string }{
		"empty":         {"", "is empty"},
		"only comments": {"# nothing here\n\n", "is empty"},
		"only marker":   {"---\n", "is empty"},
		"null":          {"~\n", "is empty"},
		"two documents": {"server: {}\n---\nserver: {}\n", "several YAML documents"},
		"bad syntax":    {"server: [\n", "parse config test"},
		"tabs":          {"server:\n\tlisten: x\n", "parse config test"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tc.data), "test")
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.msg)
			}
		})
	}
	_, err := Parse([]byte("[1, 2]\n"), "test")
	if ps := asProblems(t, err); !strings.Contains(ps[0].Message, "want a mapping") {
		t.Errorf("a top-level list: %v", err)
	}
}

func TestTrailingEmptyDocumentIsFine(t *testing.T) {
	data, err := os.ReadFile("testdata/good/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(append(data, "---\n"...), "test"); err != nil {
		t.Fatal(err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "read config") {
		t.Fatalf("err = %v, want a wrapped not-exist error", err)
	}
}

// TestAliasBombIsBounded: merge keys can describe an exponentially large
// tree; decoding must stop with a problem instead of hanging.
func TestAliasBombIsBounded(t *testing.T) {
	data := "destinations:\n  - &d0 {name: x, url: \"http://127.0.0.1/\"}\n"
	prev := "d0"
	for i := 1; i < 30; i++ {
		cur := "d" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		data += "  - &" + cur + " {<<: [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]}\n"
		prev = cur
	}
	_, err := Parse([]byte(data), "bomb")
	ps := asProblems(t, err)
	if !strings.Contains(ps.Error(), "too many nodes") {
		t.Fatalf("err = %v", err)
	}
}
