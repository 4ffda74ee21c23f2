package ingress

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"hash"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/relayd/relayd/daemon/config"
	"github.com/relayd/relayd/relay/webhooksig"
)

// defaultWebhookTolerance is how far webhook-timestamp may be from now when
// standard_webhooks.tolerance is not set.
const defaultWebhookTolerance = 5 * time.Minute

// authCheck is a compiled config.Auth: every configured check must pass.
type authCheck struct {
	allow []netip.Prefix // empty = any client

	tokenQuery, tokenHeader string
	token                   []byte // nil = no token check

	hmacHeader string
	hmacPrefix []byte
	hmacSecret []byte
	hmacHash   func() hash.Hash // nil = no HMAC check

	webhookSecret    string // "" = no Standard Webhooks check
	webhookTolerance time.Duration
}

func compileAuth(a *config.Auth) (*authCheck, error) {
	if a == nil {
		return nil, nil
	}
	c := &authCheck{}
	var err error
	if c.allow, err = parsePrefixes(a.AllowIPs); err != nil {
		return nil, fmt.Errorf("allow_ips: %w", err)
	}
	if t := a.Token; t != nil {
		if t.Query == "" && t.Header == "" {
			return nil, fmt.Errorf("token: query or header is required")
		}
		if t.Value == "" {
			return nil, fmt.Errorf("token: value is empty")
		}
		c.tokenQuery, c.tokenHeader, c.token = t.Query, t.Header, []byte(t.Value)
	}
	if h := a.HMAC; h != nil {
		if h.Header == "" || h.Secret == "" {
			return nil, fmt.Errorf("hmac: header and secret are required")
		}
		switch strings.ToLower(h.Algo) {
		case "", "sha256":
			c.hmacHash = sha256.New
		case "sha1":
			c.hmacHash = sha1.New
		case "sha512":
			c.hmacHash = sha512.New
		default:
			return nil, fmt.Errorf("hmac: algo %q is not sha256, sha1 or sha512", h.Algo)
		}
		c.hmacHeader, c.hmacPrefix, c.hmacSecret = h.Header, []byte(h.Prefix), []byte(h.Secret)
	}
	if w := a.StandardWebhooks; w != nil {
		if _, err := webhooksig.DecodeSecret(w.Secret); err != nil {
			return nil, fmt.Errorf("standard_webhooks: %w", err)
		}
		c.webhookSecret, c.webhookTolerance = w.Secret, w.Tolerance.D()
		if c.webhookTolerance <= 0 {
			c.webhookTolerance = defaultWebhookTolerance
		}
	}
	return c, nil
}

// rejection is why a request was refused: its status, code and message
// (never a secret).
type rejection struct {
	status  int
	code    string
	message string // answered and logged
	detail  string // logged only: may name local paths the sender must not see
}

// check runs every configured check; nil when all pass.
func (c *authCheck) check(ctx *fasthttp.RequestCtx, client netip.Addr, now time.Time) *rejection {
	if len(c.allow) > 0 && !(client.IsValid() && containsAddr(c.allow, client)) {
		return &rejection{fasthttp.StatusForbidden, codeForbidden, "client address is not allowed", ""}
	}
	if c.token != nil && !c.tokenOK(ctx) {
		return &rejection{fasthttp.StatusUnauthorized, codeUnauthorized, "token is missing or wrong", ""}
	}
	if c.hmacHash != nil && !c.hmacOK(ctx) {
		return &rejection{fasthttp.StatusUnauthorized, codeUnauthorized, "HMAC signature is missing or wrong", ""}
	}
	if c.webhookSecret != "" {
		h := &ctx.Request.Header
		err := webhooksig.Verify(c.webhookSecret, string(h.Peek("webhook-id")), string(h.Peek("webhook-timestamp")),
			string(h.Peek("webhook-signature")), ctx.Request.Body(), now, c.webhookTolerance)
		if err != nil {
			return &rejection{fasthttp.StatusUnauthorized, codeUnauthorized, "webhook signature: " + err.Error(), ""}
		}
	}
	return nil
}

// tokenOK compares the presented token in constant time. With both a
// header and a query parameter configured, the header is used when present.
func (c *authCheck) tokenOK(ctx *fasthttp.RequestCtx) bool {
	var got []byte
	if c.tokenHeader != "" {
		got = ctx.Request.Header.Peek(c.tokenHeader)
	}
	if got == nil && c.tokenQuery != "" {
		got = ctx.QueryArgs().Peek(c.tokenQuery)
	}
	return got != nil && subtle.ConstantTimeCompare(got, c.token) == 1
}

// hmacOK checks hex(HMAC(secret, raw body)) after the configured prefix.
func (c *authCheck) hmacOK(ctx *fasthttp.RequestCtx) bool {
	got := bytes.TrimSpace(ctx.Request.Header.Peek(c.hmacHeader))
	if !bytes.HasPrefix(got, c.hmacPrefix) {
		return false
	}
	got = got[len(c.hmacPrefix):]
	mac := hmac.New(c.hmacHash, c.hmacSecret)
	mac.Write(ctx.Request.Body())
	var sumBuf [sha512.Size]byte
	sum := mac.Sum(sumBuf[:0])
	if hex.DecodedLen(len(got)) != len(sum) {
		return false
	}
	var gotBuf [sha512.Size]byte
	n, err := hex.Decode(gotBuf[:], got)
	return err == nil && hmac.Equal(gotBuf[:n], sum)
}

func parsePrefixes(ss []string) ([]netip.Prefix, error) {
	var ps []netip.Prefix
	for _, s := range ss {
		s = strings.TrimSpace(s)
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("%q is not a CIDR or an IP address", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		ps = append(ps, p.Masked())
	}
	return ps, nil
}

func containsAddr(ps []netip.Prefix, a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peerAddr is the address of the TCP peer; invalid for other transports.
func peerAddr(ctx *fasthttp.RequestCtx) netip.Addr {
	if tcp, ok := ctx.RemoteAddr().(*net.TCPAddr); ok {
		if a, ok := netip.AddrFromSlice(tcp.IP); ok {
			return a.Unmap()
		}
	}
	return netip.Addr{}
}

// clientAddr is the peer, or, when the peer is a trusted proxy, the
// right-most X-Forwarded-For entry that is not a trusted proxy (all
// X-Forwarded-For headers read as one list). An unparseable entry leaves
// the client unknown (invalid Addr).
func (t *table) clientAddr(ctx *fasthttp.RequestCtx) netip.Addr {
	client := peerAddr(ctx)
	if len(t.trusted) == 0 || !client.IsValid() || !containsAddr(t.trusted, client) {
		return client
	}
	xffs := ctx.Request.Header.PeekAll(fasthttp.HeaderXForwardedFor)
	for i := len(xffs) - 1; i >= 0; i-- {
		list := xffs[i]
		for len(list) > 0 {
			entry := list
			if j := bytes.LastIndexByte(list, ','); j >= 0 {
				entry, list = list[j+1:], list[:j]
			} else {
				list = nil
			}
			entry = bytes.TrimSpace(entry)
			if len(entry) == 0 {
				continue
			}
			a, ok := parseForwardedAddr(string(entry))
			if !ok {
				return netip.Addr{}
			}
			if !containsAddr(t.trusted, a) {
				return a
			}
			client = a
		}
	}
	return client
}

// parseForwardedAddr accepts an IP with or without a port ("1.2.3.4",
// "1.2.3.4:80", "[::1]:80").
func parseForwardedAddr(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}
