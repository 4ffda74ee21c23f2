package bench

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// BenchmarkChurn (make bench-churn) runs the real relayd through cycles
// of churn and prints the store's size per cycle: each cycle posts
// RELAYD_CHURN_MESSAGES (200,000) callbacks of ~500 B, relayd delivers
// them to a fasthttp sink and its retention (1 s) expires them; the cycle
// ends once every callback is delivered and no "disk reclaimed" log line
// has come for 70 s (retention runs once a minute), or after 4 minutes. The disk is flat when every
// cycle ends at about the same size. Not in `make bench`: a cycle takes
// one to three minutes.
func BenchmarkChurn(b *testing.B) {
	if os.Getenv("RELAYD_CHURN") == "" {
		b.Skip("set RELAYD_CHURN=1 (make bench-churn) to run the churn soak")
	}
	cycles, messages := envInt("RELAYD_CHURN_CYCLES", 5), envInt("RELAYD_CHURN_MESSAGES", 200_000)
	dir, _ := os.MkdirTemp("", "rb")
	defer os.RemoveAll(dir)
	relayd := build(b, dir, "github.com/relayd/relayd/cli/relayd")
	sink, delivered := sinkServer(b)
	cfg := filepath.Join(dir, "relayd.yaml")
	os.WriteFile(cfg, []byte(strings.Replace(relaydConfig(dir, sink, false, true),
		"sync: true}", "sync: true, retention: 1s}", 1)), 0o600)
	addr, reclaimed := startLogged(b, relayd, "run", "--config", cfg, "--log-level", "info")
	data := filepath.Join(dir, "data")

	var peak atomic.Int64
	stop := make(chan struct{})
	defer close(stop)
	go func() { // the peak within a cycle, sampled every 500 ms
		for {
			peak.Store(max(peak.Load(), storeBytes(data)))
			select {
			case <-stop:
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
	}()
	for cycle := 1; cycle <= cycles; cycle++ {
		peak.Store(0)
		start := time.Now()
		want := delivered.Load() + postN(b, addr, messages)
		posted := time.Since(start)
		for delivered.Load() < want && time.Since(start) < 5*time.Minute {
			time.Sleep(50 * time.Millisecond) // a benchmark's wall clock, not a test's sync
		}
		drained := time.Since(start)
		// Retention sweeps once a minute: the cycle ends once no pass has
		// come for 70 s, or after 4 minutes.
		for end := time.Now().Add(4 * time.Minute); time.Now().Before(end); {
			select {
			case <-reclaimed:
				continue
			case <-time.After(70 * time.Second):
			}
			break
		}
		fmt.Printf("churn cycle %d: %d posted in %s, delivered after %s, store peak %.1f MiB, %.1f MiB %s after the last delivery\n",
			cycle, messages, posted.Round(time.Second), drained.Round(time.Second),
			mib(peak.Load()), mib(storeBytes(data)), (time.Since(start) - drained).Round(time.Second))
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// postN posts n callbacks from `conns` connections and returns how many
// were accepted.
func postN(b *testing.B, addr string, n int) int64 {
	c := &fasthttp.HostClient{Addr: addr, MaxConns: conns, ReadTimeout: 10 * time.Second}
	var next, ok atomic.Int64
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for next.Add(1) <= int64(n) {
				req.SetRequestURI("http://" + addr + "/in")
				req.Header.SetMethod("POST")
				req.Header.SetContentType("application/json")
				req.SetBody(body)
				if err := c.Do(req, resp); err == nil && resp.StatusCode()/100 == 2 {
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if ok.Load() < int64(n) {
		b.Logf("%d of %d callbacks refused or failed", int64(n)-ok.Load(), n)
	}
	return ok.Load()
}

// startLogged runs relayd and returns its listen address and a channel
// that receives a value for each "disk reclaimed" log line.
func startLogged(b *testing.B, bin string, args ...string) (string, chan struct{}) {
	cmd := exec.Command(bin, args...)
	out, _ := cmd.StderrPipe()
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	p := &proc{cmd: cmd}
	b.Cleanup(p.stop)
	started := relaydStarted
	addrc, reclaimed := make(chan string, 1), make(chan struct{}, 64)
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			if m := started.FindStringSubmatch(s.Text()); m != nil {
				addrc <- m[1]
			}
			if strings.Contains(s.Text(), `msg="disk reclaimed"`) {
				fmt.Println(s.Text())
				select {
				case reclaimed <- struct{}{}:
				default:
				}
			}
		}
	}()
	select {
	case addr := <-addrc:
		return addr, reclaimed
	case <-time.After(20 * time.Second):
		b.Fatalf("%s did not start", bin)
		return "", nil
	}
}

// storeBytes is what dir takes on disk: allocated blocks, as du counts
// them (relayd's own figure for storage.max_disk).
func storeBytes(dir string) int64 {
	var total int64
	filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return nil
		}
		if info, err := e.Info(); err == nil {
			if st, ok := info.Sys().(*syscall.Stat_t); ok {
				total += st.Blocks * 512
			}
		}
		return nil
	})
	return total
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
