package ingress

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/relayd/relayd/queue"
)

// Retry-After values (seconds) for 503 answers.
const (
	retryAfterFull  = "60" // disk cap: space comes back with retention/GC
	retryAfterError = "5"  // other persist errors: usually transient
)

var (
	relayPrefix    = []byte("/_relay/")
	healthzPath    = []byte("/_relay/healthz")
	messagesPrefix = []byte("/_relay/messages/")
	messagesPath   = []byte("/_relay/messages")
	bearerPrefix   = []byte("Bearer ")
)

// Handler answers one request: the /_relay/ endpoints, or route → auth →
// persist → answer. A panic is recovered and answered 500.
func (s *Server) Handler(ctx *fasthttp.RequestCtx) {
	route := ""
	if s.observe != nil {
		// Runs after recoverPanic (defers run last first): the 500 counts.
		defer func() { s.observe(route, ctx.Response.StatusCode(), time.Since(ctx.Time())) }()
	}
	defer s.recoverPanic(ctx)
	if conflictingFraming(ctx.Request.Header.RawHeaders()) {
		ctx.SetConnectionClose()
		s.reject(ctx, nil, &rejection{fasthttp.StatusBadRequest, codeBadRequest, "request has both Content-Length and Transfer-Encoding", ""})
		return
	}
	t := s.table.Load()
	if path := ctx.Path(); bytes.HasPrefix(path, relayPrefix) {
		s.serveRelay(ctx, t, path)
		return
	}
	route = s.serveRoute(ctx, t)
}

func (s *Server) recoverPanic(ctx *fasthttp.RequestCtx) {
	v := recover()
	if v == nil {
		return
	}
	s.logger.Error("panic in callback handler", "panic", fmt.Sprint(v),
		"method", string(ctx.Method()), "path", string(ctx.Path()), "stack", string(debug.Stack()))
	ctx.Response.Reset()
	writeError(ctx, fasthttp.StatusInternalServerError, codeInternal, "internal error")
}

// serveRoute answers a callback and returns the name of the route that
// took it ("" for none).
func (s *Server) serveRoute(ctx *fasthttp.RequestCtx, t *table) string {
	rq := request{ctx: ctx}
	r, miss, err := t.find(&rq)
	switch {
	case err != nil:
		s.reject(ctx, r, &rejection{fasthttp.StatusBadRequest, codeBadRequest, err.Error(), ""})
		return routeName(r)
	case r == nil && miss == missMethod:
		ctx.Response.Header.Set(fasthttp.HeaderAllow, t.allowHeader(ctx.Path()))
		s.reject(ctx, nil, &rejection{fasthttp.StatusMethodNotAllowed, codeMethodNotAllowed, "method " + string(ctx.Method()) + " is not allowed on " + string(ctx.Path()), ""})
		return ""
	case r == nil:
		s.reject(ctx, nil, &rejection{fasthttp.StatusNotFound, codeNoRoute, "no route matched " + string(ctx.Path()), ""})
		return ""
	}
	if t.maxBody > 0 && len(ctx.Request.Body()) > t.maxBody {
		s.reject(ctx, r, &rejection{fasthttp.StatusRequestEntityTooLarge, codeTooLarge, fmt.Sprintf("body is larger than max_body_size (%d bytes)", t.maxBody), ""})
		return r.name
	}
	client := t.clientAddr(ctx)
	if r.auth != nil {
		if rej := r.auth.check(ctx, client, time.Now()); rej != nil {
			s.reject(ctx, r, rej)
			return r.name
		}
	}
	m, err := buildMessage(&rq, r, client)
	if err != nil {
		s.reject(ctx, r, &rejection{fasthttp.StatusBadRequest, codeBadRequest, err.Error(), ""})
		return r.name
	}
	if s.beforePersist != nil {
		s.beforePersist(ctx)
	}
	s.persist(ctx, r, m)
	return r.name
}

func routeName(r *route) string {
	if r == nil {
		return ""
	}
	return r.name
}

