package ingress

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"

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
	// Version is the daemon's version, logged when serving starts.
	Version string
}

// Server is the callback listener.
type Server struct {
	store   *queue.Store
	logger  *slog.Logger
	status  func(id string) ([]byte, int)
	version string

	table atomic.Pointer[table]
	http  *fasthttp.Server

	// persistCtx bounds Enqueue calls; Shutdown cancels it only when its own
	// context expires, so graceful shutdown lets in-flight writes finish.
	persistCtx    context.Context
	cancelPersist context.CancelFunc

	// beforePersist, when set (by tests), runs in the handler after auth
	// and before Enqueue.
	beforePersist func(ctx *fasthttp.RequestCtx)
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
	s := &Server{store: opts.Store, logger: opts.Logger, status: opts.Status, version: opts.Version}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	s.persistCtx, s.cancelPersist = context.WithCancel(context.Background())
	s.table.Store(t)
	s.http = &fasthttp.Server{
		Name:               "relayd",
		Handler:            s.Handler,
		ErrorHandler:       s.readError,
		HeaderReceived:     s.headerReceived,
		ReadTimeout:        cfg.Server.ReadTimeout.D(),
		IdleTimeout:        cfg.Server.IdleTimeout.D(),
		MaxRequestBodySize: t.maxBody,
		// The raw body is what is stored and forwarded: pre-parsing a
		// multipart form would consume it. Forms are parsed lazily.
		DisablePreParseMultipartForm: true,
		NoDefaultContentType:         true,
		Logger:                       fasthttpLogger{s.logger},
	}
	return s, nil
}

// Apply compiles cfg and swaps the new routes, auth, trusted proxies, status
// token and body limit in atomically. On error nothing changes. Listen
// address and timeouts need a restart.
func (s *Server) Apply(cfg *config.Config) error {
	t, err := compile(cfg)
	if err != nil {
		return fmt.Errorf("compile routes: %w", err)
	}
	s.table.Store(t)
	return nil
}

// Serve answers callbacks on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.logger.Debug("serving callbacks", "addr", ln.Addr().String(), "version", s.version,
		"routes", len(s.table.Load().routes))
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

// readError answers requests fasthttp refused before the handler ran.
func (s *Server) readError(ctx *fasthttp.RequestCtx, err error) {
	var ne net.Error
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		s.reject(ctx, nil, &rejection{fasthttp.StatusRequestEntityTooLarge, codeTooLarge, fmt.Sprintf("body is larger than max_body_size (%d bytes)", s.table.Load().maxBody), ""})
	case errors.As(err, &ne) && ne.Timeout():
		s.reject(ctx, nil, &rejection{fasthttp.StatusRequestTimeout, codeBadRequest, "request not read within read_timeout", ""})
	default:
		s.reject(ctx, nil, &rejection{fasthttp.StatusBadRequest, codeBadRequest, "malformed HTTP request: " + err.Error(), ""})
	}
}

// fasthttpLogger sends fasthttp's own messages to slog at Warn. Its
// "error when serving connection" lines repeat a request error that
// readError already answered and logged, so they go to Debug: one line per
// event.
type fasthttpLogger struct{ l *slog.Logger }

func (f fasthttpLogger) Printf(format string, args ...any) {
	msg := "fasthttp: " + fmt.Sprintf(format, args...)
	if strings.HasPrefix(format, "error when serving connection") {
		f.l.Debug(msg)
		return
	}
	f.l.Warn(msg)
}
