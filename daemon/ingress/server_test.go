package ingress

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/relayd/relayd/daemon/config"
	"github.com/relayd/relayd/queue"
)

func TestHealthz(t *testing.T) {
	st := openStore(t, 0)
	ts := startServer(t, testConfig(), Options{Store: st})
	a := ts.call(t, http.MethodGet, "/_relay/healthz", "", nil)
	if a.status != 200 || a.body != `{"result":"OK"}` {
		t.Fatalf("healthz %d %s", a.status, a.body)
	}
	if got := a.header.Get("Server"); got != "relayd" {
		t.Errorf("Server header %q", got)
	}
	wantError(t, ts.call(t, http.MethodPost, "/_relay/healthz", "", nil), 405, "method_not_allowed")
	wantError(t, ts.call(t, http.MethodGet, "/_relay/other", "", nil), 404, "no_route")

	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	a = ts.call(t, http.MethodGet, "/_relay/healthz", "", nil)
	wantError(t, a, 503, "unavailable")
	if a.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
}

func TestStatusEndpoint(t *testing.T) {
	route := config.Route{Name: "r", Path: "/cb", Destinations: []string{"d"}}
	var st *queue.Store
	status := func(id string) ([]byte, int) {
		m, _, err := st.Get(id)
		if errors.Is(err, queue.ErrNotFound) {
			return []byte(`{"error":1,"error_message":"not found"}`), 404
		}
		if err != nil {
			return []byte(`{"error":1}`), 500
		}
		return fmt.Appendf(nil, `{"id":%q,"route":%q}`, m.ID, m.Route), 200
	}
	st = openStore(t, 0)

	t.Run("off without status_token", func(t *testing.T) {
		ts := startServer(t, testConfig(route), Options{Store: st, Status: status})
		wantError(t, ts.call(t, http.MethodGet, "/_relay/messages/abc", "", nil, "Authorization", "Bearer x"), 404, "no_route")
	})

	cfg := testConfig(route)
	cfg.Server.StatusToken = "st-token"
	ts := startServer(t, cfg, Options{Store: st, Status: status})
	id := wantAccepted(t, ts.call(t, http.MethodPost, "/cb", "", []byte("x")), 202, "r", []string{"d"}, false)
	cases := []struct {
		name       string
		path       string
		auth       string
		wantStatus int
		wantBody   string
	}{
		{"no token", "/_relay/messages/" + id, "", 401, ""},
		{"wrong token", "/_relay/messages/" + id, "Bearer st-tokeN", 401, ""},
		{"not bearer", "/_relay/messages/" + id, "Basic st-token", 401, ""},
		{"good", "/_relay/messages/" + id, "Bearer st-token", 200, fmt.Sprintf(`{"id":%q,"route":"r"}`, id)},
		{"unknown id", "/_relay/messages/nope", "Bearer st-token", 404, `{"error":1,"error_message":"not found"}`},
		{"no id", "/_relay/messages/", "Bearer st-token", 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var hs []string
			if tc.auth != "" {
				hs = []string{"Authorization", tc.auth}
			}
			a := ts.call(t, http.MethodGet, tc.path, "", nil, hs...)
			switch {
			case tc.wantBody != "":
				if a.status != tc.wantStatus || a.body != tc.wantBody {
					t.Errorf("%d %s, want %d %s", a.status, a.body, tc.wantStatus, tc.wantBody)
				}
			case tc.wantStatus == 401:
				wantError(t, a, 401, "unauthorized")
			default:
				wantError(t, a, 404, "no_route")
			}
		})
	}
	if strings.Contains(ts.logs.String(), "st-token") {
		t.Error("status token was logged")
	}
}

