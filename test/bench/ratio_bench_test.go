package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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

// proc is a server process under test.
type proc struct {
	addr string
	cmd  *exec.Cmd
}

// startProc runs bin and returns it once it has printed or logged the
// address re captures.
func startProc(b *testing.B, re *regexp.Regexp, bin string, args ...string) *proc {
	cmd := exec.Command(bin, args...)
	out, _ := cmd.StdoutPipe()
	errp, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	p := &proc{cmd: cmd}
	b.Cleanup(p.stop)
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
	case p.addr = <-addrc:
		return p
	case <-time.After(20 * time.Second):
		b.Fatalf("%s did not start", bin)
		return nil
	}
}

func (p *proc) stop() {
	if p.cmd.ProcessState == nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	}
}

// cpu is the CPU time (user + system) the process has used so far, from
// /proc (Linux); 0 where that cannot be read.
func (p *proc) cpu() time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, utime 14 and stime 15 (clock ticks).
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clockTicks
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

// selfCPU is the CPU time this process (the load generator) has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// run is one server's figures under the load.
type run struct {
	rate      float64       // accepted requests/s
	serverCPU time.Duration // per accepted request
	loadCPU   time.Duration // the load generator's, per accepted request
}

// measure loads p, then stops it.
func measure(b *testing.B, p *proc) run {
	defer p.stop()
	s0, l0 := p.cpu(), selfCPU()
	rate := load(b, p.addr, "/in")
	s1, l1 := p.cpu(), selfCPU()
	n := rate * duration.Seconds()
	if n == 0 {
		b.Fatalf("%s accepted nothing", p.addr)
	}
	return run{rate: rate, serverCPU: time.Duration(float64(s1-s0) / n), loadCPU: time.Duration(float64(l1-l0) / n)}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
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

// The lines the servers print once they listen: the no-op server its
// address, relayd its start line.
var (
	noopListening = regexp.MustCompile(`^(127\.0\.0\.1:\d+)$`)
	relaydStarted = regexp.MustCompile(`msg="relayd started".* listen=(\S+)`)
)

// BenchmarkIngestRatio: relayd (sync: true) vs the no-op server, same load;
// and vs the durable ceiling (the no-op server group-committing each body to
// a file), to tell what relayd costs from what the machine's fsync costs.
// The machine is shared and its speed drifts, so the four servers take
// turns, `rounds` times, and the medians of the per-round ratios count.
// Each server's CPU time per accepted request is printed too: it drifts
// much less than a rate and shows where a ratio comes from.
func BenchmarkIngestRatio(b *testing.B) {
	skipUnlessAsked(b)
	dir, _ := os.MkdirTemp("", "rb")
	defer os.RemoveAll(dir)
	relayd := build(b, dir, "github.com/relayd/relayd/cli/relayd")
	noop := build(b, dir, "github.com/relayd/relayd/test/bench/noopserver")
	sink, _ := sinkServer(b)
	printed, started := noopListening, relaydStarted
	// Each relayd run starts on an empty store, as the first does.
	startRelayd := func(name string, sync bool) *proc {
		d := filepath.Join(dir, name)
		os.RemoveAll(d)
		os.MkdirAll(d, 0o755)
		cfg := filepath.Join(d, "relayd.yaml")
		// Destination disabled: this measures ingest alone, not delivery.
		os.WriteFile(cfg, []byte(relaydConfig(d, sink, true, sync)), 0o600)
		return startProc(b, started, relayd, "run", "--config", cfg, "--log-level", "info")
	}

	for i := 0; i < b.N; i++ {
		var ratio, ceilRatio, ofCeil, noSync []float64
		for r := 1; r <= rounds; r++ {
			base := measure(b, startProc(b, printed, noop))
			ceiling := measure(b, startProc(b, printed, noop, "-fsync", dir))
			syn := measure(b, startRelayd("sync", true))
			nosyn := measure(b, startRelayd("nosync", false))
			ratio = append(ratio, syn.rate/base.rate)
			ceilRatio = append(ceilRatio, ceiling.rate/base.rate)
			ofCeil = append(ofCeil, syn.rate/ceiling.rate)
			noSync = append(noSync, nosyn.rate/base.rate)
			fmt.Printf("round %d, %d conns, %d-byte POSTs, %s each:\n", r, conns, len(body), duration)
			for _, x := range []struct {
				name string
				run
			}{{"no-op", base}, {"durable ceiling", ceiling}, {"relayd sync:true", syn}, {"relayd sync:false", nosyn}} {
				fmt.Printf("  %-18s %7.0f req/s (ratio %.2f)  server CPU %5.1f µs/req, load generator %4.1f µs/req\n",
					x.name, x.rate, x.rate/base.rate, us(x.serverCPU), us(x.loadCPU))
			}
		}
		b.ReportMetric(median(ratio), "ratio-sync")
		b.ReportMetric(median(noSync), "ratio-nosync")
		b.ReportMetric(median(ceilRatio), "ratio-ceiling")
		b.ReportMetric(median(ofCeil), "ratio-sync-to-ceiling")
		fmt.Printf("median of %d rounds: relayd sync:true %.2f of the no-op server (%.2f of the durable ceiling, which is %.2f of the no-op); sync:false %.2f\n",
			rounds, median(ratio), median(ofCeil), median(ceilRatio), median(noSync))
	}
}

// rounds of BenchmarkIngestRatio.
const rounds = 3

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

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
	relAddr := startProc(b, regexp.MustCompile(`msg="relayd started".* listen=(\S+)`), relayd, "run", "--config", cfg, "--log-level", "info").addr

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
