package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// storeBytes is what the store directory takes on disk: allocated blocks,
// as du counts them (relayd's own figure for storage.max_disk).
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

// TestMaxDiskHoldsUnderABurst sends 32 KiB callbacks at full speed from
// several senders against storage.max_disk: 64MiB. The store directory,
// sampled all along, never takes more than the cap plus one journal
// segment (8 MiB); once full the senders get 503 with Retry-After naming
// the cap and the figures, and the log has one line per transition, none
// per request; every callback acknowledged is queued. Once delivered and
// purged, the store falls under the cap and accepting resumes.
func TestMaxDiskHoldsUnderABurst(t *testing.T) {
	const maxDisk, segment = 64 << 20, 8 << 20
	sk := startSink(t, "127.0.0.1:0")
	metrics := reservePort(t)
	r := newRelayd(t, "\nserver: {listen: 127.0.0.1:0}\n"+
		"storage: {dir: {{dir}}/data, max_disk: 64MiB}\n"+
		"admin: {socket: {{socket}}, metrics_listen: \""+metrics+"\"}\n"+
		"destinations: [{name: billing, url: \"http://"+sk.addr+"/\"}]\n"+
		"routes: [{name: r, path: /in, destinations: [billing]}]\n")
	r.start()
	if out, code := r.relayctl("pause", "billing"); code != 0 {
		t.Fatalf("pause: %d %s", code, out)
	}
	data := filepath.Join(r.dir, "data")

	var peak atomic.Int64
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			peak.Store(max(peak.Load(), storeBytes(data)))
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	acked, refusal := burst(t, r, 8)
	// A refusal during the burst counts what was accepted but not yet
	// measured, which may overstate what lands on disk; a reading taken
	// since may show room again, and relayd then accepts by itself. The
	// store is full for good once a refusal comes from a reading alone.
	body := strings.Repeat("x", 32<<10)
	waitFor(t, "a refusal from a reading with nothing accepted since", func() bool {
		status, answer := r.post("/in", "application/octet-stream", body)
		switch status {
		case http.StatusAccepted:
			acked = append(acked, mustAccept(t, status, answer).ID)
		case http.StatusServiceUnavailable:
			refusal = answer
			return strings.Contains(answer, "+ 0 bytes accepted not yet measured")
		default:
			t.Fatalf("answer %d %s", status, answer)
		}
		return false
	})
	// The writer catches up after the last answer: sample until it has
	// (status waits for it) and a little beyond.
	r.status()
	time.Sleep(300 * time.Millisecond)
	close(stop)
	<-sampled
	t.Logf("%d accepted, store peak %.1f MiB (cap %d MiB + %d MiB segment), now %s",
		len(acked), float64(peak.Load())/(1<<20), maxDisk>>20, segment>>20, storeFiles(data))
	if p := peak.Load(); p > maxDisk+segment {
		t.Fatalf("store reached %d bytes, more than max_disk %d + one journal segment", p, maxDisk)
	}
	if !strings.Contains(refusal, `"error":"unavailable"`) ||
		!strings.Contains(refusal, "storage full: storage.max_disk 64.0 MiB reached (store ") ||
		!strings.Contains(refusal, "accepted not yet measured") {
		t.Fatalf("the 503 does not name the cap and the figures: %s", refusal)
	}
	// Nothing acknowledged is lost: every 202 id is listed, and counted.
	if st := r.status(); len(st.Destinations) != 1 || st.Destinations[0].Pending != len(acked) {
		t.Fatalf("status %+v, %d acknowledged", st.Destinations, len(acked))
	}
	out, code := r.relayctl("--json", "ls", "--dest", "billing", "--limit", fmt.Sprint(2*len(acked)+10))
	var ls struct {
		Messages []struct{ ID string } `json:"messages"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &ls) != nil {
		t.Fatalf("ls: %d %.300s", code, out)
	}
	listed := map[string]bool{}
	for _, m := range ls.Messages {
		listed[m.ID] = true
	}
	for _, id := range acked {
		if !listed[id] {
			t.Fatalf("acknowledged %s is not in relayctl ls (%d listed, %d acknowledged)", id, len(listed), len(acked))
		}
	}
	if m := scrape(t, "http://"+metrics+"/metrics"); !strings.Contains(m, "\nrelayd_healthy 0\n") {
		t.Fatalf("metrics while refusing for max_disk:\n%s", m)
	}
	logs := r.Logs()
	into, outOf := strings.Count(logs, "storage full: refusing new messages"), strings.Count(logs, "accepting new messages")
	t.Logf("transitions logged: %d into refusing, %d out of it", into, outOf)
	if into == 0 || into > outOf+1 || strings.Count(logs, "callback rejected") != 0 {
		t.Fatalf("want one log line per transition, none per request: %d into refusing, %d out, %d rejections",
			into, outOf, strings.Count(logs, "callback rejected"))
	}

	// Delivered, then purged: the store gives the space back (Badger's
	// memtables flushed, the LSM compacted, the value-log files GC'd;
	// queue/reclaim.go) and accepting resumes by itself, logged once.
	if out, code := r.relayctl("resume", "billing"); code != 0 {
		t.Fatalf("resume: %d %s", code, out)
	}
	waitFor(t, "every accepted callback delivered", func() bool {
		st := r.status()
		return len(st.Destinations) == 1 && st.Destinations[0].Delivered == len(acked)
	})
	if out, code := r.relayctl("purge", "--state", "delivered"); code != 0 || !strings.Contains(out, fmt.Sprint(len(acked))) {
		t.Fatalf("purge: %d %s", code, out)
	}
	waitFor(t, "the log line saying accepting resumed after the purge", func() bool {
		return strings.Count(r.Logs(), "storage has room again: accepting new messages") > outOf
	})
	status, answer := r.post("/in", "application/octet-stream", body)
	t.Logf("after the purge: %d %s; store %s", status, answer, storeFiles(data))
	if status != http.StatusAccepted {
		t.Fatalf("after the purge and the log line saying there is room: %d %s", status, answer)
	}
	if n := storeBytes(data); n >= maxDisk {
		t.Fatalf("store %d bytes after the purge, not under max_disk %d", n, maxDisk)
	}
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// storeFiles lists the store's files over 1 MiB with their allocated
// size, for the log.
func storeFiles(dir string) string {
	var b strings.Builder
	filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return nil
		}
		if info, err := e.Info(); err == nil {
			if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Blocks*512 >= 1<<20 {
				rel, _ := filepath.Rel(dir, path)
				fmt.Fprintf(&b, "%s %.1f MiB, ", rel, float64(st.Blocks*512)/(1<<20))
			}
		}
		return nil
	})
	return fmt.Sprintf("%.1f MiB: %s", float64(storeBytes(dir))/(1<<20), strings.TrimSuffix(b.String(), ", "))
}

// burst posts 32 KiB bodies from n senders until each has been refused;
// it returns the ids acknowledged and one refusal's body.
func burst(t *testing.T, r *relayd, n int) (acked []string, refusal string) {
	body := strings.Repeat("x", 32<<10)
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5000; i++ {
				resp, err := http.Post(r.url("/in"), "application/octet-stream", strings.NewReader(body))
				if err != nil {
					errs <- err
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusAccepted:
					var a struct{ ID string }
					json.Unmarshal(b, &a)
					mu.Lock()
					acked = append(acked, a.ID)
					mu.Unlock()
					continue
				case http.StatusServiceUnavailable:
					if resp.Header.Get("Retry-After") == "" {
						errs <- fmt.Errorf("503 without Retry-After: %s", b)
						return
					}
					mu.Lock()
					refusal = string(b)
					mu.Unlock()
					return
				default:
					errs <- fmt.Errorf("answer %d %s", resp.StatusCode, b)
					return
				}
			}
			errs <- fmt.Errorf("5000 callbacks of 32 KiB accepted under a 64 MiB cap")
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return acked, refusal
}
