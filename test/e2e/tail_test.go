package e2e

import (
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

const twoDestinations = `
server:
  listen: 127.0.0.1:0
` + fastRetry + `
destinations:
  - name: billing
    url: http://{{sink}}/billing
    concurrency: 1 # one at a time: its events come in the order received
  - name: mailer
    url: http://{{sink}}/mailer
routes:
  - name: eq-callback
    path: /eq_callback
    destinations: [billing, mailer]
  - name: solus
    path: /solus
    destinations: [mailer]
`

// startTailWith runs relayctl tail with args; stdout and stderr go to one
// buffer, in order.
func startTailWith(t *testing.T, r *relayd, args ...string) *tailProc {
	t.Helper()
	full := append([]string{"--socket", r.socket, "tail"}, args...)
	tp := &tailProc{cmd: exec.Command(filepath.Join(binDir, "relayctl"), full...), done: make(chan struct{})}
	tp.cmd.Stdout, tp.cmd.Stderr = tp, tp
	if err := tp.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { tp.cmd.Wait(); close(tp.done) }()
	t.Cleanup(func() { tp.cmd.Process.Kill(); <-tp.done })
	return tp
}

// TestTailFiltersAndBacklog: -n shows the last matching events first, and
// --dest, --route and --state hold for the backlog and for what follows.
func TestTailFiltersAndBacklog(t *testing.T) {
	sk := startSink(t, "127.0.0.1:0")
	r := newRelayd(t, strings.ReplaceAll(twoDestinations, "{{sink}}", sk.addr))
	r.start()
	var first []string
	for range 3 {
		first = append(first, r.accept("/eq_callback", "text/plain", "x").ID)
	}
	waitFor(t, "6 delivered", func() bool { return len(sk.requests()) == 6 })

	backlog := startTailWith(t, r, "--dest", "billing", "-n", "2")
	waitFor(t, "the backlog", func() bool { return strings.Contains(backlog.out(), first[2]) })
	// Once an event is shown the stream is subscribed (the backlog and the
	// subscription are taken together): what follows is filtered live.
	sk.setStatus(http.StatusBadRequest)
	solus := r.accept("/solus", "text/plain", "s").ID
	live := startTailWith(t, r, "--route", "solus", "--state", "dead", "-n", "10")
	waitFor(t, "solus's dead event", func() bool { return strings.Contains(live.out(), solus) })
	eq := r.accept("/eq_callback", "text/plain", "e").ID
	solus2 := r.accept("/solus", "text/plain", "s2").ID
	waitFor(t, "billing's dead event", func() bool { return strings.Contains(backlog.out(), eq) })
	waitFor(t, "solus's second dead event", func() bool { return strings.Contains(live.out(), solus2) })

	out := backlog.stop()
	if strings.Contains(out, first[0]) || !strings.Contains(out, first[1]) || strings.Index(out, first[1]) > strings.Index(out, first[2]) ||
		strings.Contains(out, "mailer") || strings.Contains(out, solus) {
		t.Errorf("tail --dest billing -n 2:\n%s", out)
	}
	if out = live.stop(); strings.Contains(out, eq) || strings.Contains(out, "delivered") || strings.Count(out, "\n") != 2 {
		t.Errorf("tail --route solus --state dead:\n%s", out)
	}
}

// TestTailReconnectsAfterRestart: relayd stops and starts again on the
// same socket; tail says so in one line each way and shows what comes after.
func TestTailReconnectsAfterRestart(t *testing.T) {
	sk := startSink(t, "127.0.0.1:0")
	r := newRelayd(t, strings.ReplaceAll(twoDestinations, "{{sink}}", sk.addr))
	r.start()
	tp := startTailWith(t, r, "--dest", "billing")
	before := ""
	waitFor(t, "an event before the restart", func() bool {
		if before != "" && strings.Contains(tp.out(), before) {
			return true
		}
		before = r.accept("/eq_callback", "text/plain", "before").ID // until tail is subscribed
		return false
	})
	r.signal(syscall.SIGTERM)
	if code := r.wait(); code != 0 {
		t.Fatalf("relayd exit %d", code)
	}
	waitFor(t, "the notice", func() bool { return strings.Contains(tp.out(), "relayctl: relayd went away; reconnecting…\n") })
	r.start()
	waitFor(t, "reconnected", func() bool { return strings.Contains(tp.out(), "relayctl: reconnected\n") })
	after := r.accept("/eq_callback", "text/plain", "after").ID
	waitFor(t, "an event after the restart", func() bool { return strings.Contains(tp.out(), after) })
	out := tp.stop()
	if strings.Count(out, "went away") != 1 || strings.Count(out, "reconnected") != 1 {
		t.Errorf("notices:\n%s", out)
	}
	select {
	case <-tp.done:
		if !tp.cmd.ProcessState.Success() {
			t.Errorf("tail exit %v after interrupt", tp.cmd.ProcessState)
		}
	default:
	}
}
