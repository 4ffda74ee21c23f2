package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// BenchmarkBacklog (make bench-backlog) is the issue #10 backlog figure
// with the real binary: RELAYD_BACKLOG_MESSAGES (1,000,000) callbacks of
// ~500 B posted to relayd (sync: true) with its destination paused, the
// store's size (du) at the fill's end against the bodies', kill -9 and the
// time from exec to the first 202, then resume and the drain rate against
// that of a RELAYD_BACKLOG_BASE (100,000) backlog on a fresh store. Peak
// RssAnon is sampled every 50 ms over fill and drain. Not in `make bench`:
// the full run takes minutes.
func BenchmarkBacklog(b *testing.B) {
	if os.Getenv("RELAYD_BACKLOG") == "" {
		b.Skip("set RELAYD_BACKLOG=1 (make bench-backlog) to run the backlog benchmark")
	}
	messages, baseN := envInt("RELAYD_BACKLOG_MESSAGES", 1_000_000), envInt("RELAYD_BACKLOG_BASE", 100_000)
	dir, _ := os.MkdirTemp("", "rb")
	defer os.RemoveAll(dir)
	bin := build(b, dir, "github.com/relayd/relayd/cli/relayd")
	ctl := build(b, dir, "github.com/relayd/relayd/cli/relayctl")
	sink, delivered := sinkServer(b)
	for i := 0; i < b.N; i++ {
		base := newBacklogRun(b, bin, ctl, filepath.Join(dir, "base"), sink, delivered)
		base.fill(baseN)
		baseRate, _ := base.drain()
		base.p.stop()
		fmt.Printf("backlog %d: drained at %.0f/s (fresh store)\n", baseN, baseRate)

		big := newBacklogRun(b, bin, ctl, filepath.Join(dir, "big"), sink, delivered)
		fillRSS := big.fill(messages)
		disk, bodies := storeBytes(big.data), int64(messages)*int64(len(body))
		fmt.Printf("backlog %d: store %.1f MiB at the fill's end, bodies %.1f MiB: %.2f×\n", messages, mib(disk), mib(bodies), float64(disk)/float64(bodies))
		startup := big.restart()
		fmt.Printf("backlog %d: kill -9, then %s from exec to the first 202\n", messages, startup.Round(time.Millisecond))
		rate, drainRSS := big.drain()
		big.p.stop()
		fmt.Printf("backlog %d: drained at %.0f/s, %.2f× the %d backlog's; peak RssAnon %.1f MiB filling, %.1f MiB draining\n",
			messages, rate, rate/baseRate, baseN, mib(fillRSS), mib(drainRSS))
		b.ReportMetric(mib(max(fillRSS, drainRSS)), "peak-RssAnon-MiB")
		b.ReportMetric(rate/baseRate, "drain-ratio")
		b.ReportMetric(startup.Seconds(), "start-to-accepting-s")
		b.ReportMetric(float64(disk)/float64(bodies), "disk-to-bodies")
	}
}

// backlogRun is one relayd on its own store, on a fixed port (so that a
// restart can be polled from its exec).
type backlogRun struct {
	b                *testing.B
	bin, ctl, dir    string
	data, cfg, sock  string
	addr             string
	p                *proc
	sink             *atomic.Int64
	posted, baseline int64 // posted since baseline, the sink's count then
}

func newBacklogRun(b *testing.B, bin, ctl, dir, sink string, delivered *atomic.Int64) *backlogRun {
	os.RemoveAll(dir)
	os.MkdirAll(dir, 0o755)
	r := &backlogRun{b: b, bin: bin, ctl: ctl, dir: dir, data: filepath.Join(dir, "data"),
		cfg: filepath.Join(dir, "relayd.yaml"), sock: filepath.Join(dir, "a.sock"), addr: freeAddr(b), sink: delivered, baseline: delivered.Load()}
	cfg := strings.Replace(relaydConfig(dir, sink, false, true), `listen: "127.0.0.1:0"`, `listen: "`+r.addr+`"`, 1)
	os.WriteFile(r.cfg, []byte(cfg), 0o600)
	r.p, _ = r.start()
	r.relayctl("pause", "sink")
	return r
}

