package ingress

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/valyala/fasthttp"
)

// Log class of a request not read within read_timeout.
const classTimeout = "timeout"

// readError answers requests fasthttp refused before the handler ran. The
// answer and the log line are fixed per class: fasthttp's error text quotes
// the request (query string, Authorization, ...) and is used by neither.
// Nothing of the request is logged but the peer address, as the parse
// failed and its method and path may be anything.
func (s *Server) readError(ctx *fasthttp.RequestCtx, err error) {
	class := readErrorClass(err)
	var status int
	var code, msg string
	switch class {
	case codeHeaderTooLarge:
		status, code = fasthttp.StatusRequestHeaderFieldsTooLarge, codeHeaderTooLarge
		msg = fmt.Sprintf("request header block is larger than server.max_header_size (%d bytes)", s.maxHeader)
	case codeTooLarge:
		status, code = fasthttp.StatusRequestEntityTooLarge, codeTooLarge
		msg = fmt.Sprintf("body is larger than max_body_size (%d bytes)", s.table.Load().maxBody)
	case classTimeout:
		status, code, msg = fasthttp.StatusRequestTimeout, codeBadRequest, "request not read within read_timeout"
	default:
		status, code, msg = fasthttp.StatusBadRequest, codeBadRequest, "malformed HTTP request"
	}
	writeError(ctx, status, code, msg)
	if s.observe != nil {
		// fasthttp sets no receipt time for a request it could not
		// read: 0, as nothing but accepted requests is timed.
		s.observe("", status, 0)
	}
	ok, suppressed := s.admitLog(slog.LevelInfo, class)
	if !ok {
		return
	}
	attrs := []any{"error", class, "status", status, "reason", msg, "remote", ctx.RemoteIP().String()}
	if suppressed > 0 {
		attrs = append(attrs, "suppressed", suppressed)
	}
	s.logger.Info("callback rejected", attrs...)
}

// readErrorClass names what kind of read error err is, from its type, never
// its text.
func readErrorClass(err error) string {
	var small *fasthttp.ErrSmallBuffer
	var ne net.Error
	switch {
	case errors.As(err, &small):
		return codeHeaderTooLarge
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return codeTooLarge
	case errors.As(err, &ne) && ne.Timeout():
		return classTimeout
	}
	return codeBadRequest
}

// fasthttpLogger takes fasthttp's own log lines. Their arguments can hold
// request contents (a parse error quotes the request), so only the format,
// a constant of fasthttp's source, is logged. "error when serving
// connection" repeats a request error readError already answered and
// logged: it goes to Debug with the error's class and the peer.
type fasthttpLogger struct{ l *slog.Logger }

func (f fasthttpLogger) Printf(format string, args ...any) {
	if strings.HasPrefix(format, "error when serving connection") {
		attrs := []any{}
		if len(args) == 3 {
			attrs = append(attrs, "remote", fmt.Sprint(args[1]))
			if err, ok := args[2].(error); ok {
				attrs = append(attrs, "error", readErrorClass(err))
			}
		}
		f.l.Debug("fasthttp: error when serving connection", attrs...)
		return
	}
	f.l.Warn("fasthttp: " + strings.TrimRight(format, "\n"))
}
