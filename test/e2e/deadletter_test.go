package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// destJSON is a destination in `relayctl --json destinations`.
type destJSON struct {
	Name            string `json:"name"`
	State           string `json:"state"`
	Reason          string `json:"reason"`
	Pending         int    `json:"pending"`
	Retrying        int    `json:"retrying"`
	Dead            int    `json:"dead"`
	Delivered       int    `json:"delivered"`
	ConsecutiveDead int    `json:"consecutive_dead"`
}

func (r *relayd) destination(name string) destJSON {
	r.t.Helper()
	out, code := r.relayctl("--json", "destinations")
	if code != 0 {
		r.t.Fatalf("relayctl destinations: exit %d: %s", code, out)
	}
	var l struct {
		Destinations []destJSON `json:"destinations"`
	}
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		r.t.Fatalf("destinations --json %q: %v", out, err)
	}
	for _, d := range l.Destinations {
		if d.Name == name {
			return d
		}
	}
	r.t.Fatalf("no destination %q in %s", name, out)
	return destJSON{}
}

// A downstream answering 410 pauses its destination with reason gone
// (kept across a restart); the delivery is not dead, and once the operator
// resumes, it is delivered.
func TestGonePausesUntilResume(t *testing.T) {
	sk := startSink(t, "127.0.0.1:0")
	sk.setStatus(http.StatusGone)
	r := newRelayd(t, eqCallbackConfig(sk.addr))
	r.start()
	a := r.accept("/eq_callback", "text/plain", "gone")
	waitFor(t, "paused as gone", func() bool {
		d := r.destination("billing")
		return d.State == "paused" && d.Reason == "gone"
	})
	r.accept("/eq_callback", "text/plain", "while paused")
	if d := r.destination("billing"); d.Dead != 0 || d.Retrying+d.Pending != 2 {
		t.Fatalf("after a 410: %+v; want nothing dead, both queued", d)
	}
	if out, _ := r.relayctl("destinations"); !strings.Contains(out, "paused (gone)") {
		t.Errorf("the destinations table does not show the reason:\n%s", out)
	}
	if n := strings.Count(r.Logs(), `msg="destination gone (410): paused"`); n != 1 {
		t.Errorf("%d log lines for the 410, want 1", n)
	}

	// Answering 200 now: only the persisted pause holds the deliveries
	// back after the restart.
	sk.setStatus(http.StatusOK)
	r.signal(syscall.SIGTERM)
	if code := r.wait(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	r.start()
	if d := r.destination("billing"); d.State != "paused" || d.Reason != "gone" {
		t.Fatalf("after a restart: %+v; want paused, gone", d)
	}
	if out, _ := r.relayctl("--json", "status"); !strings.Contains(out, `"reason": "gone"`) {
		t.Errorf("status --json lacks the reason: %s", out)
	}

	if out, code := r.relayctl("resume", "billing"); code != 0 {
		t.Fatalf("resume: %d %s", code, out)
	}
	waitFor(t, "both delivered", func() bool { return r.destination("billing").Delivered == 2 })
	if n := len(sk.requests()); n != 3 || sk.ids()[a.ID] != 2 {
		t.Errorf("sink got %d requests (%d of the first message); want 3 (2)", n, sk.ids()[a.ID])
	}
	if d := r.destination("billing"); d.State != "active" || d.Reason != "" {
		t.Errorf("after resume: %+v", d)
	}
}

// A delivery that goes dead at a destination with dead_letter: dlq is
// announced to dlq as a JSON event, without the message's body.
func TestDeadLetterEventReachesSecondSink(t *testing.T) {
	billing := startSink(t, "127.0.0.1:0")
	billing.setStatus(http.StatusBadRequest)
	dlq := startSink(t, "127.0.0.1:0")
	r := newRelayd(t, `
server:
  listen: 127.0.0.1:0
`+fastRetry+`
destinations:
  - name: billing
    url: http://`+billing.addr+`/billing
    dead_letter: dlq
  - name: dlq
    url: http://`+dlq.addr+`/alarms
routes:
  - name: eq-callback
    path: /eq_callback
    destinations: [billing]
`)
	r.start()
	a := r.accept("/eq_callback", "text/plain", "the-original-body")
	waitFor(t, "the dead-letter event", func() bool { return len(dlq.requests()) == 1 })

	req := dlq.requests()[0]
	var ev struct {
		Type        string `json:"type"`
		MessageID   string `json:"message_id"`
		Destination string `json:"destination"`
		Route       string `json:"route"`
		Status      int    `json:"status"`
		Error       string `json:"error"`
		Attempts    int    `json:"attempts"`
		At          string `json:"at"`
	}
	if err := json.Unmarshal([]byte(req.Body), &ev); err != nil {
		t.Fatalf("event %q: %v", req.Body, err)
	}
	at, err := time.Parse(time.RFC3339, ev.At)
	if ev.Type != "relayd.dead_letter" || ev.MessageID != a.ID || ev.Destination != "billing" ||
		ev.Route != "eq-callback" || ev.Status != 400 || !strings.Contains(ev.Error, "HTTP 400") ||
		ev.Attempts != 1 || err != nil || time.Since(at) > time.Minute {
		t.Errorf("event %s", req.Body)
	}
	if req.Path != "/alarms" || req.Header.Get("Content-Type") != "application/json" ||
		strings.Contains(req.Body, "the-original-body") {
		t.Errorf("event request %s %v %s", req.Path, req.Header, req.Body)
	}
	waitFor(t, "the event delivered", func() bool { return r.destination("dlq").Delivered == 1 })
	out, code := r.relayctl("ls", "--route", "relayd:dead_letter")
	if code != 0 || strings.Count(out, "dlq:delivered") != 1 || strings.Contains(out, a.ID) {
		t.Errorf("relayctl ls --route relayd:dead_letter (exit %d):\n%s", code, out)
	}
}

// Deliveries dead breaker.failing_after times in a row make the
// destination failing (one log line) until one is delivered (one line).
func TestFailingUntilDelivered(t *testing.T) {
	sk := startSink(t, "127.0.0.1:0")
	sk.setStatus(http.StatusBadRequest)
	r := newRelayd(t, strings.Replace(eqCallbackConfig(sk.addr), "/billing/eq_callback\n",
		"/billing/eq_callback\n    breaker: {failing_after: 3}\n", 1))
	r.start()
	for range 3 {
		r.accept("/eq_callback", "text/plain", "refused")
	}
	waitFor(t, "failing", func() bool { return r.destination("billing").State == "failing" })
	if d := r.destination("billing"); d.Dead != 3 || d.ConsecutiveDead != 3 {
		t.Errorf("failing with %+v; want 3 dead in a row", d)
	}
	if !strings.Contains(statusText(t, r), "failing") {
		t.Error("status does not show failing")
	}
	sk.setStatus(http.StatusOK)
	r.accept("/eq_callback", "text/plain", "accepted")
	waitFor(t, "active again", func() bool { return r.destination("billing").State == "active" })
	logs := r.Logs()
	if strings.Count(logs, `msg="destination failing`) != 1 || strings.Count(logs, `msg="destination no longer failing`) != 1 {
		t.Errorf("want one line entering failing and one leaving it:\n%s", logs)
	}
}

func statusText(t *testing.T, r *relayd) string {
	t.Helper()
	out, code := r.relayctl("status")
	if code != 0 {
		t.Fatalf("relayctl status: exit %d", code)
	}
	return out
}