// freeAddr is a loopback address no one listens on at the moment.
func freeAddr(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start execs relayd and posts one callback every millisecond until one is
// accepted; it returns the time from exec to that 202.
func (r *backlogRun) start() (*proc, time.Duration) {
	cmd := exec.Command(r.bin, "run", "--config", r.cfg, "--log-level", "warn")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		r.b.Fatal(err)
	}
	p := &proc{addr: r.addr, cmd: cmd}
	r.b.Cleanup(p.stop)
	c := &fasthttp.Client{}
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	for time.Since(t0) < 2*time.Minute {
		req.SetRequestURI("http://" + r.addr + "/in")
		req.Header.SetMethod("POST")
		req.SetBody(body)
		if err := c.DoTimeout(req, resp, 5*time.Second); err == nil && resp.StatusCode() == fasthttp.StatusAccepted {
			r.posted++
			return p, time.Since(t0)
		}
		time.Sleep(time.Millisecond) // polling a port that is not open yet
	}
	r.b.Fatalf("relayd accepted nothing for 2 minutes:\n%s", logs.String())
	return nil, 0
}

func (r *backlogRun) relayctl(args ...string) {
	out, err := exec.Command(r.ctl, append([]string{"--socket", r.sock}, args...)...).CombinedOutput()
	if err != nil {
		r.b.Fatalf("relayctl %v: %v\n%s", args, err, out)
	}
}

// fill posts n callbacks and returns the peak RssAnon meanwhile.
func (r *backlogRun) fill(n int) int64 {
	stop := sampleRSS(r.p.cmd.Process.Pid)
	t0 := time.Now()
	r.posted += postN(r.b, r.addr, n)
	peak := stop()
	fmt.Printf("backlog %d: posted in %s (%.0f/s)\n", n, time.Since(t0).Round(time.Millisecond), float64(n)/time.Since(t0).Seconds())
	return peak
}

// restart kills relayd with SIGKILL and starts it again on the same store.
func (r *backlogRun) restart() time.Duration {
	r.p.cmd.Process.Kill()
	r.p.cmd.Wait()
	p, took := r.start()
	r.p = p
	return took
}

// drain resumes the destination and waits until the sink has every posted
// callback; it returns delivered/s and the peak RssAnon meanwhile.
func (r *backlogRun) drain() (float64, int64) {
	stop := sampleRSS(r.p.cmd.Process.Pid)
	// The first probe of start() may be delivered before the pause: every
	// callback since baseline counts.
	n := r.posted
	want := r.baseline + n
	t0 := time.Now()
	r.relayctl("resume", "sink")
	for r.sink.Load() < want && time.Since(t0) < 15*time.Minute {
		time.Sleep(10 * time.Millisecond) // a benchmark's wall clock, not a test's sync
	}
	el, peak := time.Since(t0), stop()
	if missing := want - r.sink.Load(); missing > 0 {
		r.b.Fatalf("%d of %d not delivered after %s", missing, n, el)
	}
	r.posted, r.baseline = 0, r.sink.Load()
	fmt.Printf("backlog of %d: drained in %s\n", n, el.Round(time.Millisecond))
	return float64(n) / el.Seconds(), peak
}

// sampleRSS reads pid's RssAnon every 50 ms until the returned function
// is called, which returns the peak seen.
func sampleRSS(pid int) func() int64 {
	var peak atomic.Int64
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			peak.Store(max(peak.Load(), rssAnon(pid)))
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return func() int64 {
		close(done)
		<-stopped
		return peak.Load()
	}
}

// rssAnon is pid's RssAnon in bytes, from /proc/PID/status; 0 where that
// cannot be read.
func rssAnon(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "RssAnon:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