func TestPanicRecovered(t *testing.T) {
	ts := startServer(t, testConfig(config.Route{Name: "r", Path: "/cb", Destinations: []string{"d"}}), Options{},
		func(s *Server) {
			s.beforePersist = func(ctx *fasthttp.RequestCtx) {
				if len(ctx.Request.Header.Peek("X-Panic")) > 0 {
					panic("boom from test")
				}
			}
		})
	for range 2 {
		wantError(t, ts.call(t, http.MethodPost, "/cb", "", []byte("x"), "X-Panic", "1"), 500, "internal")
		wantAccepted(t, ts.call(t, http.MethodPost, "/cb", "", []byte("x")), 202, "r", []string{"d"}, false)
	}
	if n := ts.stored(t); n != 2 {
		t.Errorf("%d messages stored, want 2", n)
	}
	logs := ts.logs.String()
	if n := strings.Count(logs, "panic in callback handler"); n != 2 {
		t.Errorf("%d panic log lines, want 2:\n%s", n, logs)
	}
	if !strings.Contains(logs, "boom from test") || !strings.Contains(logs, "stack=") {
		t.Errorf("panic logged without its value or stack:\n%s", logs)
	}
}

// rawPost sends headers claiming contentLength bytes but no body, which is
// enough for fasthttp to refuse an oversized body, and reads the answer.
func rawPost(t *testing.T, addr, path string, contentLength int) (*http.Response, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n", path, contentLength)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = bufio.NewReader(resp.Body).WriteTo(&b)
	return resp, b.String()
}

func TestTooLarge(t *testing.T) {
	cfg := testConfig(config.Route{Name: "r", Path: "/cb", Destinations: []string{"d"}})
	cfg.Server.MaxBodySize = 1000
	ts := startServer(t, cfg, Options{})
	addr := strings.TrimPrefix(ts.url, "http://")

	resp, body := rawPost(t, addr, "/cb", 1001)
	want := `{"result":"ERROR","error":"too_large","error_message":"body is larger than max_body_size (1000 bytes)"}`
	if resp.StatusCode != 413 || body != want || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %q %s, want 413 %s", resp.StatusCode, resp.Header.Get("Content-Type"), body, want)
	}
	// One event, one line: fasthttp's own report of the same error is Debug.
	waitFor(t, "fasthttp's connection error line", func() bool {
		return strings.Contains(ts.logs.String(), `msg="fasthttp: error when serving connection`)
	})
	if n := countLines(ts.logs.String(), "level=INFO", "level=WARN", "level=ERROR"); n != 1 {
		t.Fatalf("the 413 logged %d lines above Debug, want 1:\n%s", n, ts.logs.String())
	}
	wantAccepted(t, ts.call(t, http.MethodPost, "/cb", "", make([]byte, 1000)), 202, "r", []string{"d"}, false)

	// max_body_size is swapped live by Apply.
	cfg2 := testConfig(cfg.Routes...)
	cfg2.Server.MaxBodySize = 100
	if err := ts.Apply(cfg2); err != nil {
		t.Fatal(err)
	}
	wantError(t, ts.call(t, http.MethodPost, "/cb", "", make([]byte, 101)), 413, "too_large")
	if n := ts.stored(t); n != 1 {
		t.Errorf("%d messages stored, want 1", n)
	}
}

func TestUnavailable(t *testing.T) {
	route := config.Route{Name: "r", Path: "/cb", Destinations: []string{"d"}}
	cases := []struct {
		name       string
		maxDisk    int64
		closeStore bool
		retryAfter string
		logged     string
	}{
		{"disk cap reached", 1, false, "60", ""},
		{"store closed", 0, true, "5", "persist callback failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t, tc.maxDisk)
			ts := startServer(t, testConfig(route), Options{Store: st})
			if tc.closeStore {
				if err := st.Close(); err != nil {
					t.Fatal(err)
				}
			}
			a := ts.call(t, http.MethodPost, "/cb", "", []byte("x"))
			wantError(t, a, 503, "unavailable")
			if got := a.header.Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tc.retryAfter)
			}
			if !strings.Contains(ts.logs.String(), tc.logged) {
				t.Errorf("%q not logged", tc.logged)
			}
			wantError(t, ts.call(t, http.MethodGet, "/_relay/healthz", "", nil), 503, "unavailable")
			if !tc.closeStore && ts.stored(t) != 0 {
				t.Error("a message was stored above the disk cap")
			}
		})
	}
}

