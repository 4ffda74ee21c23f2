package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// breakerConfig: a billing destination with a 200ms..1s schedule (jitter
// 0.5) and concurrency 4, and a metrics listener.
func breakerConfig(sinkAddr, metrics string) string {
	return `
server:
  listen: 127.0.0.1:0
defaults:
  retry: {initial_interval: 200ms, multiplier: 2, randomization: 0.5, max_interval: 1s, max_elapsed: 1h}
  breaker: {failures: 3}
destinations:
  - name: billing
    url: http://` + sinkAddr + `/billing
    concurrency: 4
routes:
  - name: eq-callback
    path: /eq_callback
    methods: [POST]
    destinations: [billing]
admin:
  socket: {{socket}}
  metrics_listen: ` + metrics + `
`
}

// destinationJSON is the part of relayctl's destination JSON this file reads.
type destinationJSON struct {
	Name                string     `json:"name"`
	State               string     `json:"state"`
	Delivered           int        `json:"delivered"`
	ConsecutiveFailures int        `json:"consecutive_failures"`
	NextProbeAt         *time.Time `json:"next_probe_at"`
}

// breakerView reads billing from relayctl COMMAND --json (status or
// destinations).
func (r *relayd) breakerView(command string) destinationJSON {
	r.t.Helper()
	out, code := r.relayctl("--json", command)
	var doc struct{ Destinations []destinationJSON }
	if err := json.Unmarshal([]byte(out), &doc); code != 0 || err != nil {
		r.t.Fatalf("relayctl %s: exit %d %v: %s", command, code, err, out)
	}
	for _, d := range doc.Destinations {
		if d.Name == "billing" {
			return d
		}
	}
	r.t.Fatalf("relayctl %s: no billing in %s", command, out)
	return destinationJSON{}
}

// During an outage of N seconds with a backlog, at most failures +
// ceil(N / cooldown_min) requests reach the destination; the state, the
// failure count and the next probe show everywhere; tail and the log show
// each transition once; after recovery everything is delivered.
func TestBreakerBoundsRequestsDuringOutage(t *testing.T) {
	const (
		messages    = 60
		failures    = 3
		cooldownMin = 100 * time.Millisecond // 200ms × (1 − 0.5)
	)
	sk := startSink(t, "127.0.0.1:0")
	sk.setStatus(http.StatusServiceUnavailable)
	metrics := reservePort(t)
	r := newRelayd(t, breakerConfig(sk.addr, metrics))
	r.start()
	tail := startTail(t, r, false)

	outageStart := time.Now()
	for i := range messages {
		r.accept("/eq_callback", "text/plain", fmt.Sprintf("callback %d", i))
	}
	var st destinationJSON
	waitFor(t, "backing-off in status", func() bool {
		st = r.breakerView("status")
		return st.State == "backing-off"
	})
	if st.ConsecutiveFailures < failures || st.NextProbeAt == nil {
		t.Errorf("status --json while backing off: %+v", st)
	}
	if d := r.breakerView("destinations"); d.State != "backing-off" || d.ConsecutiveFailures < failures || d.NextProbeAt == nil {
		t.Errorf("destinations --json while backing off: %+v", d)
	}
	if out, _ := r.relayctl("destinations", "-o", "wide"); !regexp.MustCompile(`(?m)^billing +backing-off( +\d+){6} +(in \d+s|just now|\d+s ago) `).MatchString(out) {
		t.Errorf("relayctl destinations while backing off:\n%s", out)
	}
	if body := getBody(t, "http://"+metrics+"/metrics"); !strings.Contains(body, `relayd_destination_breaker_open{destination="billing"} 1`) ||
		strings.Contains(body, `relayd_breaker_transitions_total{destination="billing",to="open"} 0`+"\n") {
		t.Errorf("metrics while backing off lack the gauge at 1 or the transition counted:\n%s", body)
	}

	time.Sleep(3*time.Second - time.Since(outageStart)) // the outage's length is the input, not asserted
	outage := time.Since(outageStart)
	sk.setStatus(http.StatusOK)
	during := len(sk.requests())
	limit := failures + int(math.Ceil(float64(outage)/float64(cooldownMin)))
	t.Logf("outage %s: %d requests reached billing (limit %d) with %d queued", outage.Round(time.Millisecond), during, limit, messages)
	if during > limit {
		t.Errorf("%d requests reached billing during a %s outage, want at most %d", during, outage, limit)
	}

	waitFor(t, "every message delivered", func() bool { return r.breakerView("status").Delivered == messages })
	if ids := sk.ids(); len(ids) != messages {
		t.Errorf("sink saw %d distinct messages, want %d", len(ids), messages)
	}
	waitFor(t, "active again", func() bool {
		st = r.breakerView("destinations")
		return st.State == "active"
	})
	if st.ConsecutiveFailures != 0 || st.NextProbeAt != nil {
		t.Errorf("after recovery: %+v", st)
	}
	waitFor(t, "breaker-closed in tail", func() bool { return strings.Contains(tail.out(), "breaker-closed") })
	if !strings.Contains(tail.out(), "billing       breaker-open  HTTP 503 Service Unavailable  probe ") {
		t.Errorf("tail lacks the breaker-open line:\n%s", tail.out())
	}
	logs := r.Logs()
	opened, recovered := strings.Count(logs, `msg="destination backing off"`), strings.Count(logs, `msg="destination recovered"`)
	if opened < 1 || opened >= during || recovered != 1 {
		t.Errorf("log: %d backing-off lines, %d recovered for %d failed requests: want one per transition", opened, recovered, during)
	}
}

