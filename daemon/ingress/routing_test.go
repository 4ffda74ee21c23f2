package ingress

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"slices"
	"testing"

	"github.com/relayd/relayd/daemon/config"
)

func routingConfig() *config.Config {
	return testConfig(
		config.Route{Name: "eq-reinstall", Path: "/eq_callback", Methods: []string{"POST"},
			Match:        []config.Match{{Field: "form.action", Equals: ptr("reinstall")}},
			Destinations: []string{"billing", "mailer"}},
		config.Route{Name: "eq-other", Path: "/eq_callback", Methods: []string{"post"},
			Match:        []config.Match{{Field: "form.action", In: []string{"deploy", "backup"}}},
			Destinations: []string{"billing"}},
		config.Route{Name: "solus", Path: "/solus", Methods: []string{"POST"},
			Match:        []config.Match{{Field: "query.crStatus", Regex: "^(active|stopped)$"}},
			Destinations: []string{"whmcs"}},
		config.Route{Name: "broker-created", Path: "/broker",
			Match: []config.Match{{Field: "json.status", Equals: ptr("CREATED")},
				{Field: "json.nodes.0.name", Exists: ptr(true)}},
			Destinations: []string{"platform"}},
		config.Route{Name: "broker-any", Path: "/broker",
			Match:        []config.Match{{Field: "json.service_instance_guid", Exists: ptr(true)}},
			Destinations: []string{"platform", "audit", "archive"}},
		config.Route{Name: "hooks-ping", PathPrefix: "/hooks/", Methods: []string{"POST", "PUT"},
			Match:        []config.Match{{Field: "header.x-event", Equals: ptr("ping")}},
			Destinations: []string{"audit"}},
		config.Route{Name: "hooks-put", PathPrefix: "/hooks/", Methods: []string{"PUT"},
			Destinations: []string{"archive"}},
		config.Route{Name: "upload", Path: "/upload",
			Match:        []config.Match{{Field: "form.kind", Equals: ptr("report")}},
			Destinations: []string{"audit"}},
		config.Route{Name: "number", Path: "/num",
			Match: []config.Match{{Field: "json.n", Equals: ptr("1.50")}, {Field: "json.ok", Equals: ptr("true")},
				{Field: "json.obj", Equals: ptr(`{"a":[1,"x"]}`)}},
			Destinations: []string{"audit"}},
		config.Route{Name: "no-debug", Path: "/nodebug",
			Match:        []config.Match{{Field: "header.X-Debug", Exists: ptr(false)}},
			Destinations: []string{"audit"}},
	)
}

func multipartBody(t *testing.T, fields map[string]string) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := w.CreateFormFile("file", "blob.bin")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte{0, 1, 2, 0xff, '\r', '\n'})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), b.Bytes()
}

const (
	formCT = "application/x-www-form-urlencoded"
	jsonCT = "application/json"
)

