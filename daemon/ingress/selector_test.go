package ingress

import (
	"bufio"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/relayd/relayd/daemon/config"
	"github.com/relayd/relayd/queue"
)

// newRequest builds a request the way fasthttp hands it to the handler.
func newRequest(method, uri, contentType string, body []byte) *request {
	var req fasthttp.Request
	req.Header.SetMethod(method)
	req.SetRequestURI(uri)
	if contentType != "" {
		req.Header.SetContentType(contentType)
	}
	req.SetBody(body)
	ctx := &fasthttp.RequestCtx{}
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, nil)
	return &request{ctx: ctx}
}

const brokerBody = `{"service_instance_guid":"35307a08-a377","status":"CREATED","tracing_id":"12345678",
 "n":1.50,"neg":-0,"big":12345678901234567890,"ok":false,"none":null,"empty":"",
 "nodes":[{"name":"pg-0","ips":["10.0.0.1"]},{"name":"pg-1"}],"a.b":"dotted","unicode":"żółw\u00e9"}`

func TestJSONSelector(t *testing.T) {
	cases := []struct {
		sel       string
		want      string
		wantFound bool
	}{
		{"json.status", "CREATED", true},
		{"json.n", "1.50", true},
		{"json.neg", "-0", true},
		{"json.big", "12345678901234567890", true},
		{"json.ok", "false", true},
		{"json.none", "", false},
		{"json.empty", "", true},
		{"json.missing", "", false},
		{"json.nodes.1.name", "pg-1", true},
		{"json.nodes.0.ips", `["10.0.0.1"]`, true},
		{"json.nodes.0", `{"ips":["10.0.0.1"],"name":"pg-0"}`, true},
		{"json.nodes.2.name", "", false},
		{"json.nodes.-1", "", false},
		{"json.nodes.x", "", false},
		{"json.status.deeper", "", false},
		{"json.a.b", "", false}, // keys with dots are not addressable
		{"json.unicode", "żółwé", true},
	}
	for _, tc := range cases {
		t.Run(tc.sel, func(t *testing.T) {
			sel, err := compileSelector(tc.sel)
			if err != nil {
				t.Fatal(err)
			}
			rq := newRequest("POST", "/b", "text/plain", []byte(brokerBody))
			got, found, err := rq.value(sel)
			if err != nil || found != tc.wantFound || string(got) != tc.want {
				t.Errorf("got %q found %v err %v, want %q found %v", got, found, err, tc.want, tc.wantFound)
			}
		})
	}
}

func TestJSONBodies(t *testing.T) {
	sel, _ := compileSelector("json.a")
	cases := []struct {
		name    string
		body    string
		wantErr bool
	}{
		{"empty", "", false},
		{"whitespace", " \n\t", false},
		{"array top level", `[1,2]`, false},
		{"scalar top level", `"a"`, false},
		{"truncated", `{"a":`, true},
		{"two values", `{"a":1} {"a":2}`, true},
		{"not json", `action=reinstall`, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rq := newRequest("POST", "/", "", []byte(tc.body))
			_, found, err := rq.value(sel)
			if (err != nil) != tc.wantErr || found {
				t.Errorf("found %v err %v, want error %v", found, err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, errBadBody) {
				t.Errorf("error %v does not wrap errBadBody", err)
			}
		})
	}
}

func TestOtherSelectors(t *testing.T) {
	rq := newRequest("POST", "/x?q=1&empty=&q=2", formCT, []byte("action=reinstall&key=k%20y&blank="))
	rq.ctx.Request.Header.Set("X-Event", "ping")
	cases := []struct {
		sel       string
		want      string
		wantFound bool
	}{
		{"query.q", "1", true},
		{"query.empty", "", true},
		{"query.nope", "", false},
		{"form.key", "k y", true},
		{"form.blank", "", true},
		{"form.nope", "", false},
		{"header.x-event", "ping", true},
		{"header.X-EVENT", "ping", true},
		{"header.X-Other", "", false},
	}
	for _, tc := range cases {
		sel, err := compileSelector(tc.sel)
		if err != nil {
			t.Fatal(err)
		}
		got, found, err := rq.value(sel)
		if err != nil || found != tc.wantFound || string(got) != tc.want {
			t.Errorf("%s: got %q found %v err %v, want %q found %v", tc.sel, got, found, err, tc.want, tc.wantFound)
		}
	}
}

