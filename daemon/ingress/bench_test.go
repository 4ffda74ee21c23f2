package ingress

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/relayd/relayd/daemon/config"
	"github.com/relayd/relayd/queue"
)

func benchServer(b *testing.B) *Server {
	b.Helper()
	cfg := testConfig(
		config.Route{Name: "solus", Path: "/solus", Methods: []string{"POST"}, Destinations: []string{"whmcs"}},
		config.Route{Name: "eq-callback", Path: "/eq_callback", Methods: []string{"POST"},
			Match:      []config.Match{{Field: "form.action", In: []string{"reinstall", "deploy"}}},
			Auth:       &config.Auth{AllowIPs: []string{"127.0.0.0/8"}, Token: &config.TokenAuth{Header: "X-Token", Value: testToken}},
			TracingKey: "header.X-Request-Id", Destinations: []string{"billing", "mailer"}},
	)
	s, err := New(cfg, Options{Store: openStore(b, 0)})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// benchCtx parses a raw request, as the server does, so that the handler
// sees the raw header block.
func benchCtx(b *testing.B, uri string, body []byte) *fasthttp.RequestCtx {
	raw := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: relay.local\r\nContent-Type: %s\r\nX-Token: %s\r\n"+
		"X-Request-Id: req-123\r\nUser-Agent: bench\r\nContent-Length: %d\r\n\r\n%s", uri, formCT, testToken, len(body), body)
	var req fasthttp.Request
	if err := req.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
		b.Fatal(err)
	}
	ctx := &fasthttp.RequestCtx{}
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
	return ctx
}

// BenchmarkIngress is the whole accept path: routing (form match), auth,
// message copy and a durable Enqueue (Sync on, group-committed across the
// parallel callers).
func BenchmarkIngress(b *testing.B) {
	s := benchServer(b)
	body := []byte("action=reinstall&key=abcdefabcdefabcdefabcdefabcdef12&status=deploy_done&stage=done&id=12345")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	// Many senders at once: each handler waits for its fsync, and
	// concurrent Enqueues share one (group commit).
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		ctx := benchCtx(b, "/eq_callback?x=1", body)
		for pb.Next() {
			ctx.Response.Reset()
			s.Handler(ctx)
			if ctx.Response.StatusCode() != fasthttp.StatusAccepted {
				b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
			}
		}
	})
	b.StopTimer()
	sums, err := s.store.List(queue.Filter{Limit: 1})
	if err != nil || len(sums) != 1 {
		b.Fatalf("list queue: %v (%d messages)", err, len(sums))
	}
	if m := sums[0].Message; m.TracingID != "req-123" || len(m.Headers) != 6 || m.RemoteAddr != "127.0.0.1" {
		b.Fatalf("stored message %+v", m)
	}
}

// BenchmarkRouting is the handler without a write: a request no route
// takes (404), which shows what routing and answering cost on their own.
func BenchmarkRouting(b *testing.B) {
	s := benchServer(b)
	body := []byte("action=network&key=abc")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := benchCtx(b, "/eq_callback", body)
		for pb.Next() {
			ctx.Response.Reset()
			s.Handler(ctx)
			if ctx.Response.StatusCode() != fasthttp.StatusNotFound {
				b.Fatalf("status %d", ctx.Response.StatusCode())
			}
		}
	})
}
