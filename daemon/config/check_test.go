package config

import (
	"strings"
	"testing"
)

// TestParseReportsEveryProblemAtOnce: one Parse of a file mixing unknown
// keys, type errors and problems of what did decode returns all of them,
// each with path, line and message, in the order of the file; a key that
// failed to decode gets no second, misleading problem; the bad defaults
// value is reported once though two destinations inherit it; the token's
// value is not shown.
func TestParseReportsEveryProblemAtOnce(t *testing.T) {
	want := Problems{
		{"server.lisen", `unknown key "lisen" (did you mean "listen"?)`, 7},
		{"server.read_timeout", `invalid duration "soon" (use Go syntax such as 10s, 5m, 72h)`, 8},
		{"server.trusted_proxies[0]", `"10.0.0.0/33" is not an IP address or CIDR (e.g. 10.0.0.0/8)`, 9},
		{"defaults.timeout", "must be greater than 0, got -1s", 11},
		{"defaults.concurrency", `want an integer, got "lots"`, 12},
		{"destinations[0].url", "the value must be an absolute http:// or https:// URL", 15},
		{"destinations[0].concurrency", "must be at least 1, got -2", 16},
		{"destinations[1].timeout", `invalid duration "5" (use Go syntax such as 10s, 5m, 72h)`, 19},
		{"destinations[1].tls_skip_verfy", `unknown key "tls_skip_verfy" (did you mean "tls_skip_verify"?)`, 20},
		{"destinations[2].dead_letter", `unknown destination "nowhere"`, 23},
		{"routes[0].methods[1]", `"FETCH" is not a method a route can take (want one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)`, 27},
		{"routes[0].destinations[1]", `unknown destination "biling" (known: "audit", "billing", "mailer")`, 28},
		{"routes[1].max_body", `unknown key "max_body" (valid keys: auth, destinations, idempotency_key, match, methods, name, ordering_key, path, path_prefix, tracing_key)`, 31},
		{"routes[1].auth.allow_ips[1]", `"300.1.1.1" is not an IP address or CIDR (e.g. 10.0.0.0/8)`, 33},
		{"routes[1].auth.token", "set exactly one of query and header", 34},
	}
	_, err := Load("testdata/check/mixed.yaml")
	got := asProblems(t, err)
	if got.Error() != want.Error() {
		t.Errorf("problems differ\ngot:\n%v\n\nwant:\n%v", got.Error(), want.Error())
	}
	if strings.Contains(got.Error(), "CANARY") {
		t.Errorf("a problem shows the token:\n%v", got.Error())
	}
}

// TestDecodeProblemHidesItsConsequences: a key that failed to decode (or
// was misspelt) is left unset; Validate must not then also report it as
// missing, empty or out of range, nor judge what depends on it.
func TestDecodeProblemHidesItsConsequences(t *testing.T) {
	const dest = "destinations:\n  - name: d\n    url: http://127.0.0.1:9/\n"
	const route = "routes:\n  - name: r\n    path: /r\n    destinations: [d]\n"
	tests := map[string]struct {
		yaml string
		want want // the only problem
	}{
		"timeout type error": {
			dest + "    timeout: 5\n" + route,
			want{"destinations[0].timeout", `invalid duration "5"`},
		},
		"destinations not a list": {
			"destinations: {name: d, url: \"http://127.0.0.1:9/\"}\n" + route,
			want{"destinations", "want a list, got a mapping"},
		},
		"destination name not a string": {
			"destinations:\n  - name: [d]\n    url: http://127.0.0.1:9/\n" + route,
			want{"destinations[0].name", "want a string, got a list"},
		},
		"dead_letter to a destination whose name failed": {
			dest + "    dead_letter: e\n  - name: {e: 1}\n    url: http://127.0.0.1:9/\n" + route,
			want{"destinations[1].name", "want a string, got a mapping"},
		},
		"misspelt match key": {
			dest + "routes:\n  - name: r\n    path: /r\n    match: [{feild: json.a, equals: x}]\n    destinations: [d]\n",
			want{"routes[0].match[0].feild", `did you mean "field"?`},
		},
		"route path not a string": {
			dest + "routes:\n  - name: r\n    path: [/r]\n    destinations: [d]\n",
			want{"routes[0].path", "want a string, got a list"},
		},
		"hmac secrets not a list": {
			dest + "routes:\n  - name: r\n    path: /r\n    auth: {hmac: {header: X-Sig, secrets: s}}\n    destinations: [d]\n",
			want{"routes[0].auth.hmac.secrets", "want a list, got a single value"},
		},
		"token values not a list": {
			dest + "routes:\n  - name: r\n    path: /r\n    auth: {token: {header: X-T, values: s}}\n    destinations: [d]\n",
			want{"routes[0].auth.token.values", "want a list, got a single value"},
		},
		"signing secrets not a list": {
			dest + "    signing: {scheme: standard-webhooks, secrets: s}\n" + route,
			want{"destinations[0].signing.secrets", "want a list, got a single value"},
		},
		"initial_interval type error": {
			dest + "    retry: {initial_interval: soon, max_interval: 1s}\n" + route,
			want{"destinations[0].retry.initial_interval", `invalid duration "soon"`},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "test")
			checkProblems(t, asProblems(t, err), []want{tc.want})
		})
	}
}

