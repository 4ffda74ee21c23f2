package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// wrkScript posts a 512-byte body (testdata/post512.lua).
const wrkScript = "testdata/post512.lua"

// wrkResult is one wrk run's figures.
type wrkResult struct {
	rate     float64       // completed requests/s, as wrk prints it
	accepted int64         // completed requests less the non-2xx/3xx ones
	p99      time.Duration // wrk --latency's 99th percentile
}

var (
	wrkRate     = regexp.MustCompile(`(?m)^Requests/sec:\s+([\d.]+)`)
	wrkTotal    = regexp.MustCompile(`(?m)^\s*(\d+) requests in`)
	wrkNon2xx   = regexp.MustCompile(`(?m)Non-2xx or 3xx responses: (\d+)`)
	wrkP99      = regexp.MustCompile(`(?m)^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$`)
	wrkDuration = map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "m": time.Minute}
)

// needWrk skips unless wrk is installed (the bench targets install it).
func needWrk(b *testing.B) {
	if _, err := exec.LookPath("wrk"); err != nil {
		b.Skip("wrk is not installed (make bench-wrk installs it: apt-get install -y wrk)")
	}
}

// runWrk loads url with `wrk -t1 -c64 -d5s --latency` and the 512-byte
// POST script: one wrk thread leaves the servers the machine's other CPU.
func runWrk(b *testing.B, url string) wrkResult {
	script, _ := filepath.Abs(wrkScript)
	out, err := exec.Command("wrk", "-t1", fmt.Sprintf("-c%d", conns), fmt.Sprintf("-d%ds", int(duration.Seconds())),
		"--latency", "-s", script, url).CombinedOutput()
	if err != nil {
		b.Fatalf("wrk %s: %v\n%s", url, err, out)
	}
	r, err := parseWrk(string(out))
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// parseWrk reads wrk's summary: the rate, the request count less the
// non-2xx/3xx answers (the rate scaled to match), and the --latency p99.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	m, t, p := wrkRate.FindStringSubmatch(out), wrkTotal.FindStringSubmatch(out), wrkP99.FindStringSubmatch(out)
	if m == nil || t == nil || p == nil {
		return r, fmt.Errorf("wrk printed no rate, request count or 99%% latency (was --latency given?):\n%s", out)
	}
	r.rate, _ = strconv.ParseFloat(m[1], 64)
	total, _ := strconv.ParseInt(t[1], 10, 64)
	r.accepted = total
	if n := wrkNon2xx.FindStringSubmatch(out); n != nil && total > 0 {
		bad, _ := strconv.ParseInt(n[1], 10, 64)
		r.accepted -= bad
		r.rate *= float64(r.accepted) / float64(total)
	}
	v, _ := strconv.ParseFloat(p[1], 64)
	r.p99 = time.Duration(v * float64(wrkDuration[p[2]]))
	return r, nil
}

