package torture

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// drainBound is relayd's shutdown bound for in-flight deliveries
// (daemon.Options.DrainTimeout's default); the margin covers closing the
// store and process exit on a loaded machine.
const drainBound, exitMargin = 30 * time.Second, 10 * time.Second

// showJSON is the part of `relayctl show --json` this scenario reads.
type showJSON struct {
	Deliveries []struct {
		Destination string `json:"destination"`
		State       string `json:"state"`
		Attempts    []struct {
			Error string `json:"error"`
		} `json:"attempts"`
	} `json:"deliveries"`
}

// lsJSON is the part of `relayctl ls --json` this scenario reads.
type lsJSON struct {
	Messages []struct {
		ID string `json:"id"`
	} `json:"messages"`
}

// errorsLike counts dest's attempts whose error mentions word.
func (s showJSON) errorsLike(dest, word string) int {
	n := 0
	for _, d := range s.Deliveries {
		for _, a := range d.Attempts {
			if d.Destination == dest && strings.Contains(strings.ToLower(a.Error), word) {
				n++
			}
		}
	}
	return n
}

// TestDownstreamThatNeverAnswers delivers to a sink that accepts each
// connection and never answers, beside a healthy one: each attempt must end
// as a timeout recorded on the delivery, the healthy destination must get
// everything, and SIGTERM with requests still hanging must exit 0 within
// the drain bound.
func TestDownstreamThatNeverAnswers(t *testing.T) {
	hung, healthy := startHangSink(t), startSink(t, 0)
	r := newRelayd(t, "", fastRetry+
		"destinations:\n"+
		"  - {name: hung, url: \"http://"+hung.addr+"/\", timeout: "+pick("1s", "10s")+"}\n"+
		"  - {name: healthy, url: \"http://"+healthy.addr+"/\"}\n"+
		"routes: [{name: in, path: /in, destinations: [hung, healthy]}]\n")
	r.start()

	s := newSender(r.addr, "hang", 200)
	for range pick(20, 200) {
		if !s.send() {
			t.Fatal("relayd did not acknowledge a callback")
		}
	}
	ids := s.ackedIDs()
	waitFor(t, "the healthy destination to receive everything", 60*time.Second, func() bool {
		return healthy.missing(ids) == 0
	})
	// A delivery that has been attempted is `retrying`; its attempt must
	// say why it failed.
	var timeouts int
	waitFor(t, "a timed-out attempt recorded on a hung delivery", 30*time.Second, func() bool {
		var ls lsJSON
		r.relayctl(&ls, "ls", "--dest", "hung", "--state", "retrying", "--limit", "1")
		if len(ls.Messages) == 0 {
			return false
		}
		var show showJSON
		r.relayctl(&show, "show", ls.Messages[0].ID)
		timeouts = show.errorsLike("hung", "timeout")
		return timeouts > 0
	})

	conns := hung.connections()
	r.cmd.Process.Signal(syscall.SIGTERM)
	took, code := r.waitExit(drainBound + exitMargin)
	if code != 0 {
		t.Fatalf("SIGTERM with deliveries hanging: exit %d, want 0", code)
	}
	figure(t, "downstream that never answers", "callbacks=%d connections to the hung sink=%d timed-out attempts on one retrying message=%d; SIGTERM exit 0 after %s (bound %s)",
		len(ids), conns, timeouts, took.Round(time.Millisecond), drainBound)
}