// TestDefaultsProblemReportedOnce: a bad value in defaults is reported at
// defaults.…, not again at each destination that inherits it; a
// destination that sets the bad value itself is reported too.
func TestDefaultsProblemReportedOnce(t *testing.T) {
	const dests = "destinations:\n  - name: a\n    url: http://127.0.0.1:9/\n  - name: b\n    url: http://127.0.0.1:9/\n"
	tests := map[string]struct {
		yaml  string
		wants []want
	}{
		"timeout": {
			"defaults: {timeout: -1s}\n" + dests,
			[]want{{"defaults.timeout", "must be greater than 0"}},
		},
		"retry field": {
			"defaults: {retry: {multiplier: 0.5, max_attempts: -1}}\n" + dests,
			[]want{{"defaults.retry.multiplier", "at least 1"}, {"defaults.retry.max_attempts", "must not be negative"}},
		},
		"breaker": {
			"defaults: {breaker: {failures: -1}}\n" + dests,
			[]want{{"defaults.breaker.failures", "at least 1"}},
		},
		"max_redirects": {
			"defaults: {max_redirects: 21}\n" + dests,
			[]want{{"defaults.max_redirects", "between 0 and 20"}},
		},
		"on_status type error": {
			"defaults: {retry: {on_status: [429, 6xx]}}\n" + dests,
			[]want{{"defaults.retry.on_status[1]", `invalid status "6xx"`}},
		},
		"set again by a destination": {
			"defaults: {timeout: -1s}\n" + dests + "    timeout: -2s\n",
			[]want{{"defaults.timeout", "got -1s"}, {"destinations[1].timeout", "got -2s"}},
		},
		"own problem from a good default": {
			"defaults: {retry: {max_interval: 1m}}\n" + dests + "    retry: {initial_interval: 1h}\n",
			[]want{{"destinations[1].retry.max_interval", "must not be below initial_interval"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "test")
			checkProblems(t, asProblems(t, err), tc.wants)
		})
	}
}

// TestRouteMethods: a route's methods are the standard ones, in any case;
// anything else is a problem that says what is accepted.
func TestRouteMethods(t *testing.T) {
	const head = "destinations:\n  - name: d\n    url: http://127.0.0.1:9/\nroutes:\n  - name: r\n    path: /r\n    destinations: [d]\n    methods: "
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "post", "Put"} {
		t.Run(m, func(t *testing.T) {
			c, err := Parse([]byte(head+"["+m+"]\n"), "test")
			if err != nil {
				t.Fatalf("%s refused: %v", m, err)
			}
			if got := c.Routes[0].Methods[0]; got != strings.ToUpper(m) {
				t.Errorf("method %q, want %q", got, strings.ToUpper(m))
			}
		})
	}
	for _, m := range []string{"FETCH", "CONNECT", "TRACE", "PROPFIND", `"GE T"`, `""`, `" POST"`} {
		t.Run(m, func(t *testing.T) {
			_, err := Parse([]byte(head+"[GET, "+m+"]\n"), "test")
			checkProblems(t, asProblems(t, err), []want{{"routes[0].methods[1]",
				"is not a method a route can take (want one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)"}})
		})
	}
}
