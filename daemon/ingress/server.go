package ingress

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/relayd/relayd/daemon/config"
	"github.com/relayd/relayd/queue"
)

// Options wire a Server.
type Options struct {
	// Store is where accepted messages are written; required.
	Store *queue.Store
	// Logger receives one line per rejected request (Info/Warn) and per
	// accepted one (Debug); nil discards.
	Logger *slog.Logger
	// Status renders GET /_relay/messages/{id} (the admin package supplies
	// it): JSON body and HTTP status. Censoring is its job.
	Status func(id string) (body []byte, status int)
	// StatusByKey renders GET /_relay/messages?key=K (admin supplies it):
	// the messages with that idempotency key, ordering key or tracing id.
	StatusByKey func(key string) (body []byte, status int)
	// Version is the daemon's version, logged when serving starts.
	Version string
	// Observe, when set, is told of every request the handler answers:
	// the route that took it ("" for none), the status, and the time from
	// its receipt to the answer (0 for a request fasthttp could not read:
	// it has no receipt time). It runs on the request's goroutine, so it
	// must be cheap (metrics).
	Observe func(route string, status int, took time.Duration)
}

// Server is the callback listener.
type Server struct {
	store   *queue.Store
	logger  *slog.Logger
	status  func(id string) ([]byte, int)
	byKey   func(key string) ([]byte, int)
	version string

	table atomic.Pointer[table]
	http  *fasthttp.Server

	// Fixed until restart, like the listener they belong to.
	maxHeader          int
	maxConns, maxPerIP int
	// rejectLog paces the rejection log lines per error class.
	rejectLog *rateLog
	// conns is the listener's connection cap, once Serve has started.
	conns atomic.Pointer[connLimiter]

	// persistCtx bounds Enqueue calls; Shutdown cancels it only when its own
	// context expires, so graceful shutdown lets in-flight writes finish.
	persistCtx    context.Context
	cancelPersist context.CancelFunc

	// beforePersist, when set (by tests), runs in the handler after auth
	// and before Enqueue.
	beforePersist func(ctx *fasthttp.RequestCtx)
	observe       func(route string, status int, took time.Duration)
}

// New compiles cfg's routes (regexes, selectors, CIDRs, auth) and builds the
// fasthttp server; nothing is served until Serve.
func New(cfg *config.Config, opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("ingress: Options.Store is required")
	}
	t, err := compile(cfg)
	if err != nil {
		return nil, fmt.Errorf("compile routes: %w", err)
	}
	s := &Server{store: opts.Store, logger: opts.Logger, status: opts.Status, byKey: opts.StatusByKey, version: opts.Version, observe: opts.Observe,
		maxHeader: int(cfg.Server.MaxHeaderSize), maxConns: cfg.Server.MaxConns, maxPerIP: cfg.Server.MaxConnsPerIP,
		rejectLog: newRateLog(rejectLogRate, rejectLogBurst, nil)}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.maxHeader <= 0 {
		s.maxHeader = int(config.Default().Server.MaxHeaderSize)
	}
	s.persistCtx, s.cancelPersist = context.WithCancel(context.Background())
	s.table.Store(t)
	s.http = &fasthttp.Server{
		Name:           "relayd",
		Handler:        s.Handler,
		ErrorHandler:   s.readError,
		HeaderReceived: s.headerReceived,
		ReadTimeout:    cfg.Server.ReadTimeout.D(),
		WriteTimeout:   cfg.Server.WriteTimeout.D(),
		IdleTimeout:    cfg.Server.IdleTimeout.D(),
		// The request line and header block must fit in the read buffer;
		// fasthttp refuses a larger one with *ErrSmallBuffer (431 here).
		ReadBufferSize:     s.maxHeader,
		MaxRequestBodySize: t.maxBody,
		// The raw body is what is stored and forwarded: pre-parsing a
		// multipart form would consume it. Forms are parsed lazily.
		DisablePreParseMultipartForm: true,
		NoDefaultContentType:         true,
		// fasthttp's parse errors quote the request (query string,
		// Authorization); neither the answers nor the log use their text,
		// and this keeps it out of the errors themselves.
		SecureErrorLogMessage: true,
		Logger:                fasthttpLogger{s.logger},
	}
	return s, nil
}

// Routes is a compiled route table (with the auth, trusted proxies, status
// token and body limit it carries), ready for Install.
type Routes struct{ t *table }

// Compile builds cfg's route table and changes nothing: a reload compiles
// the routes and builds the destinations before it swaps either. Every
// problem is named by its YAML path.
func Compile(cfg *config.Config) (*Routes, error) {
	t, err := compile(cfg)
	if err != nil {
		return nil, fmt.Errorf("compile routes: %w", err)
	}
	return &Routes{t: t}, nil
}

// Install swaps the routes, auth, trusted proxies, status token and body
// limit of rt in at once: a request is answered wholly by the old table or
// wholly by the new. Listen address and timeouts need a restart.
func (s *Server) Install(rt *Routes) { s.table.Store(rt.t) }

// Apply compiles cfg and installs it (Compile, then Install). On error
// nothing changes.
func (s *Server) Apply(cfg *config.Config) error {
	rt, err := Compile(cfg)
	if err != nil {
		return err
	}
	s.Install(rt)
	return nil
}

// Serve answers callbacks on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.logger.Debug("serving callbacks", "addr", ln.Addr().String(), "version", s.version,
		"routes", len(s.table.Load().routes))
	if s.maxConns > 0 || s.maxPerIP > 0 {
		cl := newConnLimiter(ln, s.maxConns, s.maxPerIP, s.connRefused)
		s.conns.Store(cl)
		ln = cl
	}
	if err := s.http.Serve(ln); err != nil {
		return fmt.Errorf("serve callbacks on %s: %w", ln.Addr(), err)
	}
	return nil
}

// Shutdown stops accepting, waits for in-flight requests until ctx ends,
// then cancels the writes still waiting for the queue.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.ShutdownWithContext(ctx)
	s.cancelPersist()
	if err != nil {
		return fmt.Errorf("shut down callback listener: %w", err)
	}
	return nil
}

// headerReceived hands fasthttp the current body limit, so that a reload
// changes max_body_size without a restart.
func (s *Server) headerReceived(*fasthttp.RequestHeader) fasthttp.RequestConfig {
	return fasthttp.RequestConfig{MaxRequestBodySize: s.table.Load().maxBody}
}

// connRefused logs a connection turned away by a cap.
func (s *Server) connRefused(class string, peer netip.Addr, limit int) {
	ok, suppressed := s.admitLog(slog.LevelWarn, class)
	if !ok {
		return
	}
	attrs := []any{"error", class, "status", fasthttp.StatusServiceUnavailable, "limit", limit, "remote", peer.String()}
	if suppressed > 0 {
		attrs = append(attrs, "suppressed", suppressed)
	}
	s.logger.Warn("connection refused", attrs...)
}

// admitLog reports whether a rejection line of class may be written at
// level now, and how many lines of that class were held back before it.
func (s *Server) admitLog(level slog.Level, class string) (ok bool, suppressed int) {
	if !s.logger.Enabled(context.Background(), level) {
		return false, 0
	}
	return s.rejectLog.allow(class)
}
