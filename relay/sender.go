package relay

import (
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/relayd/relayd/daemon/webhooksig"
	"github.com/relayd/relayd/queue"
)

// responsePrefix is how much of a response body an attempt records.
const responsePrefix = 1024

// drainLimit is how much more of a response body is read and thrown away
// so the connection can be reused; a longer body closes the connection.
const drainLimit = 64 << 10

// Headers relay sets on every request.
const (
	headerRelayID      = "X-Relay-Id"
	headerRelayAttempt = "X-Relay-Attempt"
	headerRequestID    = "X-Request-Id"
	headerWebhookID    = "webhook-id"
	headerWebhookTS    = "webhook-timestamp"
	headerWebhookSig   = "webhook-signature"
)

type header struct{ name, value string }

// sender sends one attempt of a delivery to one destination, following
// redirects itself.
type sender struct {
	clients *hopClients
	hops    *hopDialer // checks redirect hops; its trusted hosts too
	url     string     // destination URL with its configured query
	// ownParams are the query parameters url sets; a forwarded inbound
	// one of the same name is left out, so the destination's value wins.
	ownParams    map[string]bool
	method       string // empty = the inbound method
	headers      []header
	forwardQuery bool
	forwardAuth  bool            // pass on what the route's auth consumed
	consumed     *consumedRoutes // shared by the Relay, set on reload
	// crossOriginDrop are the headers a hop to another origin loses:
	// credentials, signatures and every configured header.
	crossOriginDrop []string
	timeout         time.Duration // whole attempt, redirects included
	maxRedirects    int
	secrets         []string // standard-webhooks secrets; nil = unsigned
}

// attemptResult is what one attempt, redirects included, came to.
type attemptResult struct {
	status int
	err    error // transport error, timeout or refused redirect
	// permanent marks an err that will not go away by retrying (too many
	// redirects, an unusable Location).
	permanent  bool
	retryAfter time.Duration // from Retry-After on 429/503; -1 when absent
	response   []byte        // first 1 KiB of the final response body
	duration   time.Duration
}

// send makes one attempt of l. scratch (at least responsePrefix bytes) is
// the worker's buffer for the response prefix.
func (s *sender) send(l *queue.Lease, now time.Time, scratch []byte) attemptResult {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)

	s.build(req, l, now)
	start := time.Now()
	res := s.do(req, resp, start.Add(s.timeout), scratch)
	res.duration = time.Since(start)
	return res
}

// build fills req for attempt l.Attempt of l.Message.
func (s *sender) build(req *fasthttp.Request, l *queue.Lease, now time.Time) {
	m := l.Message
	var consumed ConsumedAuth
	if !s.forwardAuth {
		consumed = s.consumed.of(m.Route)
	}
	req.SetRequestURI(s.targetURL(m.Query, consumed.Query))
	method := s.method
	if method == "" {
		method = m.Method
	}
	if method == "" {
		method = fasthttp.MethodPost
	}
	req.Header.SetMethod(method)
	// A body without inbound Content-Type is sent without one, not as a form.
	req.Header.SetNoDefaultContentType(true)

	connListed := connectionListed(m.Headers)
	for _, h := range m.Headers {
		if forwarded(h.Name, connListed) && !contains(consumed.Headers, h.Name, true) {
			req.Header.Add(h.Name, h.Value)
		}
	}
	for _, h := range s.headers {
		req.Header.Set(h.name, h.value)
	}
	req.Header.Set(headerRelayID, m.ID)
	req.Header.Set(headerRelayAttempt, strconv.Itoa(l.Attempt))
	requestID := m.TracingID
	if requestID == "" {
		requestID = m.ID
	}
	req.Header.Set(headerRequestID, requestID)
	if len(s.secrets) > 0 {
		// The secrets were checked when the destination was built.
		sig, _ := webhooksig.SignAll(s.secrets, m.ID, now, m.Body)
		req.Header.Set(headerWebhookID, m.ID)
		req.Header.Set(headerWebhookTS, strconv.FormatInt(now.Unix(), 10))
		req.Header.Set(headerWebhookSig, sig)
	}
	// The message body is not modified while the request lives.
	req.SetBodyRaw(m.Body)
}