// persist writes m and answers only once Enqueue has returned.
func (s *Server) persist(ctx *fasthttp.RequestCtx, r *route, m *queue.Message) {
	id, dup, err := s.store.Enqueue(s.persistCtx, m)
	switch {
	case errors.Is(err, queue.ErrFull):
		// The answer names the limit and the figures; the queue logs once
		// when it starts refusing and once when it accepts again, not
		// once per request.
		msg := "storage full; retry later"
		if fe := (*queue.FullError)(nil); errors.As(err, &fe) {
			msg = fe.Answer() + "; retry later" // no local path: senders are not operators
		}
		ctx.Response.Header.Set(fasthttp.HeaderRetryAfter, retryAfterFull)
		writeError(ctx, fasthttp.StatusServiceUnavailable, codeUnavailable, msg)
		return
	case err != nil:
		// Not a rejection of the sender's request but a failure of ours:
		// logged once, at Error.
		ctx.Response.Header.Set(fasthttp.HeaderRetryAfter, retryAfterError)
		writeError(ctx, fasthttp.StatusServiceUnavailable, codeUnavailable, "message could not be stored: "+err.Error())
		s.logger.Error("persist callback failed", "route", r.name, "status", fasthttp.StatusServiceUnavailable,
			"remote", m.RemoteAddr, "err", err)
		return
	}
	writeAccepted(ctx, r, id, dup)
	if s.logger.Enabled(context.Background(), slog.LevelDebug) {
		s.logger.Debug("callback accepted", "route", r.name, "id", id, "duplicate", dup, "remote", m.RemoteAddr)
	}
}

// buildMessage builds the message to persist. The body stays in fasthttp's
// buffer, reused once the handler returns: persist's Enqueue encodes it
// into the record before it returns and keeps nothing of m
// (queue TestEnqueueKeepsNothingOfTheCallersMessage), so a copy here would
// be a second one. What the message keeps otherwise is copied.
func buildMessage(rq *request, r *route, client netip.Addr) (*queue.Message, error) {
	ctx := rq.ctx
	m := &queue.Message{
		Route:        r.name,
		Body:         ctx.Request.Body(),
		Destinations: r.dests,
	}
	copyText(ctx, m)
	r.credential.strip(m)
	if client.IsValid() {
		m.RemoteAddr = client.String()
	}
	keys := []struct {
		sel *selector
		dst *string
	}{{r.idempotency, &m.IdempotencyKey}, {r.ordering, &m.OrderingKey}, {r.tracing, &m.TracingID}}
	for _, k := range keys {
		if k.sel == nil {
			continue
		}
		v, _, err := rq.value(k.sel)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k.sel.text, err)
		}
		*k.dst = string(v)
	}
	return m, nil
}

// copyText sets m's method, path, query and headers (in the order
// received, names as sent) as substrings of one string: one allocation
// instead of two per header.
func copyText(ctx *fasthttp.RequestCtx, m *queue.Message) {
	raw := ctx.Request.Header.RawHeaders()
	method, path, query := ctx.Method(), ctx.Path(), ctx.URI().QueryString()
	n, size := 0, len(method)+len(path)+len(query)
	sc := headerLines{b: raw}
	for k, v, ok := sc.next(); ok; k, v, ok = sc.next() {
		n, size = n+1, size+len(k)+len(v)
	}
	if len(raw) == 0 || sc.folded {
		copyTextParsed(ctx, m)
		return
	}
	var sb strings.Builder
	sb.Grow(size)
	sb.Write(method)
	sb.Write(path)
	sb.Write(query)
	sc = headerLines{b: raw}
	for k, v, ok := sc.next(); ok; k, v, ok = sc.next() {
		sb.Write(k)
		sb.Write(v)
	}
	text := sb.String()
	m.Method, text = text[:len(method)], text[len(method):]
	m.Path, text = text[:len(path)], text[len(path):]
	m.Query, text = text[:len(query)], text[len(query):]
	m.Headers = make([]queue.Header, 0, n)
	sc = headerLines{b: raw}
	for k, v, ok := sc.next(); ok; k, v, ok = sc.next() {
		h := queue.Header{Name: text[:len(k)], Value: text[len(k) : len(k)+len(v)]}
		text = text[len(k)+len(v):]
		m.Headers = append(m.Headers, h)
	}
}

// copyTextParsed is copyText from fasthttp's parsed headers, for requests
// without a usable raw header block (built in memory, or with obsolete line
// folding); it allocates per header.
func copyTextParsed(ctx *fasthttp.RequestCtx, m *queue.Message) {
	m.Method, m.Path, m.Query = string(ctx.Method()), string(ctx.Path()), string(ctx.URI().QueryString())
	headers := ctx.Request.Header.AllInOrder()
	if len(ctx.Request.Header.RawHeaders()) == 0 {
		headers = ctx.Request.Header.All()
	}
	for k, v := range headers {
		m.Headers = append(m.Headers, queue.Header{Name: string(k), Value: string(v)})
	}
}

// headerLines scans a raw header block ("Name: value" lines) without
// allocating. folded is set when it meets an obsolete continuation line,
// which it cannot attach to its header.
type headerLines struct {
	b      []byte
	folded bool
}