func TestRouting(t *testing.T) {
	ts := startServer(t, routingConfig(), Options{})
	mpCT, mpBody := multipartBody(t, map[string]string{"kind": "report", "other": "x"})
	mpCTBad, mpBodyBad := multipartBody(t, map[string]string{"kind": "invoice"})

	cases := []struct {
		name        string
		method, uri string
		ct          string
		body        string
		headers     []string
		wantStatus  int
		wantRoute   string // accepted when set
		wantDests   []string
		wantCode    string // error code otherwise
		wantAllow   string
	}{
		{name: "form equals, fan-out", method: "POST", uri: "/eq_callback", ct: formCT,
			body: "action=reinstall&key=abcdefabcdefabcdefabcdefabcdef12&status=deploy_done", wantStatus: 202,
			wantRoute: "eq-reinstall", wantDests: []string{"billing", "mailer"}},
		{name: "form in", method: "POST", uri: "/eq_callback", ct: formCT, body: "action=backup",
			wantStatus: 202, wantRoute: "eq-other", wantDests: []string{"billing"}},
		{name: "form value in no route", method: "POST", uri: "/eq_callback", ct: formCT, body: "action=network",
			wantStatus: 404, wantCode: "no_route"},
		{name: "form field in a JSON body is absent", method: "POST", uri: "/eq_callback", ct: jsonCT,
			body: `{"action":"reinstall"}`, wantStatus: 404, wantCode: "no_route"},
		{name: "method not allowed", method: "GET", uri: "/eq_callback?action=reinstall", wantStatus: 405,
			wantCode: "method_not_allowed", wantAllow: "POST"},
		{name: "query regex", method: "POST", uri: "/solus?serverId=7&crStatus=active&secret=s", ct: formCT,
			wantStatus: 202, wantRoute: "solus", wantDests: []string{"whmcs"}},
		{name: "query regex fails", method: "POST", uri: "/solus?crStatus=activex", wantStatus: 404, wantCode: "no_route"},
		{name: "json equals and exists in array", method: "POST", uri: "/broker", ct: jsonCT,
			body:       `{"service_instance_guid":"g1","status":"CREATED","nodes":[{"name":"n0"}]}`,
			wantStatus: 202, wantRoute: "broker-created", wantDests: []string{"platform"}},
		{name: "json first match wins over later", method: "POST", uri: "/broker", ct: jsonCT,
			body:       `{"service_instance_guid":"g1","status":"CREATING","nodes":[]}`,
			wantStatus: 202, wantRoute: "broker-any", wantDests: []string{"platform", "audit", "archive"}},
		{name: "json null is absent", method: "POST", uri: "/broker", ct: jsonCT,
			body: `{"service_instance_guid":null}`, wantStatus: 404, wantCode: "no_route"},
		{name: "malformed json", method: "POST", uri: "/broker", ct: jsonCT, body: `{"status":`,
			wantStatus: 400, wantCode: "bad_request"},
		{name: "json with trailing garbage", method: "POST", uri: "/broker", ct: jsonCT, body: `{"status":"CREATED"}}`,
			wantStatus: 400, wantCode: "bad_request"},
		{name: "empty body has no json", method: "POST", uri: "/broker", wantStatus: 404, wantCode: "no_route"},
		{name: "prefix and header", method: "POST", uri: "/hooks/a/b", ct: jsonCT, body: `{}`,
			headers: []string{"X-Event", "ping"}, wantStatus: 202, wantRoute: "hooks-ping", wantDests: []string{"audit"}},
		{name: "prefix falls to next route", method: "PUT", uri: "/hooks/x", body: "data",
			wantStatus: 202, wantRoute: "hooks-put", wantDests: []string{"archive"}},
		{name: "prefix method ok but match fails", method: "POST", uri: "/hooks/x", wantStatus: 404, wantCode: "no_route"},
		{name: "prefix method not allowed", method: "DELETE", uri: "/hooks/x", wantStatus: 405,
			wantCode: "method_not_allowed", wantAllow: "POST, PUT"},
		{name: "prefix needs the slash", method: "PUT", uri: "/hooks", wantStatus: 404, wantCode: "no_route"},
		{name: "unknown path", method: "POST", uri: "/nothing", wantStatus: 404, wantCode: "no_route"},
		{name: "multipart form", method: "POST", uri: "/upload", ct: mpCT, body: string(mpBody),
			wantStatus: 202, wantRoute: "upload", wantDests: []string{"audit"}},
		{name: "multipart form no match", method: "POST", uri: "/upload", ct: mpCTBad, body: string(mpBodyBad),
			wantStatus: 404, wantCode: "no_route"},
		{name: "malformed multipart", method: "POST", uri: "/upload", ct: "multipart/form-data; boundary=zzz",
			body: "garbage", wantStatus: 400, wantCode: "bad_request"},
		{name: "json number text, bool and object", method: "POST", uri: "/num", ct: jsonCT,
			body: `{"n":1.50,"ok":true,"obj":{"a":[1, "x"]}}`, wantStatus: 202, wantRoute: "number", wantDests: []string{"audit"}},
		{name: "json number compared as text", method: "POST", uri: "/num", ct: jsonCT,
			body: `{"n":1.5,"ok":true,"obj":{"a":[1,"x"]}}`, wantStatus: 404, wantCode: "no_route"},
		{name: "header exists false holds", method: "GET", uri: "/nodebug", wantStatus: 202,
			wantRoute: "no-debug", wantDests: []string{"audit"}},
		{name: "header exists false fails", method: "GET", uri: "/nodebug", headers: []string{"x-debug", "1"},
			wantStatus: 404, wantCode: "no_route"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := ts.stored(t)
			a := ts.call(t, tc.method, tc.uri, tc.ct, []byte(tc.body), tc.headers...)
			if tc.wantRoute == "" {
				wantError(t, a, tc.wantStatus, tc.wantCode)
				if got := a.header.Get("Allow"); got != tc.wantAllow {
					t.Errorf("Allow %q, want %q", got, tc.wantAllow)
				}
				if n := ts.stored(t); n != before {
					t.Errorf("rejected request persisted: %d messages, had %d", n, before)
				}
				return
			}
			id := wantAccepted(t, a, tc.wantStatus, tc.wantRoute, tc.wantDests, false)
			m := ts.message(t, id)
			if m.Route != tc.wantRoute || !slices.Equal(m.Destinations, tc.wantDests) {
				t.Errorf("stored route %q destinations %v, want %q %v", m.Route, m.Destinations, tc.wantRoute, tc.wantDests)
			}
			if m.Method != tc.method || string(m.Body) != tc.body {
				t.Errorf("stored %s body %q, want %s %q", m.Method, m.Body, tc.method, tc.body)
			}
			if ct, _ := headerValue(m, "Content-Type"); ct != tc.ct {
				t.Errorf("stored Content-Type %q, want %q", ct, tc.ct)
			}
			if n := ts.stored(t); n != before+1 {
				t.Errorf("%d messages stored, want %d", n, before+1)
			}
		})
	}
}

