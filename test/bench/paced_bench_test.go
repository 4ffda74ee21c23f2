package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// pacedRate is the fixed request rate of BenchmarkPacedLatency.
const pacedRate = 10_000

// paced posts at a fixed rate, as wrk2 or vegeta do: request i is due at
// start + i/rate, and its latency counts from when it was due, not from
// when a connection was free to send it (no coordinated omission). It
// returns the sorted latencies of the accepted requests and how many were
// refused or failed.
func paced(b *testing.B, addr string, rate int, d time.Duration) ([]time.Duration, int) {
	c := &fasthttp.HostClient{Addr: addr, MaxConns: 256, ReadTimeout: 10 * time.Second}
	n := int(d.Seconds() * float64(rate))
	due := make(chan time.Time, n)
	var (
		mu     sync.Mutex
		lat    []time.Duration
		failed int
		wg     sync.WaitGroup
	)
	for range 256 { // workers: enough that a slow answer does not delay the next due request
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for t := range due {
				time.Sleep(time.Until(t))
				req.SetRequestURI("http://" + addr + "/in")
				req.Header.SetMethod("POST")
				req.Header.SetContentType("application/json")
				req.SetBody(body)
				err := c.Do(req, resp)
				l := time.Since(t)
				mu.Lock()
				if err != nil || resp.StatusCode()/100 != 2 {
					failed++
				} else {
					lat = append(lat, l)
				}
				mu.Unlock()
			}
		}()
	}
	start := time.Now().Add(50 * time.Millisecond)
	for i := 0; i < n; i++ {
		due <- start.Add(time.Duration(i) * time.Second / time.Duration(rate))
	}
	close(due)
	wg.Wait()
	fmt.Printf("  %s: %d requests due over %s, all answered after %s\n", addr, n, d, time.Since(start).Round(time.Millisecond))
	slices.Sort(lat)
	return lat, failed
}

func quantile(s []time.Duration, q float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	return s[int(q*float64(len(s)-1))]
}

// BenchmarkPacedLatency (make bench-wrk): p50 and p99 accept latency at a
// fixed 10k requests/s for the durable ceiling and relayd (sync: true,
// ingest only), in turn, `rounds` times; the medians and the ratio of the
// p99s count.
func BenchmarkPacedLatency(b *testing.B) {
	skipUnlessAsked(b)
	dir, _ := os.MkdirTemp("", "rb")
	defer os.RemoveAll(dir)
	relayd := build(b, dir, "github.com/relayd/relayd/cli/relayd")
	noop := build(b, dir, "github.com/relayd/relayd/test/bench/noopserver")
	sink, _ := sinkServer(b)
	printed, started := noopListening, relaydStarted
	measure := func(p *proc) (p50, p99 float64) {
		defer p.stop()
		lat, failed := paced(b, p.addr, pacedRate, duration)
		if failed > 0 {
			b.Logf("%s: %d of %d requests failed", p.addr, failed, failed+len(lat))
		}
		return ms(quantile(lat, 0.5)), ms(quantile(lat, 0.99))
	}
	for i := 0; i < b.N; i++ {
		var c50, c99, r50, r99, ratio []float64
		for r := 1; r <= rounds; r++ {
			a, b2 := measure(startProc(b, printed, noop, "-fsync", dir))
			d := filepath.Join(dir, "store")
			os.RemoveAll(d)
			os.MkdirAll(d, 0o755)
			cfg := filepath.Join(d, "relayd.yaml")
			os.WriteFile(cfg, []byte(relaydConfig(d, sink, true, true)), 0o600)
			x, y := measure(startProc(b, started, relayd, "run", "--config", cfg, "--log-level", "info"))
			c50, c99, r50, r99, ratio = append(c50, a), append(c99, b2), append(r50, x), append(r99, y), append(ratio, y/b2)
			fmt.Printf("paced %d req/s round %d: ceiling p50 %.2f ms p99 %.2f ms | relayd sync:true p50 %.2f ms p99 %.2f ms\n", pacedRate, r, a, b2, x, y)
		}
		fmt.Printf("paced %d req/s, medians of %d rounds: ceiling p50 %.2f / p99 %.2f ms, relayd p50 %.2f / p99 %.2f ms, p99 ratio %.2f\n",
			pacedRate, rounds, median(c50), median(c99), median(r50), median(r99), median(ratio))
		b.ReportMetric(median(ratio), "p99-ratio-to-ceiling")
	}
}