func (s *headerLines) next() (name, value []byte, ok bool) {
	for len(s.b) > 0 {
		line := s.b
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line, s.b = line[:i], line[i+1:]
		} else {
			s.b = nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) == 0 {
			s.b = nil // end of the block
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			s.folded = true
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			continue
		}
		return bytes.TrimRight(line[:colon], " \t"), bytes.Trim(line[colon+1:], " \t"), true
	}
	return nil, nil, false
}

// serveRelay answers the reserved /_relay/ endpoints.
func (s *Server) serveRelay(ctx *fasthttp.RequestCtx, t *table, path []byte) {
	isMessages := bytes.HasPrefix(path, messagesPrefix) || bytes.Equal(path, messagesPath)
	if !bytes.Equal(path, healthzPath) && !isMessages {
		s.reject(ctx, nil, &rejection{fasthttp.StatusNotFound, codeNoRoute, "no route matched " + string(path), ""})
		return
	}
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Response.Header.Set(fasthttp.HeaderAllow, "GET, HEAD")
		s.reject(ctx, nil, &rejection{fasthttp.StatusMethodNotAllowed, codeMethodNotAllowed, "method " + string(ctx.Method()) + " is not allowed on " + string(path), ""})
		return
	}
	if !isMessages {
		if err := s.store.Writable(); err != nil {
			ctx.Response.Header.Set(fasthttp.HeaderRetryAfter, retryAfterError)
			s.reject(ctx, nil, &rejection{fasthttp.StatusServiceUnavailable, codeUnavailable, "queue is not writable: " + err.Error(), ""})
			return
		}
		writeOK(ctx)
		return
	}
	s.serveStatus(ctx, t, path)
}

// serveStatus answers GET /_relay/messages/{id} and
// GET /_relay/messages?key=K for a sender holding server.status_token. The
// key is read only here and never logged (reject logs the path alone).
func (s *Server) serveStatus(ctx *fasthttp.RequestCtx, t *table, path []byte) {
	byKey := bytes.Equal(path, messagesPath)
	id := path[min(len(path), len(messagesPrefix)):]
	if t.statusToken == nil || (!byKey && (len(id) == 0 || bytes.IndexByte(id, '/') >= 0)) {
		s.reject(ctx, nil, &rejection{fasthttp.StatusNotFound, codeNoRoute, "no route matched " + string(path), ""})
		return
	}
	auth := ctx.Request.Header.Peek(fasthttp.HeaderAuthorization)
	if !bytes.HasPrefix(auth, bearerPrefix) ||
		subtle.ConstantTimeCompare(bytes.TrimSpace(auth[len(bearerPrefix):]), t.statusToken) != 1 {
		ctx.Response.Header.Set(fasthttp.HeaderWWWAuthenticate, `Bearer realm="relayd"`)
		s.reject(ctx, nil, &rejection{fasthttp.StatusUnauthorized, codeUnauthorized, "status token is missing or wrong", ""})
		return
	}
	if (byKey && s.byKey == nil) || (!byKey && s.status == nil) {
		s.reject(ctx, nil, &rejection{fasthttp.StatusNotFound, codeNoRoute, "message status is not served by this process", ""})
		return
	}
	if !byKey {
		body, status := s.status(string(id))
		finish(ctx, status, body)
		return
	}
	key := ctx.QueryArgs().Peek("key")
	if len(key) == 0 {
		s.reject(ctx, nil, &rejection{fasthttp.StatusBadRequest, codeBadRequest, "GET /_relay/messages needs ?key=K (or /_relay/messages/{id})", ""})
		return
	}
	body, status := s.byKey(string(key))
	finish(ctx, status, body)
}

// reject answers an error and logs it once: Warn for auth failures and
// unavailability, Info for the rest (routing and malformed requests). Lines
// are paced per error code (rateLog).
func (s *Server) reject(ctx *fasthttp.RequestCtx, r *route, rej *rejection) {
	writeError(ctx, rej.status, rej.code, rej.message)
	level := slog.LevelInfo
	switch rej.status {
	case fasthttp.StatusUnauthorized, fasthttp.StatusForbidden, fasthttp.StatusServiceUnavailable:
		level = slog.LevelWarn
	}
	ok, suppressed := s.admitLog(level, rej.code)
	if !ok {
		return
	}
	name := ""
	if r != nil {
		name = r.name
	}
	attrs := []any{"error", rej.code, "route", name, "status", rej.status, "reason", rej.message}
	if rej.detail != "" {
		attrs = append(attrs, "detail", rej.detail)
	}
	attrs = append(attrs, "method", string(ctx.Method()), "path", string(ctx.Path()), "remote", ctx.RemoteIP().String())
	if suppressed > 0 {
		attrs = append(attrs, "suppressed", suppressed)
	}
	s.logger.Log(context.Background(), level, "callback rejected", attrs...)
}