func TestStoredMessageFields(t *testing.T) {
	ts := startServer(t, testConfig(config.Route{Name: "broker", Path: "/broker/cb", Methods: []string{"POST"},
		OrderingKey: "json.service_instance_guid", TracingKey: "json.tracing_id",
		Destinations: []string{"platform"}},
		config.Route{Name: "raw", Path: "/raw", Methods: []string{"POST"}, Destinations: []string{"archive"}}), Options{})
	body := []byte(`{"service_instance_guid":"35307a08","status":"CREATED","tracing_id":"12345678"}`)
	a := ts.call(t, "POST", "/broker/cb?a=1&b=%20x", jsonCT, body, "X-Custom", "one", "X-Custom", "two")
	m := ts.message(t, wantAccepted(t, a, 202, "broker", []string{"platform"}, false))
	if m.OrderingKey != "35307a08" || m.TracingID != "12345678" || m.IdempotencyKey != "" {
		t.Errorf("ordering %q tracing %q idempotency %q", m.OrderingKey, m.TracingID, m.IdempotencyKey)
	}
	if m.Path != "/broker/cb" || m.Query != "a=1&b=%20x" || m.RemoteAddr != "127.0.0.1" {
		t.Errorf("path %q query %q remote %q", m.Path, m.Query, m.RemoteAddr)
	}
	var custom []string
	for _, h := range m.Headers {
		if h.Name == "X-Custom" {
			custom = append(custom, h.Value)
		}
	}
	if !slices.Equal(custom, []string{"one", "two"}) {
		t.Errorf("X-Custom headers %v, want [one two] in order (all: %v)", custom, m.Headers)
	}

	// Binary bodies are stored byte for byte, with their Content-Type.
	bin := make([]byte, 4096)
	for i := range bin {
		bin[i] = byte(i * 7)
	}
	a = ts.call(t, "POST", "/raw", "application/octet-stream", bin)
	m = ts.message(t, wantAccepted(t, a, 202, "raw", []string{"archive"}, false))
	if !bytes.Equal(m.Body, bin) {
		t.Errorf("binary body changed: %d bytes stored, sent %d", len(m.Body), len(bin))
	}
	if ct, _ := headerValue(m, "Content-Type"); ct != "application/octet-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	// A JSON key selector cannot read a body that is not JSON.
	wantError(t, ts.call(t, "POST", "/broker/cb", "application/octet-stream", bin), 400, "bad_request")
}

func TestIdempotency(t *testing.T) {
	ts := startServer(t, testConfig(
		config.Route{Name: "eq", Path: "/eq_callback", IdempotencyKey: "form.key", Destinations: []string{"billing", "mailer"}},
		config.Route{Name: "bad-json-key", Path: "/j", IdempotencyKey: "json.id", Destinations: []string{"billing"}},
	), Options{})
	dests := []string{"billing", "mailer"}
	send := func(body string) answer { return ts.call(t, http.MethodPost, "/eq_callback", formCT, []byte(body)) }

	first := wantAccepted(t, send("action=reinstall&key=k1"), 202, "eq", dests, false)
	again := wantAccepted(t, send("action=reinstall&key=k1&status=x"), 200, "eq", dests, true)
	if again != first {
		t.Errorf("duplicate id %s, want %s", again, first)
	}
	other := wantAccepted(t, send("action=reinstall&key=k2"), 202, "eq", dests, false)
	if other == first {
		t.Error("a different key got the same id")
	}
	// No key: not an error, and never a duplicate.
	n1 := wantAccepted(t, send("action=reinstall"), 202, "eq", dests, false)
	n2 := wantAccepted(t, send("action=reinstall"), 202, "eq", dests, false)
	if n1 == n2 {
		t.Error("two messages without a key got the same id")
	}
	if got := ts.stored(t); got != 4 {
		t.Errorf("%d messages stored, want 4", got)
	}
	if m := ts.message(t, first); m.IdempotencyKey != "k1" {
		t.Errorf("stored idempotency key %q", m.IdempotencyKey)
	}
	// A key that must be read from a malformed JSON body is a bad request.
	wantError(t, ts.call(t, http.MethodPost, "/j", jsonCT, []byte("{nope")), 400, "bad_request")
	if got := ts.stored(t); got != 4 {
		t.Errorf("malformed body persisted: %d messages", got)
	}
}
