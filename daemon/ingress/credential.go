package ingress

import (
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/relayd/relayd/daemon/config"
	"github.com/relayd/relayd/queue"
)

// A credential consumed at this hop (the token a route's auth read) is
// removed from the message before it is persisted, so it is neither stored
// nor forwarded, unless a destination of the route sets forward_auth (relay
// then strips it for the others). Signatures are not secrets and stay.

// consumedCredential names where a route's token is carried; empty fields
// mean nothing to remove.
type consumedCredential struct {
	query  string // query parameter name
	header string // header name
}

// strip removes the credential from m's query string and headers.
func (c consumedCredential) strip(m *queue.Message) {
	if c.query != "" {
		m.Query = removeQueryParam(m.Query, c.query)
	}
	if c.header != "" {
		m.Headers = removeHeader(m.Headers, c.header)
	}
}

// reads reports whether sel selects the credential, which would store it
// as a key.
func (c consumedCredential) reads(sel *selector) bool {
	switch sel.src {
	case config.SourceQuery:
		return c.query != "" && sel.path[0] == c.query
	case config.SourceHeader:
		return c.header != "" && strings.EqualFold(sel.path[0], c.header)
	}
	return false
}

// removeQueryParam returns the raw query string without any pair named
// name, every other byte kept (order, encoding, empty pairs): the
// downstream parses what is left. A pair's name is decoded as fasthttp
// decodes it for QueryArgs, which the token check reads, so an encoded
// spelling of the name ("secr%65t") is removed too.
func removeQueryParam(raw, name string) string {
	if name == "" || raw == "" {
		return raw
	}
	if !strings.Contains(raw, name) && !strings.ContainsAny(raw, "%+") {
		return raw // no spelling of name can be in it
	}
	args := fasthttp.AcquireArgs()
	defer fasthttp.ReleaseArgs(args)
	pairs := strings.Split(raw, "&")
	kept := pairs[:0]
	for _, pair := range pairs {
		args.Parse(pair)
		if !args.Has(name) {
			kept = append(kept, pair)
		}
	}
	if len(kept) == len(pairs) {
		return raw
	}
	return strings.Join(kept, "&")
}

// removeHeader returns hs without the headers named name (any case),
// reusing hs's array.
func removeHeader(hs []queue.Header, name string) []queue.Header {
	out := hs[:0]
	for _, h := range hs {
		if !strings.EqualFold(h.Name, name) {
			out = append(out, h)
		}
	}
	return out
}
