package relay

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/relayd/relayd/queue"
)

// BenchmarkDeliver measures end-to-end delivery: b.N messages already in a
// real store, delivered by a relay to a fasthttp sink on 127.0.0.1 and
// recorded. It reports delivered/s.
func BenchmarkDeliver(b *testing.B) {
	for _, syncWrites := range []bool{false, true} {
		b.Run(fmt.Sprintf("sync=%t", syncWrites), func(b *testing.B) { benchDeliver(b, syncWrites) })
	}
}

func benchDeliver(b *testing.B, syncWrites bool) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString(`{"result":"OK"}`) }}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Shutdown() })

	store, err := queue.Open(queue.Options{Dir: b.TempDir(), Sync: syncWrites, Retention: time.Hour, GCInterval: time.Hour, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = store.Close() })

	// Enqueue concurrently so the group commit fills the store quickly.
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < b.N; i += 8 {
				m := eqCallback()
				m.ID, m.Destinations = "", []string{"bench"}
				if _, _, err := store.Enqueue(context.Background(), m); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()

	dest := testDest("bench", "http://"+ln.Addr().String()+"/eq_callback")
	dest.Concurrency = 16
	r := New(store, quiet)
	if err := r.Apply([]Destination{dest}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	if err := r.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	for store.Counts()["bench"].Delivered < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "delivered/s")
	_ = r.Close(context.Background())
}
