package e2e

import (
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
)

// received is one request a sink got.
type received struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   string
}

// sink is a real HTTP downstream on 127.0.0.1 that records every request
// and answers with the status it is told to.
type sink struct {
	mu     sync.Mutex
	status int
	reqs   []received
	srv    *http.Server
	addr   string
}

// startSink serves on addr ("127.0.0.1:0" for any port).
func startSink(t *testing.T, addr string) *sink {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("sink listen %s: %v", addr, err)
	}
	s := &sink{status: http.StatusOK, addr: ln.Addr().String()}
	s.srv = &http.Server{Handler: s}
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.reqs = append(s.reqs, received{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(body)})
	status := s.status
	s.mu.Unlock()
	w.WriteHeader(status)
	io.WriteString(w, "sink says "+http.StatusText(status))
}

func (s *sink) setStatus(code int) {
	s.mu.Lock()
	s.status = code
	s.mu.Unlock()
}

func (s *sink) requests() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.reqs...)
}

// ids returns the distinct X-Relay-Id values received with a 2xx answer
// pending; duplicates (at-least-once) collapse.
func (s *sink) ids() map[string]int {
	m := map[string]int{}
	for _, r := range s.requests() {
		m[r.Header.Get("X-Relay-Id")]++
	}
	return m
}
