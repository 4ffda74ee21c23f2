package ingress

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relayd/relayd/daemon/config"
	"github.com/relayd/relayd/queue"
)

// waitFor polls cond until it holds or a deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func ptr[T any](v T) *T { return &v }

// logBuffer collects log output from the server's goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// testConfig is a Config as Load would return it, with routes.
func testConfig(routes ...config.Route) *config.Config {
	return &config.Config{
		Server: config.Server{
			Listen:      "127.0.0.1:0",
			MaxBodySize: 64 << 10,
			ReadTimeout: config.Duration(5 * time.Second),
			IdleTimeout: config.Duration(30 * time.Second),
		},
		Routes: routes,
	}
}

func openStore(t testing.TB, maxDisk int64) *queue.Store {
	t.Helper()
	st, err := queue.Open(queue.Options{Dir: t.TempDir(), Sync: true, Retention: time.Hour, MaxDisk: maxDisk,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("open queue: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// testServer is a Server listening on 127.0.0.1:0 with a real queue.
type testServer struct {
	*Server
	store *queue.Store
	url   string
	logs  *logBuffer
}

// startServer serves cfg; setup runs before serving (hooks must be set
// before the handler goroutines exist).
func startServer(t *testing.T, cfg *config.Config, opts Options, setup ...func(*Server)) *testServer {
	t.Helper()
	if opts.Store == nil {
		opts.Store = openStore(t, 0)
	}
	logs := &logBuffer{}
	opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := New(cfg, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, f := range setup {
		f(s)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return &testServer{Server: s, store: opts.Store, url: "http://" + ln.Addr().String(), logs: logs}
}

// answer is an HTTP response as a test sees it.
type answer struct {
	status int
	header http.Header
	body   string
	json   map[string]any
}

var testClient = &http.Client{Timeout: 10 * time.Second}

// call sends one request; headers are name, value pairs.
func (ts *testServer) call(t *testing.T, method, pathQuery, contentType string, body []byte, headers ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, ts.url+pathQuery, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, pathQuery, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, body: string(raw)}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q, want application/json", method, pathQuery, ct)
	}
	if method != http.MethodHead {
		if err := json.Unmarshal(raw, &a.json); err != nil {
			t.Fatalf("%s %s: answer is not a JSON object: %q", method, pathQuery, raw)
		}
	}
	return a
}

// stored returns how many messages the queue holds.
func (ts *testServer) stored(t *testing.T) int {
	t.Helper()
	ms, err := ts.store.List(queue.Filter{Limit: 10000})
	if err != nil {
		t.Fatalf("list queue: %v", err)
	}
	return len(ms)
}

// message returns the stored message with id.
func (ts *testServer) message(t *testing.T, id string) *queue.Message {
	t.Helper()
	m, _, err := ts.store.Get(id)
	if err != nil {
		t.Fatalf("get %s from queue: %v", id, err)
	}
	return m
}

func headerValue(m *queue.Message, name string) (string, bool) {
	for _, h := range m.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value, true
		}
	}
	return "", false
}

// wantError checks an error answer's status and exact JSON shape.
func wantError(t *testing.T, a answer, status int, code string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d; body %s", a.status, status, a.body)
	}
	if len(a.json) != 3 || a.json["result"] != "ERROR" || a.json["error"] != code {
		t.Fatalf("answer %s, want result ERROR, error %q and error_message only", a.body, code)
	}
	if msg, _ := a.json["error_message"].(string); msg == "" {
		t.Fatalf("answer %s: empty error_message", a.body)
	}
}

// wantAccepted checks an accepted answer and returns its id.
func wantAccepted(t *testing.T, a answer, status int, route string, dests []string, duplicate bool) string {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d; body %s", a.status, status, a.body)
	}
	id, _ := a.json["id"].(string)
	if len(id) != 32 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
		t.Fatalf("id %q is not 32 chars [a-z0-9]", id)
	}
	var want []any
	for _, d := range dests {
		want = append(want, d)
	}
	got, _ := json.Marshal(a.json["destinations"])
	wantJSON, _ := json.Marshal(want)
	if a.json["result"] != "OK" || a.json["route"] != route || string(got) != string(wantJSON) {
		t.Fatalf("answer %s, want route %q destinations %s", a.body, route, wantJSON)
	}
	keys := 4
	if duplicate {
		keys = 5
		if a.json["duplicate"] != true {
			t.Fatalf("answer %s: want \"duplicate\":true", a.body)
		}
	}
	if len(a.json) != keys {
		t.Fatalf("answer %s: %d keys, want %d", a.body, len(a.json), keys)
	}
	return id
}
