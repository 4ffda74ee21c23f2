package ingress

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/relayd/relayd/daemon/config"
)

const (
	canaryQuery = "CANARYq7Zp3Kx"
	canaryAuth  = "CANARYa9Wm2Ly"
)

// exchange writes raw to a new connection to addr and reads one answer.
func exchange(t *testing.T, addr, raw string) (*http.Response, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return exchangeOn(t, c, bufio.NewReader(c), raw)
}

func exchangeOn(t *testing.T, c net.Conn, br *bufio.Reader, raw string) (*http.Response, string) {
	t.Helper()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatalf("write request: %v", err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read answer body: %v", err)
	}
	return resp, string(body)
}

// dump is an answer as the client saw it, headers included.
func dump(resp *http.Response, body string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d\n", resp.StatusCode)
	_ = resp.Header.Write(&b)
	return b.String() + body
}

// secretRequest is a request whose line and header block are exactly size
// bytes, with a canary in the query string and in Authorization.
func secretRequest(t *testing.T, size int) string {
	t.Helper()
	head := "POST /cb?secret=" + canaryQuery + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + canaryAuth +
		"\r\nContent-Length: 0\r\nX-Pad: "
	pad := size - len(head) - len("\r\n\r\n")
	if pad < 1 {
		t.Fatalf("size %d too small", size)
	}
	return head + strings.Repeat("p", pad) + "\r\n\r\n"
}

func TestHeaderBlockLimit(t *testing.T) {
	cfg := testConfig(config.Route{Name: "r", Path: "/cb", Destinations: []string{"d"}})
	cfg.Server.MaxHeaderSize = 16 << 10
	ts := startServer(t, cfg, Options{})
	addr := strings.TrimPrefix(ts.url, "http://")

	resp, body := exchange(t, addr, secretRequest(t, 16<<10))
	if resp.StatusCode != 202 {
		t.Fatalf("a header block of exactly max_header_size: %d %s, want 202", resp.StatusCode, body)
	}
	resp, body = exchange(t, addr, secretRequest(t, 16<<10+1))
	want := `{"result":"ERROR","error":"header_too_large","error_message":"request header block is larger than server.max_header_size (16384 bytes)"}`
	if resp.StatusCode != 431 || body != want || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("one byte over: %d %q %s, want 431 %s", resp.StatusCode, resp.Header.Get("Content-Type"), body, want)
	}
	if n := ts.stored(t); n != 1 {
		t.Errorf("%d messages stored, want 1", n)
	}
	waitFor(t, "the rejection's log line", func() bool {
		return strings.Contains(ts.logs.String(), "error=header_too_large")
	})
	logs := ts.logs.String()
	for _, canary := range []string{canaryQuery, canaryAuth} {
		if strings.Contains(dump(resp, body), canary) {
			t.Errorf("the answer holds %s:\n%s", canary, dump(resp, body))
		}
		if strings.Contains(logs, canary) {
			t.Errorf("the log holds %s:\n%s", canary, logs)
		}
	}
	if !strings.Contains(logs, "status=431") || !strings.Contains(logs, "remote=127.0.0.1") {
		t.Errorf("the 431 line lacks its status or peer:\n%s", logs)
	}
}

func TestMalformedRequest(t *testing.T) {
	ts := startServer(t, testConfig(config.Route{Name: "r", Path: "/cb", Destinations: []string{"d"}}), Options{})
	addr := strings.TrimPrefix(ts.url, "http://")
	auth := "Authorization: Bearer " + canaryAuth + "\r\n"
	cases := map[string]string{
		"no spaces in the request line":  "POST/cb?secret=" + canaryQuery + "\r\nHost: x\r\n" + auth + "\r\n",
		"control byte in a header value": "POST /cb?secret=" + canaryQuery + " HTTP/1.1\r\nHost: x\r\n" + auth + "X-V: \x00" + canaryAuth + "\r\n\r\n",
		"bad content length":             "POST /cb?secret=" + canaryQuery + " HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: -" + canaryAuth + "\r\n\r\n",
		"unknown transfer-encoding":      "POST /cb?secret=" + canaryQuery + " HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: " + canaryAuth + "\r\n\r\n",
		"no host in HTTP/1.1":            "POST /cb?secret=" + canaryQuery + " HTTP/1.1\r\n" + auth + "\r\n",
	}
	want := `{"result":"ERROR","error":"bad_request","error_message":"malformed HTTP request"}`
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			resp, body := exchange(t, addr, raw)
			if resp.StatusCode != 400 || body != want {
				t.Fatalf("%d %s, want 400 %s", resp.StatusCode, body, want)
			}
			for _, canary := range []string{canaryQuery, canaryAuth} {
				if strings.Contains(dump(resp, body), canary) {
					t.Errorf("the answer holds %s:\n%s", canary, dump(resp, body))
				}
			}
		})
	}
	waitFor(t, "a log line per malformed request", func() bool {
		return strings.Count(ts.logs.String(), "msg=\"callback rejected\" error=bad_request") == len(cases)
	})
	// fasthttp's own report of each error (Debug) must not quote it either.
	waitFor(t, "fasthttp's connection error lines", func() bool {
		return strings.Count(ts.logs.String(), `msg="fasthttp: error when serving connection"`) == len(cases)
	})
	if logs := ts.logs.String(); strings.Contains(logs, canaryQuery) || strings.Contains(logs, canaryAuth) {
		t.Errorf("the log holds a canary:\n%s", logs)
	}
	if n := ts.stored(t); n != 0 {
		t.Errorf("%d messages stored, want 0", n)
	}
}

func TestConflictingFraming(t *testing.T) {
	ts := startServer(t, testConfig(config.Route{Name: "r", PathPrefix: "/", Destinations: []string{"d"}}), Options{})
	addr := strings.TrimPrefix(ts.url, "http://")
	// Each body, framed by Content-Length, would end before a second
	// request; framed by Transfer-Encoding, it is the chunked "x" only.
	smuggled := "POST /smuggled HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
	chunked := "1\r\nx\r\n0\r\n\r\n"
	cases := map[string]string{
		"CL then TE":  "POST /cb HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked + smuggled,
		"TE then CL":  "POST /cb HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n" + chunked + smuggled,
		"TE identity": "POST /cb HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\ncontent-length: 1\r\n\r\nx" + smuggled,
		"lower case":  "POST /cb HTTP/1.1\r\nHost: x\r\ncontent-length: 4\r\ntransfer-encoding: chunked\r\n\r\n" + chunked + smuggled,
	}
	want := `{"result":"ERROR","error":"bad_request","error_message":"request has both Content-Length and Transfer-Encoding"}`
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			br := bufio.NewReader(c)
			resp, body := exchangeOn(t, c, br, raw)
			if resp.StatusCode != 400 || body != want {
				t.Fatalf("%d %s, want 400 %s", resp.StatusCode, body, want)
			}
			// The connection ends there: the smuggled request is not read.
			if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
				t.Fatalf("after the 400: %q, %v; want the connection closed", rest, err)
			}
		})
	}
	if n := ts.stored(t); n != 0 {
		t.Errorf("%d messages stored, want 0", n)
	}
	// Either framing alone is fine.
	for _, raw := range []string{
		"POST /cb HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx",
		"POST /cb HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked,
	} {
		if resp, body := exchange(t, addr, raw); resp.StatusCode != 202 {
			t.Fatalf("%q: %d %s, want 202", raw, resp.StatusCode, body)
		}
	}
}