func TestApply(t *testing.T) {
	ts := startServer(t, testConfig(config.Route{Name: "old", Path: "/old", Destinations: []string{"a"}}), Options{})
	wantAccepted(t, ts.call(t, http.MethodPost, "/old", "", nil), 202, "old", []string{"a"}, false)

	next := testConfig(config.Route{Name: "new", Path: "/new", Destinations: []string{"b", "c"}})
	if err := ts.Apply(next); err != nil {
		t.Fatal(err)
	}
	wantError(t, ts.call(t, http.MethodPost, "/old", "", nil), 404, "no_route")
	wantAccepted(t, ts.call(t, http.MethodPost, "/new", "", nil), 202, "new", []string{"b", "c"}, false)

	bad := []*config.Config{
		testConfig(config.Route{Name: "x", Path: "/x", Match: []config.Match{{Field: "json.a", Regex: "("}}, Destinations: []string{"a"}}),
		testConfig(config.Route{Name: "x", Path: "/x", Match: []config.Match{{Field: "body.a", Equals: ptr("1")}}, Destinations: []string{"a"}}),
		testConfig(config.Route{Name: "x", Path: "/x", Auth: &config.Auth{AllowIPs: []string{"10.0.0.0/99"}}, Destinations: []string{"a"}}),
		testConfig(config.Route{Name: "x", Path: "/x", Auth: &config.Auth{StandardWebhooks: &config.StandardWebhooks{Secret: "nope"}}, Destinations: []string{"a"}}),
		testConfig(config.Route{Name: "x", Path: "/x", Auth: &config.Auth{HMAC: &config.HMACAuth{Header: "X", Secret: "s", Algo: "md5"}}, Destinations: []string{"a"}}),
		testConfig(config.Route{Name: "x", Path: "/x", IdempotencyKey: "form", Destinations: []string{"a"}}),
	}
	bad[0].Server.TrustedProxies = []string{"127.0.0.1"}
	for i, cfg := range bad {
		if err := ts.Apply(cfg); err == nil {
			t.Errorf("bad config %d applied", i)
		}
	}
	wantAccepted(t, ts.call(t, http.MethodPost, "/new", "", nil), 202, "new", []string{"b", "c"}, false)
	wantError(t, ts.call(t, http.MethodPost, "/x", "", nil), 404, "no_route")
}

// TestApplyUnderLoad swaps tables while requests are served: every request
// sees one whole table (race detector clean), never a mix.
func TestApplyUnderLoad(t *testing.T) {
	a := testConfig(config.Route{Name: "a", PathPrefix: "/", Destinations: []string{"x"}})
	b := testConfig(config.Route{Name: "b", PathPrefix: "/", Destinations: []string{"y", "z"}})
	ts := startServer(t, a, Options{})
	stop := make(chan struct{})
	swapped := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				swapped <- n
				return
			default:
			}
			cfg := a
			if n%2 == 0 {
				cfg = b
			}
			if err := ts.Apply(cfg); err != nil {
				t.Error(err)
			}
			n++
		}
	}()
	for range 30 {
		got := ts.call(t, http.MethodPost, "/cb", "", nil)
		switch got.json["route"] {
		case "a":
			wantAccepted(t, got, 202, "a", []string{"x"}, false)
		default:
			wantAccepted(t, got, 202, "b", []string{"y", "z"}, false)
		}
	}
	close(stop)
	if n := <-swapped; n == 0 {
		t.Error("no table was swapped during the requests")
	}
}

// countLines counts the lines of logs that contain any of levels.
func countLines(logs string, levels ...string) int {
	n := 0
	for _, line := range strings.Split(logs, "\n") {
		for _, l := range levels {
			if strings.Contains(line, l) {
				n++
				break
			}
		}
	}
	return n
}
