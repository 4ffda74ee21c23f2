package ingress

import (
	"net"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/relayd/relayd/daemon/config"
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

func benchCtx(uri string, body []byte) *fasthttp.RequestCtx {
	var req fasthttp.Request
	req.Header.SetMethod("POST")
	req.SetRequestURI(uri)
	req.Header.SetContentType(formCT)
	req.Header.Set("X-Token", testToken)
	req.Header.Set("X-Request-Id", "req-123")
	req.SetBody(body)
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
	b.RunParallel(func(pb *testing.PB) {
		ctx := benchCtx("/eq_callback?x=1", body)
		for pb.Next() {
			ctx.Response.Reset()
			s.Handler(ctx)
			if ctx.Response.StatusCode() != fasthttp.StatusAccepted {
				b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
			}
		}
	})
}

// BenchmarkRouting is the handler up to the answer without a write: a
// request no route takes (404), which shows what routing itself costs.
func BenchmarkRouting(b *testing.B) {
	s := benchServer(b)
	body := []byte("action=network&key=abc")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := benchCtx("/eq_callback", body)
		for pb.Next() {
			ctx.Response.Reset()
			s.Handler(ctx)
			if ctx.Response.StatusCode() != fasthttp.StatusNotFound {
				b.Fatalf("status %d", ctx.Response.StatusCode())
			}
		}
	})
}
