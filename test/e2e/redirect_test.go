package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// redirector is a downstream that answers every request with a 307 to the
// location set for its path.
type redirector struct {
	mu   sync.Mutex
	to   map[string]string // path → Location
	hits int
}

func (rd *redirector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rd.mu.Lock()
	rd.hits++
	loc := rd.to[r.URL.Path]
	rd.mu.Unlock()
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusTemporaryRedirect)
}

func (rd *redirector) set(path, location string) {
	rd.mu.Lock()
	rd.to[path] = location
	rd.mu.Unlock()
}

// lastAttempt returns the state and last attempt error of id's only delivery.
func (r *relayd) lastAttempt(id string) (state string, status int, errMsg string) {
	r.t.Helper()
	out, code := r.relayctl("--json", "show", id)
	if code != 0 {
		r.t.Fatalf("show %s: %d %s", id, code, out)
	}
	var shown struct {
		Deliveries []struct {
			State    string `json:"state"`
			Attempts []struct {
				Status int    `json:"status"`
				Error  string `json:"error"`
			} `json:"attempts"`
		} `json:"deliveries"`
	}
	if err := json.Unmarshal([]byte(out), &shown); err != nil || len(shown.Deliveries) != 1 {
		r.t.Fatalf("show --json %q: %v", out, err)
	}
	d := shown.Deliveries[0]
	if len(d.Attempts) == 0 {
		return d.State, 0, ""
	}
	a := d.Attempts[len(d.Attempts)-1]
	return d.State, a.Status, a.Error
}

func TestRedirectsRelaydRefuses(t *testing.T) {
	rd := &redirector{to: map[string]string{}}
	down := httptest.NewServer(rd)
	t.Cleanup(down.Close)
	other := startSink(t, "127.0.0.1:0")
	metrics := reservePort(t)
	r := newRelayd(t, `
server:
  listen: 127.0.0.1:0
`+fastRetry+`
admin:
  socket: {{socket}}
  metrics_listen: `+metrics+`
destinations:
  - {name: loop-ingress, url: "`+down.URL+`/ingress"}
  - {name: loop-metrics, url: "`+down.URL+`/metrics"}
  - {name: fenced, url: "`+down.URL+`/other", redirect_hosts: [billing.example]}
routes:
  - {name: to-ingress, path: /to_ingress, destinations: [loop-ingress]}
  - {name: to-metrics, path: /to_metrics, destinations: [loop-metrics]}
  - {name: to-other, path: /to_other, destinations: [fenced]}
`)
	r.start()
	otherPort := strings.TrimPrefix(other.addr, "127.0.0.1:")
	// Followed, this turns one message into a loop that fills the disk.
	rd.set("/ingress", r.url("/to_ingress?token=s3cr3t"))
	rd.set("/metrics", "http://"+metrics+"/metrics")
	rd.set("/other", "http://localhost:"+otherPort+"/landing")

	cases := []struct{ path, want string }{
		{"/to_ingress", "redirect to relayd's own listener " + r.addr + " refused"},
		{"/to_metrics", "redirect to relayd's own listener " + metrics + " refused"},
		{"/to_other", "redirect to host localhost:" + otherPort + " not in redirect_hosts"},
	}
	ids := map[string]string{}
	for _, c := range cases {
		ids[c.path] = r.accept(c.path, "text/plain", "one message").ID
	}
	for _, c := range cases {
		id := ids[c.path]
		waitFor(t, c.path+" dead", func() bool { state, _, _ := r.lastAttempt(id); return state == "dead" })
		_, status, msg := r.lastAttempt(id)
		if status != 307 || msg != c.want {
			t.Errorf("%s: attempt %d %q, want 307 %q", c.path, status, msg, c.want)
		}
	}
	out, code := r.relayctl("--json", "ls")
	var ls struct {
		Messages []struct{ ID string } `json:"messages"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &ls) != nil || len(ls.Messages) != len(cases) {
		t.Fatalf("ls: exit %d, %d messages, want %d (none looped back): %s", code, len(ls.Messages), len(cases), out)
	}
	if n := len(other.requests()); n != 0 {
		t.Errorf("the host outside redirect_hosts received %d requests", n)
	}
	if strings.Contains(r.Logs(), "s3cr3t") {
		t.Error("a Location's secret reached the log")
	}
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if rd.hits != len(cases) {
		t.Errorf("the downstream was asked %d times, want %d: a refused redirect is not retried", rd.hits, len(cases))
	}
}
