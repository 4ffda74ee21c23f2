package e2e

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawAnswer writes raw on c and reads one answer.
func rawAnswer(t *testing.T, c net.Conn, raw string) (int, string) {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatalf("write: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

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

// TestIngressHeaderLimitAndConnCaps runs the real relayd: an oversized
// header block carrying secrets is answered 431 and neither the answer nor
// the daemon's log holds them; the connection caps turn the next
// connection away with 503.
func TestIngressHeaderLimitAndConnCaps(t *testing.T) {
	r := newRelayd(t, "\nserver: {listen: 127.0.0.1:0, max_header_size: 2KiB, max_conns: 3, max_conns_per_ip: 2}\n"+
		"destinations: [{name: billing, url: \"http://127.0.0.1:9/\", enabled: false}]\n"+
		"routes: [{name: r, path: /in, destinations: [billing]}]\n")
	r.start()
	const canaryQ, canaryA = "CANARYe2eQuery51", "CANARYe2eAuth73"
	ok := "POST /in HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx"

	big := "POST /in?secret=" + canaryQ + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + canaryA +
		"\r\nX-Pad: " + strings.Repeat("p", 2048) + "\r\n\r\n"
	status, body := rawAnswer(t, dialFrom(t, "127.0.0.1", r.addr), big)
	want := `{"result":"ERROR","error":"header_too_large","error_message":"request header block is larger than server.max_header_size (2048 bytes)"}`
	if status != 431 || body != want {
		t.Fatalf("oversized header block: %d %s, want 431 %s", status, body, want)
	}
	waitFor(t, "the 431's log line", func() bool { return strings.Contains(r.Logs(), "error=header_too_large") })

	// Two from 127.0.0.1 fill its cap; one from 127.0.0.2 fills the total.
	for _, from := range []string{"127.0.0.1", "127.0.0.1", "127.0.0.2"} {
		if status, body := rawAnswer(t, dialFrom(t, from, r.addr), ok); status != 202 {
			t.Fatalf("from %s: %d %s, want 202", from, status, body)
		}
	}
	// The connections of the loop stay open (closed at cleanup).
	status, body = rawAnswer(t, dialFrom(t, "127.0.0.3", r.addr), ok)
	if status != 503 || !strings.Contains(body, `"error":"too_many_connections"`) {
		t.Fatalf("over max_conns: %d %s, want 503 too_many_connections", status, body)
	}
	waitFor(t, "the refusal's log line", func() bool {
		return strings.Contains(r.Logs(), `error=conn_limit status=503 limit=3 remote=127.0.0.3`)
	})

	logs := r.Logs()
	for _, canary := range []string{canaryQ, canaryA} {
		if strings.Contains(logs, canary) {
			t.Errorf("relayd logged %s:\n%s", canary, logs)
		}
	}
}
