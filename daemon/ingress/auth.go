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
	"github.com/relayd/relayd/daemon/webhooksig"
)

// defaultWebhookTolerance is how far webhook-timestamp may be from now when
// standard_webhooks.tolerance is not set.
const defaultWebhookTolerance = 5 * time.Minute

// The Standard Webhooks headers a sender signs with; webhook-id is also the
// default idempotency key of a route that verifies them.
const (
	headerWebhookID        = "webhook-id"
	headerWebhookTimestamp = "webhook-timestamp"
	headerWebhookSignature = "webhook-signature"
)

// authCheck is a compiled config.Auth: every configured check must pass.
// Each check accepts any one of its configured secrets (rotation).
type authCheck struct {
	allow []netip.Prefix // empty = any client

	tokenQuery, tokenHeader string
	tokenSums               [][sha256.Size]byte // SHA-256 of each token; nil = no token check

	hmacHeader  string
	hmacPrefix  []byte
	hmacSecrets [][]byte
	hmacHash    func() hash.Hash // nil = no HMAC check
	hmacSize    int              // bytes of hmacHash's sum

	webhooks *webhooksig.Verifier // nil = no Standard Webhooks check
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
		if len(t.All()) == 0 {
			return nil, fmt.Errorf("token: value is empty (set value or values)")
		}
		c.tokenQuery, c.tokenHeader = t.Query, t.Header
		for _, v := range t.All() {
			c.tokenSums = append(c.tokenSums, sha256.Sum256([]byte(v)))
		}
	}
	if h := a.HMAC; h != nil {
		if c.hmacHash, err = compileHMAC(h); err != nil {
			return nil, fmt.Errorf("hmac: %w", err)
		}
		c.hmacHeader, c.hmacPrefix, c.hmacSize = h.Header, []byte(h.Prefix), c.hmacHash().Size()
		for _, s := range h.All() {
			c.hmacSecrets = append(c.hmacSecrets, []byte(s))
		}
	}
	if w := a.StandardWebhooks; w != nil {
		tolerance := w.Tolerance.D()
		if tolerance <= 0 {
			tolerance = defaultWebhookTolerance
		}
		if c.webhooks, err = webhooksig.NewVerifier(w.All(), tolerance); err != nil {
			return nil, fmt.Errorf("standard_webhooks: %w", err)
		}
	}
	return c, nil
}

// compileHMAC checks an hmac block and returns its hash.
func compileHMAC(h *config.HMACAuth) (func() hash.Hash, error) {
	if h.Header == "" || len(h.All()) == 0 {
		return nil, fmt.Errorf("header and secret (or secrets) are required")
	}
	switch strings.ToLower(h.Algo) {
	case "", "sha256":
		return sha256.New, nil
	case "sha1":
		return sha1.New, nil
	case "sha512":
		return sha512.New, nil
	}
	return nil, fmt.Errorf("algo %q is not sha256, sha1 or sha512", h.Algo)
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
	if c.tokenSums != nil && !c.tokenOK(c.presentedToken(ctx)) {
		return &rejection{fasthttp.StatusUnauthorized, codeUnauthorized, "token is missing or wrong", ""}
	}
	if c.hmacHash != nil && !c.hmacOK(ctx.Request.Header.Peek(c.hmacHeader), ctx.Request.Body()) {
		return &rejection{fasthttp.StatusUnauthorized, codeUnauthorized, "HMAC signature is missing or wrong", ""}
	}
	if c.webhooks != nil {
		h := &ctx.Request.Header
		err := c.webhooks.Verify(string(h.Peek(headerWebhookID)), string(h.Peek(headerWebhookTimestamp)),
			string(h.Peek(headerWebhookSignature)), ctx.Request.Body(), now)
		if err != nil {
			return &rejection{fasthttp.StatusUnauthorized, codeUnauthorized, "webhook signature: " + err.Error(), ""}
		}
	}
	return nil
}

// presentedToken is the token the request carries: the configured header
// when present, else the configured query parameter; nil when neither.
func (c *authCheck) presentedToken(ctx *fasthttp.RequestCtx) []byte {
	var got []byte
	if c.tokenHeader != "" {
		got = ctx.Request.Header.Peek(c.tokenHeader)
	}
	if got == nil && c.tokenQuery != "" {
		got = ctx.QueryArgs().Peek(c.tokenQuery)
	}
	return got
}

// tokenOK reports whether got is one of the configured tokens. It compares
// SHA-256 sums, so the time taken depends neither on how much of a token
// matched nor on its length, and it compares against every token, so it
// does not tell which one matched.
func (c *authCheck) tokenOK(got []byte) bool {
	if got == nil {
		return false
	}
	sum := sha256.Sum256(got)
	match := 0
	for i := range c.tokenSums {
		match |= subtle.ConstantTimeCompare(sum[:], c.tokenSums[i][:])
	}
	return match == 1
}

// hmacOK checks header, hex(HMAC(secret, body)) after the configured
// prefix, against every configured secret without stopping at a match.
func (c *authCheck) hmacOK(header, body []byte) bool {
	got := bytes.TrimSpace(header)
	if !bytes.HasPrefix(got, c.hmacPrefix) {
		return false
	}
	got = got[len(c.hmacPrefix):]
	if hex.DecodedLen(len(got)) != c.hmacSize {
		return false
	}
	var gotBuf [sha512.Size]byte
	n, err := hex.Decode(gotBuf[:], got)
	if err != nil {
		return false
	}
	match := 0
	var sumBuf [sha512.Size]byte
	for _, secret := range c.hmacSecrets {
		mac := hmac.New(c.hmacHash, secret)
		mac.Write(body)
		match |= subtle.ConstantTimeCompare(gotBuf[:n], mac.Sum(sumBuf[:0]))
	}
	return match == 1
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
