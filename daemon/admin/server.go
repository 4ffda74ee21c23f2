package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relayd/relayd/daemon/admin/client"
	"github.com/relayd/relayd/queue"
	"github.com/relayd/relayd/relay"
)

// Options wire a Server.
type Options struct {
	Store   *queue.Store
	Relay   *relay.Relay
	Logger  *slog.Logger
	Version string
	Started time.Time
	// Reload re-reads the config without logging the outcome (the
	// command's line does) and says what changed; its error (every
	// problem of a refused config) is passed to the operator as is.
	Reload func(ctx context.Context) (client.ReloadResult, error)
	// Censor returns the current censoring rules (from the running
	// config); nil censors DefaultCensorFields only.
	Censor func() CensorRules
	// Access says who may run which command, besides root and relayd's
	// own user; it is checked against each connection's peer.
	Access Access
}

// Server is the admin API.
type Server struct {
	opts     Options
	logger   *slog.Logger
	srv      *http.Server
	stopping chan struct{} // closed by Shutdown: ends tail streams
	stopOnce sync.Once
	tails    atomic.Int64 // open tail streams (tests wait on it)
	// recent keeps the last events for tail -n and feeds tail streams;
	// unsubscribe ends its feed from relay.
	recent      *recentEvents
	unsubscribe func()
}

// New builds the admin API; nothing is served until Serve.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Started.IsZero() {
		opts.Started = time.Now()
	}
	s := &Server{opts: opts, logger: opts.Logger, stopping: make(chan struct{}), recent: newRecentEvents()}
	// Subscribed from the start, so that tail -n shows what happened
	// before anyone asked.
	events, unsubscribe := opts.Relay.Subscribe(tailBuffer)
	s.unsubscribe = unsubscribe
	go s.recent.run(events)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", s.handleStatus)
	mux.HandleFunc("GET /v1/destinations", s.handleDestinations)
	mux.HandleFunc("POST /v1/destinations/{name}/pause", s.handlePause)
	mux.HandleFunc("POST /v1/destinations/{name}/resume", s.handleResume)
	mux.HandleFunc("GET /v1/messages", s.handleList)
	mux.HandleFunc("GET /v1/messages/{id}", s.handleShow)
	mux.HandleFunc("DELETE /v1/messages", s.handlePurge)
	mux.HandleFunc("POST /v1/replay", s.handleReplay)
	mux.HandleFunc("POST /v1/reload", s.handleReload)
	mux.HandleFunc("GET /v1/tail", s.handleTail)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no admin endpoint %s %s", r.Method, r.URL.Path)
	})
	s.srv = &http.Server{
		Handler:           s.checkPeer(mux),
		ConnContext:       connContext,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn),
	}
	return s
}

// Serve answers admin requests on ln until Shutdown; it returns nil after
// Shutdown.
// Every connection's peer is read at Accept; a request from a peer that
// may not run it is answered 403.
func (s *Server) Serve(ln net.Listener) error {
	if err := s.srv.Serve(peerListener{ln}); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown ends tail streams, stops accepting and waits for requests in
// progress until ctx is done.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() {
		close(s.stopping)
		s.unsubscribe()
	})
	return s.srv.Shutdown(ctx)
}

// writeJSON answers v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = marshal(client.ErrorBody{Error: 1, ErrorMessage: "encode answer: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// writeError answers {"error":1,"error_message":...}.
func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, client.ErrorBody{Error: 1, ErrorMessage: fmt.Sprintf(format, args...)})
}

// marshal encodes v without HTML escaping: bodies and queries stay
// readable ("a=1&b=2", not "a=1\u0026b=2").
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
