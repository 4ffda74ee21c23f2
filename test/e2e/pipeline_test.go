package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// fastRetry keeps e2e schedules short; the schedule's shape is tested in relay.
const fastRetry = `
defaults:
  retry: {initial_interval: 20ms, multiplier: 2, randomization: 0, max_interval: 100ms, max_elapsed: 1h}
`

func eqCallbackConfig(sinkAddr string) string {
	return `
server:
  listen: 127.0.0.1:0
` + fastRetry + `
destinations:
  - name: billing
    url: http://` + sinkAddr + `/billing/eq_callback
routes:
  - name: eq-callback
    path: /eq_callback
    methods: [POST]
    destinations: [billing]
`
}

type accepted struct {
	Result       string   `json:"result"`
	ID           string   `json:"id"`
	Route        string   `json:"route"`
	Destinations []string `json:"destinations"`
	Duplicate    bool     `json:"duplicate"`
}

func mustAccept(t *testing.T, status int, body string) accepted {
	t.Helper()
	if status != http.StatusAccepted {
		t.Fatalf("want 202, got %d %s", status, body)
	}
	var a accepted
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatalf("answer %q: %v", body, err)
	}
	if a.Result != "OK" || !regexp.MustCompile(`^[a-z0-9]{32}$`).MatchString(a.ID) {
		t.Fatalf("bad answer %+v", a)
	}
	return a
}

func TestCallbackDeliveredByteForByte(t *testing.T) {
	sk := startSink(t, "127.0.0.1:0")
	r := newRelayd(t, eqCallbackConfig(sk.addr))
	r.start()

	body := "action=reinstall&key=0123456789abcdefghijklmnopqrstuv&status=deploy_done&stage=done&id=42"
	a := r.accept("/eq_callback", "application/x-www-form-urlencoded", body)
	if a.Route != "eq-callback" || len(a.Destinations) != 1 || a.Destinations[0] != "billing" {
		t.Fatalf("answer names route/destinations wrongly: %+v", a)
	}
	waitFor(t, "delivery to the sink", func() bool { return len(sk.requests()) == 1 })
	got := sk.requests()[0]
	if got.Body != body || got.Method != "POST" || got.Path != "/billing/eq_callback" {
		t.Fatalf("sink got %s %s %q", got.Method, got.Path, got.Body)
	}
	if ct := got.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Fatalf("Content-Type %q", ct)
	}
	if got.Header.Get("X-Relay-Id") != a.ID || got.Header.Get("X-Relay-Attempt") != "1" || got.Header.Get("X-Request-Id") != a.ID {
		t.Fatalf("relay headers %v", got.Header)
	}
}

// TestKill9NeverLosesAcknowledged acks N callbacks while the downstream is
// down, kills relayd with SIGKILL, restarts it, brings the downstream up and
// checks every acknowledged id arrives (duplicates allowed).
func TestKill9NeverLosesAcknowledged(t *testing.T) {
	sinkAddr := reservePort(t)
	r := newRelayd(t, eqCallbackConfig(sinkAddr))
	r.start()

	const n = 40
	want := map[string]bool{}
	for i := 0; i < n; i++ {
		status, body := r.post("/eq_callback", "application/x-www-form-urlencoded", fmt.Sprintf("action=reinstall&key=k%031d&status=deploy_done", i))
		want[mustAccept(t, status, body).ID] = true
	}
	r.signal(syscall.SIGKILL)
	if code := r.wait(); code != -1 {
		t.Fatalf("kill -9: exit code %d, want -1 (killed)", code)
	}

	r.start() // same config and storage directory
	sk := startSink(t, sinkAddr)
	waitFor(t, "all acknowledged callbacks delivered after kill -9", func() bool {
		got := sk.ids()
		for id := range want {
			if got[id] == 0 {
				return false
			}
		}
		return true
	})
}

func TestSIGTERMDrainsAndExitsZero(t *testing.T) {
	sk := startSink(t, "127.0.0.1:0")
	r := newRelayd(t, eqCallbackConfig(sk.addr))
	r.start()
	r.accept("/eq_callback", "text/plain", "hello")
	waitFor(t, "delivery", func() bool { return len(sk.requests()) == 1 })

	r.signal(syscall.SIGTERM)
	if code := r.wait(); code != 0 {
		t.Fatalf("SIGTERM: exit code %d, want 0\n%s", code, r.Logs())
	}
	if !strings.Contains(r.Logs(), `msg="relayd stopped"`) {
		t.Fatalf("no clean stop logged:\n%s", r.Logs())
	}
	// The store was closed cleanly: a restart opens it and serves.
	r.start()
}

