package ingress

import (
	"sync"
	"unicode/utf8"

	"github.com/valyala/fasthttp"
)

// Error codes of the "error" field of an answer (SPEC.md "Ingress answers").
const (
	codeNoRoute          = "no_route"
	codeMethodNotAllowed = "method_not_allowed"
	codeUnauthorized     = "unauthorized"
	codeForbidden        = "forbidden"
	codeTooLarge         = "too_large"
	codeHeaderTooLarge   = "header_too_large"
	codeTooManyConns     = "too_many_connections"
	codeBadRequest       = "bad_request"
	codeUnavailable      = "unavailable"
	codeInternal         = "internal"
)

const contentTypeJSON = "application/json"

// answerBufs recycles the buffers answers are rendered into, so that writing
// an answer allocates nothing (SetBody copies into fasthttp's own buffer).
var answerBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// writeAccepted answers a persisted message: 202, or 200 with
// "duplicate":true when the idempotency key was already known.
func writeAccepted(ctx *fasthttp.RequestCtx, r *route, id string, duplicate bool) {
	bp := answerBufs.Get().(*[]byte)
	b := append((*bp)[:0], `{"result":"OK","id":`...)
	b = appendJSONString(b, id)
	b = append(b, r.answerTail...)
	status := fasthttp.StatusAccepted
	if duplicate {
		b = append(b, `,"duplicate":true`...)
		status = fasthttp.StatusOK
	}
	b = append(b, '}')
	finish(ctx, status, b)
	*bp = b
	answerBufs.Put(bp)
}

// writeError answers {"result":"ERROR","error":code,"error_message":msg}.
func writeError(ctx *fasthttp.RequestCtx, status int, code, msg string) {
	bp := answerBufs.Get().(*[]byte)
	b := append((*bp)[:0], `{"result":"ERROR","error":`...)
	b = appendJSONString(b, code)
	b = append(b, `,"error_message":`...)
	b = appendJSONString(b, msg)
	b = append(b, '}')
	finish(ctx, status, b)
	*bp = b
	answerBufs.Put(bp)
}

func writeOK(ctx *fasthttp.RequestCtx) {
	finish(ctx, fasthttp.StatusOK, []byte(`{"result":"OK"}`))
}

func finish(ctx *fasthttp.RequestCtx, status int, body []byte) {
	ctx.SetStatusCode(status)
	ctx.SetContentType(contentTypeJSON)
	ctx.SetBody(body)
}

// appendRouteTail renders the part of an accepted answer that is fixed per
// route, once at compile time: ,"route":"…","destinations":[…].
func appendRouteTail(b []byte, name string, dests []string) []byte {
	b = append(b, `,"route":`...)
	b = appendJSONString(b, name)
	b = append(b, `,"destinations":[`...)
	for i, d := range dests {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, d)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
