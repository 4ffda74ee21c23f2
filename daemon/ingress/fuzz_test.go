package ingress

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/relayd/relayd/daemon/config"
	"github.com/relayd/relayd/queue"
)

// fuzzConfig has a route for each way a request can be refused or taken.
func fuzzConfig() *config.Config {
	cfg := testConfig(
		config.Route{Name: "json", Path: "/json", Match: []config.Match{{Field: "json.a", Equals: ptr("1")}},
			IdempotencyKey: "json.k", Destinations: []string{"d"}},
		config.Route{Name: "token", Path: "/token", Auth: &config.Auth{Token: &config.TokenAuth{Query: "secret", Value: "s3"}},
			Destinations: []string{"d"}},
		config.Route{Name: "form", PathPrefix: "/", Methods: []string{"POST", "PUT"}, TracingKey: "form.t",
			Destinations: []string{"d"}},
	)
	cfg.Server.MaxBodySize = 4096
	cfg.Server.MaxHeaderSize = 2048
	cfg.Server.StatusToken = "st"
	cfg.Server.ReadTimeout = config.Duration(100 * time.Millisecond)
	cfg.Server.IdleTimeout = config.Duration(100 * time.Millisecond)
	return cfg
}

// stored counts the messages in st (one delivery each, to "d").
func storedIn(t testing.TB, st *queue.Store) int64 {
	c := st.Counts()["d"]
	return c.Pending + c.Delivering + c.Retrying + c.Dead + c.Delivered
}

// FuzzServe sends raw bytes through fasthttp's real parser into the
// handler and a real queue: nothing panics, nothing hangs, and the queue
// grows by exactly the number of 202 answers.
func FuzzServe(f *testing.F) {
	seeds := []string{
		okRequest,
		"POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"a\":1,\"k\":\"z\"}",
		"POST /token?secret=s3 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
		"POST /f HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\nt=1" +
			"PUT /g HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
		"POST /cb HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
		"GET /_relay/messages/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer st\r\n\r\n",
		"POST /f HTTP/1.0\r\nX: a\r\n b\r\nContent-Length: 1\r\n\r\nx",
		"POST /cb?" + string(bytes.Repeat([]byte("q"), 3000)) + " HTTP/1.1\r\nHost: x\r\n\r\n",
		"\x00\xff\r\n\r\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	st, err := queue.Open(queue.Options{Dir: f.TempDir(), Sync: false, Retention: time.Hour,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	s, err := New(fuzzConfig(), Options{Store: st, Status: func(string) ([]byte, int) { return []byte(`{}`), 200 }})
	if err != nil {
		f.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	go s.Serve(ln)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	}()

	f.Fuzz(func(t *testing.T, raw []byte) {
		before := storedIn(t, st)
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		// The write side stays open: the server ends the connection itself
		// (an error answer, or read/idle timeout). A half-close would make
		// fasthttp drop an answer it holds back for a pipelined request when
		// the next one ends at EOF (see docs/DESIGN.md, Ingress).
		go func() { _, _ = c.Write(raw) }()
		out, err := io.ReadAll(c)
		if err != nil && !isReset(err) {
			t.Fatalf("reading the answers: %v (a hang?)", err)
		}
		if bytes.Contains(out, []byte("HTTP/1.1 500 ")) {
			t.Fatalf("answered 500 (a recovered panic):\n%s", out)
		}
		accepted := int64(bytes.Count(out, []byte("HTTP/1.1 202 Accepted\r\n")))
		if got := storedIn(t, st) - before; got != accepted {
			t.Fatalf("%d messages stored, %d answers 202:\n%q", got, accepted, out)
		}
	})
}

func isReset(err error) bool {
	var ne *net.OpError
	return errors.As(err, &ne) && !ne.Timeout()
}

// FuzzHeaderLines checks the raw header scanner on any bytes: it ends, and
// every name and value it yields is one line's (no LF), trimmed. (fasthttp
// hands it only blocks it parsed, where no bare CR is left.)
func FuzzHeaderLines(f *testing.F) {
	for _, s := range []string{
		"Host: x\r\nContent-Length: 1\r\n\r\nbody",
		"A:\r\n:b\r\nc\r\n d\r\n\te\r\n",
		"X: a\nY:b\n\nZ: c",
		"Transfer-Encoding : chunked\r\ncontent-length:4\r\n",
		"\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		sc := headerLines{b: raw}
		n := 0
		for k, v, ok := sc.next(); ok; k, v, ok = sc.next() {
			if n++; n > len(raw) {
				t.Fatal("more headers than bytes")
			}
			if len(k) == 0 || bytes.ContainsAny(k, ":\n") || bytes.ContainsRune(v, '\n') {
				t.Fatalf("name %q value %q", k, v)
			}
			if bytes.HasSuffix(k, []byte(" ")) || bytes.HasPrefix(v, []byte(" ")) || bytes.HasSuffix(v, []byte("\t")) {
				t.Fatalf("untrimmed: name %q value %q", k, v)
			}
		}
		_ = conflictingFraming(raw)
	})
}