// BenchmarkWrkIngest (make bench-wrk): the issue #10 ingest figures with
// wrk as the load. The no-op server, the durable ceiling (noopserver
// -fsync) and relayd (sync: true, destination disabled: ingest only, a
// fresh store each round) take turns, `rounds` times; it prints each run
// and the medians of the rates, the per-round ratios and the p99s.
func BenchmarkWrkIngest(b *testing.B) {
	skipUnlessAsked(b)
	needWrk(b)
	dir, _ := os.MkdirTemp("", "rb")
	defer os.RemoveAll(dir)
	relayd := build(b, dir, "github.com/relayd/relayd/cli/relayd")
	noop := build(b, dir, "github.com/relayd/relayd/test/bench/noopserver")
	sink, _ := sinkServer(b)
	printed, started := noopListening, relaydStarted
	startRelayd := func() *proc {
		d := filepath.Join(dir, "store") // not "relayd": the binary is there
		os.RemoveAll(d)
		os.MkdirAll(d, 0o755)
		cfg := filepath.Join(d, "relayd.yaml")
		os.WriteFile(cfg, []byte(relaydConfig(d, sink, true, true)), 0o600)
		return startProc(b, started, relayd, "run", "--config", cfg, "--log-level", "info")
	}
	load := func(p *proc) wrkResult {
		defer p.stop()
		return runWrk(b, "http://"+p.addr+"/in")
	}
	for i := 0; i < b.N; i++ {
		var rate, p99 [3][]float64 // no-op, ceiling, relayd
		var ofNoop, ofCeil, p99OfCeil []float64
		for r := 1; r <= rounds; r++ {
			runs := [3]wrkResult{load(startProc(b, printed, noop)), load(startProc(b, printed, noop, "-fsync", dir)), load(startRelayd())}
			for k, x := range runs {
				rate[k] = append(rate[k], x.rate)
				p99[k] = append(p99[k], ms(x.p99))
			}
			ofNoop = append(ofNoop, runs[2].rate/runs[0].rate)
			ofCeil = append(ofCeil, runs[2].rate/runs[1].rate)
			p99OfCeil = append(p99OfCeil, ms(runs[2].p99)/ms(runs[1].p99))
			fmt.Printf("wrk round %d: no-op %.0f req/s p99 %.2f ms | ceiling %.0f req/s p99 %.2f ms | relayd sync:true %.0f req/s p99 %.2f ms\n",
				r, runs[0].rate, ms(runs[0].p99), runs[1].rate, ms(runs[1].p99), runs[2].rate, ms(runs[2].p99))
		}
		fmt.Printf("wrk medians of %d rounds: no-op %.0f req/s (p99 %.2f ms), ceiling %.0f req/s (p99 %.2f ms), relayd %.0f req/s (p99 %.2f ms); "+
			"relayd/no-op %.2f, relayd/ceiling %.2f, ceiling/no-op %.2f, relayd p99/ceiling p99 %.2f\n",
			rounds, median(rate[0]), median(p99[0]), median(rate[1]), median(p99[1]), median(rate[2]), median(p99[2]),
			median(ofNoop), median(ofCeil), median(rate[1])/median(rate[0]), median(p99OfCeil))
		b.ReportMetric(median(ofCeil), "ratio-sync-to-ceiling")
		b.ReportMetric(median(ofNoop), "ratio-sync")
		b.ReportMetric(median(p99OfCeil), "p99-ratio-to-ceiling")
	}
}

// BenchmarkWrkEndToEnd (make bench-wrk): relayd (sync: true) takes wrk's
// load while delivering to a fasthttp sink; delivered/s is every accepted
// message over the load plus the drain after it. The no-op server takes
// the same wrk load in each round, and the ratio is of the two.
func BenchmarkWrkEndToEnd(b *testing.B) {
	skipUnlessAsked(b)
	needWrk(b)
	dir, _ := os.MkdirTemp("", "rb")
	defer os.RemoveAll(dir)
	relayd := build(b, dir, "github.com/relayd/relayd/cli/relayd")
	noop := build(b, dir, "github.com/relayd/relayd/test/bench/noopserver")
	sink, delivered := sinkServer(b)
	printed, started := noopListening, relaydStarted
	for i := 0; i < b.N; i++ {
		var base, e2e, ratio []float64
		for r := 1; r <= rounds; r++ {
			p := startProc(b, printed, noop)
			noopRate := runWrk(b, "http://"+p.addr+"/in").rate
			p.stop()

			d := filepath.Join(dir, "e2e")
			os.RemoveAll(d)
			os.MkdirAll(d, 0o755)
			cfg := filepath.Join(d, "relayd.yaml")
			os.WriteFile(cfg, []byte(relaydConfig(d, sink, false, true)), 0o600)
			p = startProc(b, started, relayd, "run", "--config", cfg, "--log-level", "info")
			want := delivered.Load()
			start := time.Now()
			res := runWrk(b, "http://"+p.addr+"/in")
			want += res.accepted
			for delivered.Load() < want && time.Since(start) < 2*time.Minute {
				time.Sleep(10 * time.Millisecond) // a benchmark's wall clock, not a test's sync
			}
			el := time.Since(start)
			p.stop()
			if delivered.Load() < want {
				b.Fatalf("round %d: only %d of %d delivered", r, delivered.Load()-(want-res.accepted), res.accepted)
			}
			rate := float64(res.accepted) / el.Seconds()
			base, e2e, ratio = append(base, noopRate), append(e2e, rate), append(ratio, rate/noopRate)
			fmt.Printf("wrk end to end round %d: no-op %.0f req/s | relayd accepted %d (%.0f/s during load), all delivered after %s: %.0f delivered/s (%.2f of no-op)\n",
				r, noopRate, res.accepted, res.rate, el.Round(time.Millisecond), rate, rate/noopRate)
		}
		fmt.Printf("wrk end to end, medians of %d rounds: no-op %.0f req/s, relayd %.0f delivered/s, ratio %.2f\n",
			rounds, median(base), median(e2e), median(ratio))
		b.ReportMetric(median(e2e), "delivered/s")
		b.ReportMetric(median(ratio), "ratio-to-noop")
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