// max_elapsed counts from the first attempt, and time paused does not
// count: with max_elapsed 2s, a delivery attempted once before a 2.5s pause
// and one queued during it are both retried after resume.
func TestMaxElapsedAcrossPause(t *testing.T) {
	sk := startSink(t, "127.0.0.1:0")
	sk.setStatus(http.StatusServiceUnavailable)
	r := newRelayd(t, `
server:
  listen: 127.0.0.1:0
defaults:
  retry: {initial_interval: 200ms, multiplier: 1, randomization: 0, max_interval: 200ms, max_elapsed: 2s}
  breaker: {failures: 1000}
destinations:
  - name: billing
    url: http://`+sk.addr+`/billing
routes:
  - name: eq-callback
    path: /eq_callback
    methods: [POST]
    destinations: [billing]
`)
	r.start()
	before := r.accept("/eq_callback", "text/plain", "before the pause")
	waitFor(t, "a first attempt", func() bool { return len(sk.requests()) >= 1 })
	if out, code := r.relayctl("pause", "billing"); code != 0 {
		t.Fatalf("pause: %d %s", code, out)
	}
	during := r.accept("/eq_callback", "text/plain", "queued during the pause")
	time.Sleep(2500 * time.Millisecond) // longer than max_elapsed: the pause is the input
	if out, code := r.relayctl("resume", "billing"); code != 0 {
		t.Fatalf("resume: %d %s", code, out)
	}
	for name, id := range map[string]string{"attempted before the pause": before.ID, "queued during it": during.ID} {
		var state string
		var attempts int
		waitFor(t, name+": three attempts or dead", func() bool {
			state, attempts = r.deliveryOf(id)
			return attempts >= 3 || state == "dead"
		})
		if state == "dead" {
			t.Errorf("delivery %s: dead after %d attempts: the pause counted against max_elapsed", name, attempts)
		}
	}
}

// deliveryOf returns billing's delivery state and attempt count of id from
// relayctl show --json.
func (r *relayd) deliveryOf(id string) (string, int) {
	r.t.Helper()
	out, code := r.relayctl("--json", "show", id)
	var doc struct {
		Deliveries []struct {
			Destination  string `json:"destination"`
			State        string `json:"state"`
			AttemptCount int    `json:"attempt_count"`
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); code != 0 || err != nil {
		r.t.Fatalf("show %s: exit %d %v: %s", id, code, err, out)
	}
	for _, d := range doc.Deliveries {
		if d.Destination == "billing" {
			return d.State, d.AttemptCount
		}
	}
	r.t.Fatalf("show %s: no billing delivery: %s", id, out)
	return "", 0
}

func getBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
