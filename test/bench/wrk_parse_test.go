package bench

import (
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The figures of `make bench-wrk` come from wrk's text: these are wrk
// 4.1's own outputs (testdata), one against the no-op server and one
// against a server that answers every POST 501.
func TestParseWrkReadsRateCountAndP99(t *testing.T) {
	for _, c := range []struct {
		file     string
		rate     float64
		accepted int64
		p99      time.Duration
	}{
		{"testdata/wrk-noop.txt", 73332.94, 73437, 1490 * time.Microsecond},
		// Every answer a 501: nothing accepted, so no rate either.
		{"testdata/wrk-non2xx.txt", 0, 0, 8620 * time.Microsecond},
	} {
		out, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		r, err := parseWrk(string(out))
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if r.rate != c.rate || r.accepted != c.accepted || r.p99 != c.p99 {
			t.Errorf("%s: got rate %v, accepted %d, p99 %v; want %v, %d, %v", c.file, r.rate, r.accepted, r.p99, c.rate, c.accepted, c.p99)
		}
	}
}

// Below a millisecond wrk prints microseconds ("830.00us").
func TestParseWrkReadsMicroseconds(t *testing.T) {
	out, _ := os.ReadFile("testdata/wrk-noop.txt")
	r, err := parseWrk(strings.Replace(string(out), "99%    1.49ms", "99%  830.00us", 1))
	if err != nil || r.p99 != 830*time.Microsecond {
		t.Fatalf("got p99 %v, %v; want 830µs", r.p99, err)
	}
}

func TestParseWrkWithoutLatencySaysSo(t *testing.T) {
	out, _ := os.ReadFile("testdata/wrk-noop.txt")
	var kept []string
	for _, l := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "99%") {
			kept = append(kept, l)
		}
	}
	if _, err := parseWrk(strings.Join(kept, "\n")); err == nil || !strings.Contains(err.Error(), "--latency") {
		t.Fatalf("got %v, want an error naming --latency", err)
	}
}

// The backlog's peak memory is RssAnon: 64 MiB this process touches
// shows in it.
func TestRSSAnonSeesTouchedMemory(t *testing.T) {
	before := rssAnon(os.Getpid())
	if before == 0 {
		t.Fatal("no RssAnon read from /proc/PID/status")
	}
	buf := make([]byte, 64<<20)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	if grew := rssAnon(os.Getpid()) - before; grew < 48<<20 {
		t.Fatalf("RssAnon grew by %d bytes after touching 64 MiB", grew)
	}
	runtime.KeepAlive(buf)
}
