package ingress

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// How a connection over a cap is turned away. The answer is written and
// the client's request drained off the main accept loop, by at most
// maxRefusing goroutines at a time; beyond that a refused connection is
// closed without an answer, so a flood costs no more than the cap allows.
const (
	maxRefusing   = 64
	refuseTimeout = time.Second
)

// connLimiter wraps the ingress listener to enforce server.max_conns (open
// connections in total) and server.max_conns_per_ip (from one peer
// address; behind a proxy that is the proxy's). It counts connections from
// Accept to Close, idle keep-alive ones included, which is what costs file
// descriptors. fasthttp's own Concurrency and MaxConnsPerIP answer in plain
// text and log at most once a minute; this answers in relayd's error shape
// and logs every refusal through the rejection log.
type connLimiter struct {
	net.Listener
	maxConns, maxPerIP int
	// refused is told of each refusal: reason class and peer.
	refused func(reason string, peer netip.Addr, limit int)

	open     atomic.Int64
	mu       sync.Mutex
	perIP    map[netip.Addr]int
	refusing chan struct{}
}

func newConnLimiter(ln net.Listener, maxConns, maxPerIP int, refused func(string, netip.Addr, int)) *connLimiter {
	return &connLimiter{Listener: ln, maxConns: maxConns, maxPerIP: maxPerIP, refused: refused,
		perIP: make(map[netip.Addr]int), refusing: make(chan struct{}, maxRefusing)}
}

// Accept returns the next connection within the caps; those over a cap are
// answered 503 and closed here.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		peer := connPeer(c)
		reason, limit := l.admit(peer)
		if reason == "" {
			return &limitedConn{Conn: c, l: l, peer: peer}, nil
		}
		l.refused(reason, peer, limit)
		l.refuse(c, reason)
	}
}

// admit counts a new connection from peer in, or names the cap it exceeds.
func (l *connLimiter) admit(peer netip.Addr) (reason string, limit int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.maxConns > 0 && l.open.Load() >= int64(l.maxConns) {
		return reasonConnLimit, l.maxConns
	}
	if l.maxPerIP > 0 && peer.IsValid() && l.perIP[peer] >= l.maxPerIP {
		return reasonConnLimitPerIP, l.maxPerIP
	}
	l.open.Add(1)
	if peer.IsValid() {
		l.perIP[peer]++
	}
	return "", 0
}

func (l *connLimiter) release(peer netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open.Add(-1)
	if !peer.IsValid() {
		return
	}
	if n := l.perIP[peer] - 1; n > 0 {
		l.perIP[peer] = n
	} else {
		delete(l.perIP, peer)
	}
}

// refuse answers c 503 and closes it. The request is drained first (until
// the client closes or refuseTimeout) so that closing with unread bytes
// does not reset the connection before the client has read the answer.
func (l *connLimiter) refuse(c net.Conn, reason string) {
	select {
	case l.refusing <- struct{}{}:
	default:
		_ = c.Close()
		return
	}
	go func() {
		defer func() { <-l.refusing }()
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(refuseTimeout))
		if _, err := c.Write(refusalAnswer(reason)); err != nil {
			return
		}
		if tc, ok := c.(interface{ CloseWrite() error }); ok {
			_ = tc.CloseWrite()
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(c, 64<<10))
	}()
}

// limitedConn releases its place in the caps once, on the first Close.
type limitedConn struct {
	net.Conn
	l      *connLimiter
	peer   netip.Addr
	closed atomic.Bool
}

func (c *limitedConn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.l.release(c.peer)
	}
	return c.Conn.Close()
}

// connPeer is the connection's remote IP, or the zero Addr when it has
// none (a unix socket), which no per-IP cap counts.
func connPeer(c net.Conn) netip.Addr {
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		if a, ok := netip.AddrFromSlice(ta.IP); ok {
			return a.Unmap()
		}
	}
	return netip.Addr{}
}

// Log classes of refused connections.
const (
	reasonConnLimit      = "conn_limit"
	reasonConnLimitPerIP = "conn_limit_per_ip"
)

// refusals are the fixed answers to a connection over a cap, rendered once.
var refusals = map[string][]byte{
	reasonConnLimit:      renderRefusal("too many open connections (server.max_conns)"),
	reasonConnLimitPerIP: renderRefusal("too many open connections from your address (server.max_conns_per_ip)"),
}

func refusalAnswer(reason string) []byte { return refusals[reason] }

func renderRefusal(msg string) []byte {
	body := append([]byte(`{"result":"ERROR","error":`), appendJSONString(nil, codeTooManyConns)...)
	body = append(body, `,"error_message":`...)
	body = append(appendJSONString(body, msg), '}')
	head := fmt.Sprintf("HTTP/1.1 503 Service Unavailable\r\nServer: relayd\r\nContent-Type: %s\r\n"+
		"Retry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n", contentTypeJSON, len(body))
	return append([]byte(head), body...)
}
