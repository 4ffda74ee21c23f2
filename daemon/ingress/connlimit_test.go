package ingress

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/relayd/relayd/daemon/config"
)

const okRequest = "POST /cb HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx"

// dialFrom connects to addr from the loopback address from (127.0.0.x).
func dialFrom(t *testing.T, from, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", from, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// served sends a request on c and checks it is accepted: the connection
// counts against the caps.
func served(t *testing.T, c net.Conn) {
	t.Helper()
	resp, body := exchangeOn(t, c, bufio.NewReader(c), okRequest)
	if resp.StatusCode != 202 {
		t.Fatalf("from %s: %d %s, want 202", c.LocalAddr(), resp.StatusCode, body)
	}
}

// refused checks that c is answered 503 in relayd's shape and closed.
func refused(t *testing.T, c net.Conn, want string) {
	t.Helper()
	br := bufio.NewReader(c)
	resp, body := exchangeOn(t, c, br, okRequest)
	if resp.StatusCode != 503 || body != want || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("from %s: %d %s, want 503 with Retry-After and %s", c.LocalAddr(), resp.StatusCode, body, want)
	}
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Fatalf("after the 503: %q, %v; want the connection closed", rest, err)
	}
}

func TestMaxConnsPerIP(t *testing.T) {
	cfg := testConfig(config.Route{Name: "r", Path: "/cb", Destinations: []string{"d"}})
	cfg.Server.MaxConnsPerIP = 2
	ts := startServer(t, cfg, Options{})
	addr := strings.TrimPrefix(ts.url, "http://")

	a, b := dialFrom(t, "127.0.0.1", addr), dialFrom(t, "127.0.0.1", addr)
	served(t, a)
	served(t, b)
	refused(t, dialFrom(t, "127.0.0.1", addr),
		`{"result":"ERROR","error":"too_many_connections","error_message":"too many open connections from your address (server.max_conns_per_ip)"}`)
	served(t, dialFrom(t, "127.0.0.2", addr)) // another address has its own count
	waitFor(t, "the refusal's log line", func() bool {
		return strings.Contains(ts.logs.String(), `msg="connection refused" error=conn_limit_per_ip status=503 limit=2 remote=127.0.0.1`)
	})

	// Closing one frees its place.
	a.Close()
	waitFor(t, "a place from 127.0.0.1", func() bool {
		c := dialFrom(t, "127.0.0.1", addr)
		resp, _ := exchangeOn(t, c, bufio.NewReader(c), okRequest)
		return resp.StatusCode == 202
	})
}

func TestMaxConns(t *testing.T) {
	cfg := testConfig(config.Route{Name: "r", Path: "/cb", Destinations: []string{"d"}})
	cfg.Server.MaxConns = 2
	ts := startServer(t, cfg, Options{})
	addr := strings.TrimPrefix(ts.url, "http://")

	a := dialFrom(t, "127.0.0.1", addr)
	served(t, a)
	served(t, dialFrom(t, "127.0.0.2", addr))
	refused(t, dialFrom(t, "127.0.0.3", addr),
		`{"result":"ERROR","error":"too_many_connections","error_message":"too many open connections (server.max_conns)"}`)
	waitFor(t, "the refusal's log line", func() bool {
		return strings.Contains(ts.logs.String(), `msg="connection refused" error=conn_limit status=503 limit=2 remote=127.0.0.3`)
	})
	a.Close()
	waitFor(t, "a place once one connection closed", func() bool {
		c := dialFrom(t, "127.0.0.3", addr)
		resp, _ := exchangeOn(t, c, bufio.NewReader(c), okRequest)
		return resp.StatusCode == 202
	})
}

func TestIdleTimeout(t *testing.T) {
	cfg := testConfig(config.Route{Name: "r", Path: "/cb", Destinations: []string{"d"}})
	cfg.Server.ReadTimeout = config.Duration(time.Minute)
	cfg.Server.IdleTimeout = config.Duration(200 * time.Millisecond)
	ts := startServer(t, cfg, Options{})
	c := dialFrom(t, "127.0.0.1", strings.TrimPrefix(ts.url, "http://"))
	br := bufio.NewReader(c)
	if resp, body := exchangeOn(t, c, br, okRequest); resp.StatusCode != 202 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	// The server closes the idle keep-alive connection: the read ends at
	// EOF well before the deadline (read_timeout is a minute).
	start := time.Now()
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if b, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("idle connection: read %q, %v after %v; want EOF", b, err, time.Since(start))
	}
}

func TestWriteTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.Server.StatusToken = "t"
	cfg.Server.WriteTimeout = config.Duration(300 * time.Millisecond)
	big := make([]byte, 64<<20) // more than the socket buffers on both sides hold
	ts := startServer(t, cfg, Options{Status: func(string) ([]byte, int) { return big, 200 }})
	c := dialFrom(t, "127.0.0.1", strings.TrimPrefix(ts.url, "http://"))
	if _, err := io.WriteString(c, "GET /_relay/messages/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	// The client never reads: the server gives up after write_timeout and
	// closes the connection.
	waitFor(t, "the server to drop the stalled connection", func() bool {
		return ts.http.GetOpenConnectionsCount() == 0
	})
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, c)
	if err == nil && n >= int64(len(big)) || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read %d bytes, %v; want the answer cut short", n, err)
	}
}

func TestRejectionLogPaced(t *testing.T) {
	ts := startServer(t, testConfig(), Options{})
	addr := strings.TrimPrefix(ts.url, "http://")
	c := dialFrom(t, "127.0.0.1", addr)
	br := bufio.NewReader(c)
	const sent = 20
	for range sent {
		if resp, _ := exchangeOn(t, c, br, "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"); resp.StatusCode != 404 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	if n := strings.Count(ts.logs.String(), "error=no_route"); n >= sent || n < int(rejectLogBurst) {
		t.Fatalf("%d lines for %d rejections, want the burst (%v) and fewer than all", n, sent, rejectLogBurst)
	}
	// When lines are let through again, the next one counts what was held.
	waitFor(t, "a line with the count of held-back lines", func() bool {
		exchangeOn(t, c, br, "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
		return strings.Contains(ts.logs.String(), "suppressed=")
	})
}
