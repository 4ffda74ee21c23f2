package bench

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

const (
	conns    = 64
	duration = 5 * time.Second
)

// body is a ~500-byte SolusVM-like callback.
var body = []byte(`{"service_instance_guid":"35307a08-a377-11e7-abc4-cec278b6b50a","service_plan_guid":"eb79b44b-90ec-4bd1-9cb5-3d1e52f1a6ab","status":"CREATED","created_at":"2017-09-27T14:41:06.193Z","tracing_id":"12345678","nodes":[{"vm_identifier":"pg-0","cpu":"not defined in BOSH cloud config","ephemeral_disk":4096,"persistent_disk":6144,"memory":"not defined in BOSH cloud config","instance_type":"not defined in BOSH cloud config","hostname":"d448b93.pg-0.node.a9svs"}],"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}`)

func skipUnlessAsked(b *testing.B) {
	if os.Getenv("RELAYD_BENCH") == "" {
		b.Skip("set RELAYD_BENCH=1 (make bench) to run the whole-binary benchmarks")
	}
}

func build(b *testing.B, dir, pkg string) string {
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build %s: %v\n%s", pkg, err, msg)
	}
	return out
}

// load posts body to url from `conns` connections for `duration` and
// returns accepted (2xx) requests per second.
func load(b *testing.B, addr, path string) float64 {
	c := &fasthttp.HostClient{Addr: addr, MaxConns: conns, ReadTimeout: 10 * time.Second}
	var ok, failed atomic.Int64
	stop := time.Now().Add(duration)
	var wg sync.WaitGroup
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for time.Now().Before(stop) {
				req.SetRequestURI("http://" + addr + path)
				req.Header.SetMethod("POST")
				req.Header.SetContentType("application/json")
				req.SetBody(body)
				if err := c.Do(req, resp); err != nil || resp.StatusCode()/100 != 2 {
					failed.Add(1)
					continue
				}
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		b.Logf("%s: %d requests failed", addr, f)
	}
	return float64(ok.Load()) / duration.Seconds()
}

// startProc runs bin and returns the address it prints/logs.
func startProc(b *testing.B, re *regexp.Regexp, bin string, args ...string) string {
	cmd := exec.Command(bin, args...)
	out, _ := cmd.StdoutPipe()
	errp, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addrc := make(chan string, 1)
	scan := func(s *bufio.Scanner) {
		for s.Scan() {
			if m := re.FindStringSubmatch(s.Text()); m != nil {
				select {
				case addrc <- m[1]:
				default:
				}
			}
		}
	}
	go scan(bufio.NewScanner(out))
	go scan(bufio.NewScanner(errp))
	select {
	case a := <-addrc:
		return a
	case <-time.After(20 * time.Second):
		b.Fatalf("%s did not start", bin)
		return ""
	}
}

// sinkServer is the fasthttp downstream for the end-to-end figure.
func sinkServer(b *testing.B) (string, *atomic.Int64) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { n.Add(1) }}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Shutdown() })
	return ln.Addr().String(), &n
}

func relaydConfig(dir, sink string, paused, sync bool) string {
	return fmt.Sprintf(`
server: {listen: "127.0.0.1:0"}
admin: {socket: %s/a.sock}
storage: {dir: %s/data, sync: %v}
defaults: {concurrency: 32}
destinations:
  - {name: sink, url: "http://%s/in", enabled: %v}
routes:
  - {name: bench, path: /in, methods: [POST], destinations: [sink]}
`, dir, dir, sync, sink, !paused)
}

// BenchmarkIngestRatio: relayd (sync: true) vs the no-op server, same load;
// and vs the durable ceiling (the no-op server group-committing each body to
// a file), to tell what relayd costs from what the machine's fsync costs.
func BenchmarkIngestRatio(b *testing.B) {
	skipUnlessAsked(b)
	dir, _ := os.MkdirTemp("", "rb")
	defer os.RemoveAll(dir)
	relayd := build(b, dir, "github.com/relayd/relayd/cli/relayd")
	noop := build(b, dir, "github.com/relayd/relayd/test/bench/noopserver")
	sink, _ := sinkServer(b)
	// Destination disabled: this measures ingest alone, not delivery.
	cfgSync := filepath.Join(dir, "sync.yaml")
	os.WriteFile(cfgSync, []byte(relaydConfig(filepath.Join(dir, "s"), sink, true, true)), 0o600)
	cfgNoSync := filepath.Join(dir, "nosync.yaml")
	os.WriteFile(cfgNoSync, []byte(relaydConfig(filepath.Join(dir, "n"), sink, true, false)), 0o600)
	started := regexp.MustCompile(`msg="relayd started".* listen=(\S+)`)

	for i := 0; i < b.N; i++ {
		addr := regexp.MustCompile(`^(127\.0\.0\.1:\d+)$`)
		base := load(b, startProc(b, addr, noop), "/in")
		ceiling := load(b, startProc(b, addr, noop, "-fsync", dir), "/in")
		syncRate := load(b, startProc(b, started, relayd, "run", "--config", cfgSync, "--log-level", "info"), "/in")
		noSyncRate := load(b, startProc(b, started, relayd, "run", "--config", cfgNoSync, "--log-level", "info"), "/in")
		b.ReportMetric(base, "noop-req/s")
		b.ReportMetric(syncRate, "relayd-sync-req/s")
		b.ReportMetric(syncRate/base, "ratio-sync")
		b.ReportMetric(noSyncRate/base, "ratio-nosync")
		b.ReportMetric(syncRate/ceiling, "ratio-sync-to-ceiling")
		fmt.Printf("ingest, %d conns, %d-byte POSTs, %s each: no-op %.0f req/s; durable ceiling %.0f req/s (ratio %.2f); relayd sync:true %.0f req/s (ratio %.2f, %.2f of the ceiling); sync:false %.0f req/s (ratio %.2f)\n",
			conns, len(body), duration, base, ceiling, ceiling/base, syncRate, syncRate/base, syncRate/ceiling, noSyncRate, noSyncRate/base)
	}
}

// BenchmarkEndToEnd: messages accepted then delivered to a fasthttp sink.
func BenchmarkEndToEnd(b *testing.B) {
	skipUnlessAsked(b)
	dir, _ := os.MkdirTemp("", "rb")
	defer os.RemoveAll(dir)
	relayd := build(b, dir, "github.com/relayd/relayd/cli/relayd")
	sink, delivered := sinkServer(b)
	cfg := filepath.Join(dir, "relayd.yaml")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(cfg, []byte(relaydConfig(dir, sink, false, true)), 0o600)
	relAddr := startProc(b, regexp.MustCompile(`msg="relayd started".* listen=(\S+)`), relayd, "run", "--config", cfg, "--log-level", "info")

	for i := 0; i < b.N; i++ {
		start := time.Now()
		acceptedRate := load(b, relAddr, "/in")
		accepted := int64(acceptedRate * duration.Seconds())
		deadline := time.Now().Add(2 * time.Minute)
		for delivered.Load() < accepted && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond) // a benchmark's wall clock, not a test's sync
		}
		el := time.Since(start)
		rate := float64(delivered.Load()) / el.Seconds()
		b.ReportMetric(rate, "delivered/s")
		fmt.Printf("end to end: %d accepted while delivering, all %d delivered in %s: %.0f delivered/s\n",
			accepted, delivered.Load(), el.Round(time.Millisecond), rate)
		if delivered.Load() < accepted {
			b.Fatalf("only %d of %d delivered", delivered.Load(), accepted)
		}
	}
}
