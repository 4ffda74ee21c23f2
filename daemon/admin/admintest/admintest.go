// Package admintest starts a real admin server for tests: a Badger queue in
// a temporary directory, a running relay whose destinations point at an
// HTTP sink on 127.0.0.1, and the admin API on a unix socket, with a
// client connected to it. Tests of admin and relayctl share it.
package admintest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relayd/relayd/daemon/admin"
	"github.com/relayd/relayd/daemon/admin/client"
	"github.com/relayd/relayd/queue"
	"github.com/relayd/relayd/relay"
)

// Request is one request the sink received.
type Request struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   string
}

// Sink is a downstream HTTP server on 127.0.0.1 answering a settable status.
type Sink struct {
	URL    string
	status atomic.Int32
	mu     sync.Mutex
	reqs   []Request
}

// StartSink starts a sink answering 200 until SetStatus.
func StartSink(t testing.TB) *Sink {
	t.Helper()
	s := &Sink{}
	s.status.Store(http.StatusOK)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, Request{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(b)})
		s.mu.Unlock()
		code := int(s.status.Load())
		w.WriteHeader(code)
		io.WriteString(w, http.StatusText(code))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	s.URL = "http://" + ln.Addr().String()
	return s
}

// SetStatus sets the status the sink answers with.
func (s *Sink) SetStatus(code int) { s.status.Store(int32(code)) }

// Requests returns what the sink received so far.
func (s *Sink) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Options shape the environment.
type Options struct {
	// Destinations are configured, in order, all pointing at the sink
	// (path /<name>); default billing and mailer.
	Destinations []string
	Reload       func(ctx context.Context) (client.ReloadResult, error)
	Censor       admin.CensorRules
	Version      string
	// Logger receives the admin server's logs; nil discards them.
	Logger *slog.Logger
}

// Env is a running admin server and everything behind it.
type Env struct {
	Store  *queue.Store
	Relay  *relay.Relay
	Server *admin.Server
	Sink   *Sink
	Socket string
	Client *client.Client
}

// Start builds and starts an Env; everything stops at test cleanup.
func Start(t testing.TB, opts Options) *Env {
	t.Helper()
	if opts.Destinations == nil {
		opts.Destinations = []string{"billing", "mailer"}
	}
	if opts.Reload == nil {
		opts.Reload = func(context.Context) (client.ReloadResult, error) { return NothingChanged(), nil }
	}
	if opts.Version == "" {
		opts.Version = "test"
	}
	logger := slog.New(slog.DiscardHandler)
	store, err := queue.Open(queue.Options{Dir: t.TempDir(), Retention: time.Hour, Logger: logger})
	if err != nil {
		t.Fatalf("open queue: %v", err)
	}
	e := &Env{Store: store, Sink: StartSink(t)}
	e.Relay = relay.New(store, logger)
	var dests []relay.Destination
	for _, name := range opts.Destinations {
		dests = append(dests, Destination(name, e.Sink.URL+"/"+name))
	}
	if err := e.Relay.Apply(dests); err != nil {
		t.Fatalf("apply destinations: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go e.Relay.Start(ctx)
	censor := opts.Censor
	adminLogger := logger
	if opts.Logger != nil {
		adminLogger = opts.Logger
	}
	e.Server = admin.New(admin.Options{
		Store: store, Relay: e.Relay, Logger: adminLogger, Version: opts.Version,
		Started: time.Now().Add(-time.Minute), Reload: opts.Reload,
		Censor: func() admin.CensorRules { return censor },
	})
	dir, err := os.MkdirTemp("", "ra") // short: unix socket paths are limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	e.Socket = filepath.Join(dir, "admin.sock")
	ln, err := admin.Listen(e.Socket, admin.Access{})
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- e.Server.Serve(ln) }()
	e.Client = client.New(e.Socket)
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		if err := e.Server.Shutdown(sctx); err != nil {
			t.Errorf("admin shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("admin serve: %v", err)
		}
		cancel()
		e.Relay.Close(sctx)
		store.Close()
		os.RemoveAll(dir)
	})
	return e
}

// Destination is a fast-retrying destination: 5xx and network errors
// retry every few milliseconds, any other non-2xx is dead at once.
func Destination(name, url string) relay.Destination {
	return relay.Destination{
		Name: name, URL: url, Timeout: 2 * time.Second, MaxRedirects: 5, Concurrency: 2, Enabled: true,
		BreakerFailures: 3, FailingAfter: 5, // SPEC.md's defaults: relay applies none
		Retry: relay.RetryPolicy{
			InitialInterval: 5 * time.Millisecond, Multiplier: 2, MaxInterval: 20 * time.Millisecond,
			MaxElapsed: time.Hour, OnStatus: []relay.StatusRange{{Lo: 500, Hi: 599}},
		},
	}
}

// Enqueue stores a message (ReceivedAt and ID assigned when empty) and
// returns its id.
func (e *Env) Enqueue(t testing.TB, m *queue.Message) string {
	t.Helper()
	if m.Method == "" {
		m.Method = http.MethodPost
	}
	if m.Path == "" {
		m.Path = "/eq_callback"
	}
	if m.Route == "" {
		m.Route = "eq-callback"
	}
	id, _, err := e.Store.Enqueue(context.Background(), m)
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return id
}

// Counts returns one destination's counts as the admin API reports them.
func (e *Env) Counts(t testing.TB, dest string) client.DestinationCounts {
	t.Helper()
	st, err := e.Client.Status(context.Background())
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	for _, d := range st.Destinations {
		if d.Name == dest {
			return d
		}
	}
	return client.DestinationCounts{Name: dest, State: "absent"}
}

// WaitFor polls cond until it holds or 10s pass.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not synchronisation
	}
}

// IsAPIError reports whether err is an admin API error with status code.
func IsAPIError(err error, code int) bool {
	var ae *client.Error
	return errors.As(err, &ae) && ae.Status == code
}

// NothingChanged is the answer of a reload that changed nothing.
func NothingChanged() client.ReloadResult {
	none := client.Names{Routes: []string{}, Destinations: []string{}}
	return client.ReloadResult{Result: "OK", Reloaded: true, Added: none, Removed: none, Changed: none,
		RestartNeeded: []string{}}
}