func TestSIGHUPReloadSwapsRoutesAndRefusesBadConfig(t *testing.T) {
	sk := startSink(t, "127.0.0.1:0")
	cfgA := eqCallbackConfig(sk.addr)
	r := newRelayd(t, cfgA)
	r.start()
	r.accept("/eq_callback", "text/plain", "before")

	cfgB := strings.Replace(cfgA, "path: /eq_callback", "path: /v2/eq_callback", 1)
	r.writeConfig(cfgB)
	r.signal(syscall.SIGHUP)
	waitFor(t, "new route after SIGHUP", func() bool {
		status, _ := r.post("/v2/eq_callback", "text/plain", "after")
		return status == http.StatusAccepted
	})
	if status, body := r.post("/eq_callback", "text/plain", "old"); status != http.StatusNotFound || !strings.Contains(body, `"no_route"`) {
		t.Fatalf("old route after reload: %d %s", status, body)
	}

	// A bad config is refused and the running one kept.
	r.writeConfig(cfgB + "\nbogus_key: 1\n")
	r.signal(syscall.SIGHUP)
	waitFor(t, "refusal logged", func() bool { return strings.Contains(r.Logs(), "reload refused") })
	if !strings.Contains(r.Logs(), "bogus_key") {
		t.Fatalf("refusal does not name the bad key:\n%s", r.Logs())
	}
	r.accept("/v2/eq_callback", "text/plain", "still")

	waitFor(t, "every accepted message delivered exactly once", func() bool { return len(sk.requests()) == 3 })
	bodies := map[string]int{}
	for _, q := range sk.requests() {
		bodies[q.Body]++
	}
	for _, b := range []string{"before", "after", "still"} {
		if bodies[b] < 1 {
			t.Fatalf("%q not delivered: %v", b, bodies)
		}
	}
}

func TestRelaydCheckPrintsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(`
destinations:
  - name: billing
    url: not-a-url
routes:
  - name: r
    path: /x
    destinations: [nowhere]
`), 0o600)
	out, err := exec.Command(filepath.Join(binDir, "relayd"), "check", "--config", bad).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("relayd check on a bad file: %v, want exit 1\n%s", err, out)
	}
	for _, want := range []string{"destinations[0].url", "routes[0].destinations", "nowhere"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte(eqCallbackConfig("127.0.0.1:9")+"\nstorage: {dir: "+dir+"}\n"), 0o600)
	if out, err := exec.Command(filepath.Join(binDir, "relayd"), "check", "--config", good).CombinedOutput(); err != nil {
		t.Fatalf("relayd check on a good file: %v\n%s", err, out)
	}
}

// TestReloadUnderLoadNeitherLosesNorDuplicates sends callbacks while the
// destination is reconfigured (and so restarted) by repeated SIGHUPs:
// every one is delivered, exactly once (no crash, so no duplicate).
func TestReloadUnderLoadNeitherLosesNorDuplicates(t *testing.T) {
	sk := startSink(t, "127.0.0.1:0")
	cfg := func(concurrency int) string {
		return strings.Replace(eqCallbackConfig(sk.addr), "    url: ", fmt.Sprintf("    concurrency: %d\n    url: ", concurrency), 1)
	}
	r := newRelayd(t, cfg(4))
	r.start()

	const n = 150
	// "" or the first refusal: no t.Fatal off the test goroutine.
	sent := make(chan string, 1)
	go func() {
		for i := 0; i < n; i++ {
			resp, err := http.Post(r.url("/eq_callback"), "text/plain", strings.NewReader(fmt.Sprintf("n=%d", i)))
			if err != nil {
				sent <- fmt.Sprintf("callback %d: %v", i, err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				sent <- fmt.Sprintf("callback %d: status %d", i, resp.StatusCode)
				return
			}
		}
		sent <- ""
	}()
	for k := 1; k <= 5; k++ {
		waitFor(t, "more callbacks accepted", func() bool { _, p, rt, _, d := r.status().dest("billing"); return p+rt+d >= k*n/6 })
		r.writeConfig(cfg(k%3 + 1))
		r.signal(syscall.SIGHUP)
	}
	if refused := <-sent; refused != "" {
		t.Fatal(refused)
	}
	waitFor(t, "all delivered", func() bool {
		_, pending, retrying, _, delivered := r.status().dest("billing")
		return delivered == n && pending == 0 && retrying == 0
	})
	if got := len(sk.requests()); got != n || len(sk.ids()) != n {
		t.Fatalf("sink got %d requests for %d distinct ids, want %d each", got, len(sk.ids()), n)
	}
	waitFor(t, "5 reloads logged", func() bool { return strings.Count(r.Logs(), `msg="config reloaded"`) == 5 })
}