// FuzzJSONSelector evaluates selectors and match conditions on arbitrary
// bodies: it must never panic, and a found value never comes with an error.
func FuzzJSONSelector(f *testing.F) {
	f.Add([]byte(brokerBody), "json.nodes.0.name", "^pg-")
	f.Add([]byte(`{"a":{"b":[null,true,1e400]}}`), "json.a.b.2", "1")
	f.Add([]byte(`[[[[[]]]]]`), "json.0.0.0.0", ".*")
	f.Add([]byte(`{"a":"\ud800"}`), "json.a", "")
	f.Add([]byte(`{"a":1}garbage`), "json.a", "x")
	f.Add([]byte("action=reinstall&key=x"), "form.key", "x")
	f.Add([]byte(""), "header.X", "")
	f.Fuzz(func(t *testing.T, body []byte, field, pattern string) {
		sel, err := compileSelector(field)
		if err != nil || sel == nil {
			return
		}
		rq := newRequest("POST", "/f?x=1", formCT, body)
		v, found, err := rq.value(sel)
		if err != nil && (found || v != nil) {
			t.Fatalf("value %q found %v with error %v", v, found, err)
		}
		cfg := testConfig(config.Route{Name: "f", Path: "/f", Destinations: []string{"d"},
			Match: []config.Match{{Field: field, Regex: strings.ReplaceAll(pattern, `\`, "")}, {Field: field, Exists: ptr(true)}}})
		tb, err := compile(cfg)
		if err != nil {
			return // an invalid regex is a config error
		}
		r, _, err := tb.find(newRequest("POST", "/f", formCT, body))
		if err != nil && r == nil {
			t.Fatalf("error %v without the route that needed the body", err)
		}
	})
}

func TestAppendJSONString(t *testing.T) {
	cases := map[string]string{
		"plain":           `"plain"`,
		`q"b\`:            `"q\"b\\"`,
		"nl\n\r\t\x01":    `"nl\n\r\t\u0001"`,
		"żółw":            `"żółw"`,
		"bad\xffutf8":     `"bad\ufffdutf8"`,
		"</script>&<>'ok": `"</script>&<>'ok"`,
	}
	for in, want := range cases {
		if got := string(appendJSONString(nil, in)); got != want {
			t.Errorf("%q: got %s, want %s", in, got, want)
		}
	}
}

func TestCopyTextHeaders(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		want []queue.Header
	}{
		{"order, repeats and names as sent",
			"POST /p?a=1 HTTP/1.1\r\nhost: h\r\nx-b: 2\r\nX-A:  1 \r\nx-b: 3\r\nContent-Length: 0\r\n\r\n",
			[]queue.Header{{Name: "host", Value: "h"}, {Name: "x-b", Value: "2"}, {Name: "X-A", Value: "1"},
				{Name: "x-b", Value: "3"}, {Name: "Content-Length", Value: "0"}}},
		{"empty value", "GET /p HTTP/1.1\r\nHost: h\r\nX-Empty:\r\n\r\n",
			[]queue.Header{{Name: "Host", Value: "h"}, {Name: "X-Empty", Value: ""}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var req fasthttp.Request
			if err := req.Read(bufio.NewReader(strings.NewReader(tc.raw))); err != nil {
				t.Fatal(err)
			}
			ctx := &fasthttp.RequestCtx{}
			ctx.Init(&req, nil, nil)
			var m queue.Message
			copyText(ctx, &m)
			if !slices.Equal(m.Headers, tc.want) {
				t.Errorf("headers %q, want %q", m.Headers, tc.want)
			}
			if m.Path != "/p" || m.Method != string(req.Header.Method()) {
				t.Errorf("method %q path %q", m.Method, m.Path)
			}
		})
	}
	// Obsolete folding cannot be copied from the raw block: the parsed view is used.
	s := headerLines{b: []byte("X-A: 1\r\n  more\r\nX-B: 2\r\n\r\n")}
	var names []string
	for k, _, ok := s.next(); ok; k, _, ok = s.next() {
		names = append(names, string(k))
	}
	if !s.folded || !slices.Equal(names, []string{"X-A", "X-B"}) {
		t.Errorf("folded %v names %v", s.folded, names)
	}
}
