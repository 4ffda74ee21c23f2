package relay

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// credentialHeaders are dropped on a redirect to another origin, with the
// destination's configured headers: they were meant for the configured
// destination only.
var credentialHeaders = []string{
	fasthttp.HeaderAuthorization,
	fasthttp.HeaderCookie,
	fasthttp.HeaderProxyAuthorization,
	headerWebhookID,
	headerWebhookTS,
	headerWebhookSig,
}

// do sends req, following at most s.maxRedirects redirects itself, and
// reads the final response. The deadline bounds the whole attempt.
func (s *sender) do(req *fasthttp.Request, resp *fasthttp.Response, deadline time.Time, scratch []byte) attemptResult {
	client, status := s.clients.first, 0
	for hop := 0; ; hop++ {
		if err := client.DoDeadline(req, resp, deadline); err != nil {
			// A hop the dialer refused is dead at once; status is the
			// redirect that asked for it.
			var refused *refusedRedirect
			if errors.As(err, &refused) {
				return attemptResult{status: status, err: refused, permanent: true, retryAfter: -1}
			}
			return attemptResult{err: err, retryAfter: -1}
		}
		status = resp.StatusCode()
		location := resp.Header.Peek(fasthttp.HeaderLocation)
		if !isRedirect(status) || len(location) == 0 {
			return attemptResult{
				status:     status,
				retryAfter: retryAfter(status, resp.Header.Peek(fasthttp.HeaderRetryAfter), time.Now()),
				response:   readResponse(resp, scratch),
			}
		}
		body := readResponse(resp, scratch)
		if hop >= s.maxRedirects {
			return attemptResult{
				status:     status,
				err:        fmt.Errorf("too many redirects: more than max_redirects (%d)", s.maxRedirects),
				permanent:  true,
				retryAfter: -1,
				response:   body,
			}
		}
		next, err := s.followRedirect(req, status, string(location))
		if err != nil {
			return attemptResult{status: status, err: err, permanent: true, retryAfter: -1, response: body}
		}
		client = next
	}
}

func isRedirect(status int) bool {
	switch status {
	case fasthttp.StatusMovedPermanently, fasthttp.StatusFound, fasthttp.StatusSeeOther,
		fasthttp.StatusTemporaryRedirect, fasthttp.StatusPermanentRedirect:
		return true
	}
	return false
}

// followRedirect turns req into the request for the next hop: the Location
// resolved against the current URL, the method and body per RFC 9110
// section 15.4, and credentials dropped when the origin changes. It refuses
// a hop the destination may not make and returns the client for the hop.
func (s *sender) followRedirect(req *fasthttp.Request, status int, location string) (*fasthttp.Client, error) {
	cur, err := url.Parse(string(req.URI().FullURI()))
	if err != nil {
		// Not %w: a url.Error quotes the whole URL, whose forwarded query
		// may carry a secret.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("redirect %d: the current URL does not parse: %v", status, err)
	}
	ref, err := url.Parse(location)
	if err != nil {
		return nil, fmt.Errorf("redirect %d: invalid Location %q", status, redactLocation(location))
	}
	next := cur.ResolveReference(ref)
	if next.Scheme != "http" && next.Scheme != "https" {
		return nil, fmt.Errorf("redirect %d: Location %q is not http or https", status, redactLocation(location))
	}
	next.Fragment, next.RawFragment = "", ""
	trusted, err := s.checkHop(next)
	if err != nil {
		return nil, err
	}

	method, keepBody := redirectMethod(status, string(req.Header.Method()))
	req.Header.SetMethod(method)
	if !keepBody {
		req.ResetBody()
		// The previous hop's Content-Length stays in the header otherwise,
		// and a bodiless GET would announce a body it never sends.
		req.Header.Del(fasthttp.HeaderContentLength)
		req.Header.Del(fasthttp.HeaderContentType)
		req.Header.Del(fasthttp.HeaderContentEncoding)
	}
	if !sameOrigin(cur, next) {
		for _, h := range s.crossOriginDrop {
			req.Header.Del(h)
		}
	}
	req.SetRequestURI(next.String())
	if trusted {
		return s.clients.trusted, nil
	}
	return s.clients.other, nil
}

// checkHop refuses a hop outside redirect_hosts (when set) and, before any
// dial, one to a literal address the dialer would refuse; it reports
// whether the hop's host gets the destination's TLS settings.
func (s *sender) checkHop(next *url.URL) (trusted bool, err error) {
	host, port := strings.ToLower(next.Hostname()), effectivePort(next)
	t := s.hops.trusted
	trusted = t.trusts(host, port)
	if t.restricted && !trusted {
		return false, &refusedRedirect{fmt.Sprintf("redirect to host %s not in redirect_hosts", hostPort(host, port))}
	}
	if ip, perr := netip.ParseAddr(host); perr == nil {
		n, _ := strconv.ParseUint(port, 10, 16)
		if err := checkIP(s.hops.own, t, host, ip, uint16(n)); err != nil {
			return false, err
		}
	}
	return trusted, nil
}

// hostPort joins host and port for messages, bracketing an IPv6 host.
func hostPort(host, port string) string { return net.JoinHostPort(host, port) }

// redirectMethod returns the method of the next hop and whether the body
// goes with it: 307/308 keep both; 301/302 turn POST into a bodiless GET
// and keep other methods; 303 turns everything but HEAD into a bodiless GET.
func redirectMethod(status int, method string) (string, bool) {
	switch status {
	case fasthttp.StatusMovedPermanently, fasthttp.StatusFound:
		if method == fasthttp.MethodPost {
			return fasthttp.MethodGet, false
		}
		return method, true
	case fasthttp.StatusSeeOther:
		if method == fasthttp.MethodHead {
			return method, false
		}
		return fasthttp.MethodGet, false
	}
	return method, true
}

// sameOrigin reports whether a and b have the same scheme, host and port.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		effectivePort(a) == effectivePort(b)
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// redactLocation shortens a Location for attempt errors and logs: its query
// and userinfo are dropped, since they may carry tokens.
func redactLocation(location string) string {
	s, _, _ := strings.Cut(location, "#")
	s, query, hasQuery := strings.Cut(s, "?")
	if scheme, rest, ok := strings.Cut(s, "://"); ok {
		if at := strings.LastIndex(rest, "@"); at >= 0 && !strings.Contains(rest[:at], "/") {
			rest = "…@" + rest[at+1:]
		}
		s = scheme + "://" + rest
	}
	if hasQuery && query != "" {
		s += "?…"
	}
	return s
}
