package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestFullDiskAnswers503AndLosesNothing fills a real (tmpfs) filesystem
// under relayd: it must keep running and answer 503 naming the problem
// (Badger writes through mmap, where ENOSPC would be a SIGBUS crash), and
// every callback it acknowledged must survive a restart. It needs root to
// mount the tmpfs and skips without it.
func TestFullDiskAnswers503AndLosesNothing(t *testing.T) {
	r := newRelayd(t, "\nserver: {listen: 127.0.0.1:0}\n"+
		"storage: {dir: {{dir}}/small/data, min_free: 16MiB}\n"+
		"destinations: [{name: billing, url: \"http://127.0.0.1:9/\", enabled: false}]\n"+
		"routes: [{name: r, path: /in, destinations: [billing]}]\n")
	small := filepath.Join(r.dir, "small")
	os.MkdirAll(small, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64M", "tmpfs", small).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs here (%v: %s)", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("umount", "-l", small).Run() })
	r.start()

	body := strings.Repeat("x", 100_000)
	healthz := func() (int, string) {
		resp, err := http.Get(r.url("/_relay/healthz"))
		if err != nil {
			t.Fatalf("relayd died on a full disk: %v\n%s", err, r.Logs())
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	acked, refused, full := 0, "", false
	for i := 0; i < 3000 && !full; i++ {
		status, answer := r.post("/in", "text/plain", body)
		switch status {
		case http.StatusAccepted:
			acked++
			continue
		case http.StatusServiceUnavailable:
			refused = answer
		default:
			t.Fatalf("answer %d %s after %d accepted", status, answer, acked)
		}
		// A refusal counts what the acknowledged messages have still to
		// write into Badger; once written, there may be room again.
		// status returns after the writer has caught up.
		if out, code := r.relayctl("status"); code != 0 {
			t.Fatalf("status after a refusal: %d %s\n%s", code, out, r.Logs())
		}
		code, health := healthz()
		full = code == http.StatusServiceUnavailable && strings.Contains(health, "min_free")
	}
	if !full || !strings.Contains(refused, `"error":"unavailable"`) || !strings.Contains(refused, "storage full") {
		t.Fatalf("after %d accepted: no lasting 503 storage full (%q)", acked, refused)
	}
	// The sender is told the limit and the figures, never a local path.
	if !strings.Contains(refused, "storage.min_free 16.0 MiB reached") || strings.Contains(refused, small) {
		t.Fatalf("the 503 should name min_free and no path: %s", refused)
	}
	// The log line follows the answer, and stderr is read asynchronously.
	waitFor(t, "the refusal logged with the limit it hit", func() bool {
		return strings.Contains(r.Logs(), "storage.min_free")
	})
	if code, health := healthz(); code != http.StatusServiceUnavailable || !strings.Contains(health, "min_free") {
		t.Fatalf("healthz on a full disk: %d %s", code, health)
	}

	// Room again: relayd restarts on the same store with every
	// acknowledged callback queued.
	if out, err := exec.Command("mount", "-o", "remount,size=256M", small).CombinedOutput(); err != nil {
		t.Fatalf("grow the tmpfs: %v %s", err, out)
	}
	r.signal(syscall.SIGTERM)
	if code := r.wait(); code != 0 {
		t.Fatalf("SIGTERM on a once-full disk: exit %d\n%s", code, r.Logs())
	}
	r.start()
	out, code := r.relayctl("--json", "status")
	var st statusJSON
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil {
		t.Fatalf("status: %d %s", code, out)
	}
	if _, pending, _, _, _ := st.dest("billing"); pending != acked {
		t.Fatalf("%d pending after restart, %d were acknowledged", pending, acked)
	}
}