// targetURL is the destination URL, with the inbound query appended when
// forward_query is set, less the parameters the URL sets itself and those
// the route's auth consumed.
func (s *sender) targetURL(inboundQuery string, consumed []string) string {
	if !s.forwardQuery || inboundQuery == "" {
		return s.url
	}
	if len(s.ownParams) > 0 || len(consumed) > 0 {
		inboundQuery = filterQuery(inboundQuery, func(name string) bool {
			return s.ownParams[name] || contains(consumed, name, false)
		})
		if inboundQuery == "" {
			return s.url
		}
	}
	sep := "?"
	if strings.Contains(s.url, "?") {
		sep = "&"
	}
	return s.url + sep + inboundQuery
}

// hopByHop are inbound headers that describe the inbound connection, not
// the message (RFC 9110 section 7.6.1), plus those fasthttp computes itself
// and those that would change what relay records.
var hopByHop = map[string]bool{
	"connection":          true,
	"proxy-connection":    true,
	"keep-alive":          true,
	"te":                  true,
	"trailer":             true,
	"transfer-encoding":   true,
	"upgrade":             true,
	"proxy-authorization": true,
	"proxy-authenticate":  true,
	"host":                true,
	"content-length":      true,
	"expect":              true,
	// Without it the downstream answers uncompressed, so the recorded
	// first 1 KiB of the response is readable.
	"accept-encoding": true,
}

// forwarded reports whether an inbound header is passed on.
func forwarded(name string, connListed map[string]bool) bool {
	lower := strings.ToLower(name)
	if hopByHop[lower] || connListed[lower] {
		return false
	}
	// Relay sets these itself. Inbound webhook-* headers are passed on to
	// an unsigned destination (the body is unchanged, so the upstream's
	// signature still verifies) and replaced on a signed one.
	switch lower {
	case "x-relay-id", "x-relay-attempt", "x-request-id":
		return false
	}
	return true
}

// connectionListed returns the header names the inbound Connection header
// declared hop-by-hop; nil (the usual case) when there are none.
func connectionListed(hs []queue.Header) map[string]bool {
	var listed map[string]bool
	for _, h := range hs {
		if !strings.EqualFold(h.Name, "Connection") {
			continue
		}
		for _, name := range strings.Split(h.Value, ",") {
			if name = strings.TrimSpace(name); name != "" {
				if listed == nil {
					listed = map[string]bool{}
				}
				listed[strings.ToLower(name)] = true
			}
		}
	}
	return listed
}

// readResponse returns the first responsePrefix bytes of resp's body and
// closes its stream, draining a short remainder so the connection is reused.
func readResponse(resp *fasthttp.Response, scratch []byte) []byte {
	stream := resp.BodyStream()
	if stream == nil {
		body := resp.Body()
		if len(body) > responsePrefix {
			body = body[:responsePrefix]
		}
		if len(body) == 0 {
			return nil
		}
		return append([]byte(nil), body...)
	}
	n, err := io.ReadFull(stream, scratch[:responsePrefix])
	if err == nil {
		// More may follow: drain a bounded amount; beyond it the connection
		// is closed rather than read to the end.
		copied, derr := io.CopyN(io.Discard, stream, drainLimit)
		if derr == nil && copied == drainLimit {
			err = fasthttp.ErrBodyTooLarge
		}
	} else if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	if closer, ok := stream.(fasthttp.ReadCloserWithError); ok && err != nil {
		_ = closer.CloseWithError(err)
	} else {
		_ = resp.CloseBodyStream()
	}
	if n == 0 {
		return nil
	}
	return append([]byte(nil), scratch[:n]...)
}
