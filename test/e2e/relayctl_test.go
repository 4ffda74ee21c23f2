package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

type statusJSON struct {
	Version      string `json:"version"`
	UptimeS      any    `json:"uptime_s"`
	StorageBytes any    `json:"storage_bytes"`
	Destinations []struct {
		Name      string `json:"name"`
		State     string `json:"state"`
		Pending   int    `json:"pending"`
		Retrying  int    `json:"retrying"`
		Dead      int    `json:"dead"`
		Delivered int    `json:"delivered"`
	} `json:"destinations"`
}

func (r *relayd) status() statusJSON {
	r.t.Helper()
	out, code := r.relayctl("--json", "status")
	if code != 0 {
		r.t.Fatalf("relayctl status: exit %d: %s", code, out)
	}
	var s statusJSON
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		r.t.Fatalf("status --json %q: %v", out, err)
	}
	return s
}

func (s statusJSON) dest(name string) (state string, pending, retrying, dead, delivered int) {
	for _, d := range s.Destinations {
		if d.Name == name {
			return d.State, d.Pending, d.Retrying, d.Dead, d.Delivered
		}
	}
	return "", -1, -1, -1, -1
}

func TestPauseHoldsAndResumeDeliversAll(t *testing.T) {
	sk := startSink(t, "127.0.0.1:0")
	r := newRelayd(t, eqCallbackConfig(sk.addr))
	r.start()

	if out, code := r.relayctl("pause", "billing"); code != 0 {
		t.Fatalf("pause: %d %s", code, out)
	}
	for i := 0; i < 5; i++ {
		r.accept("/eq_callback", "text/plain", "held")
	}
	waitFor(t, "status shows paused with 5 pending", func() bool {
		state, pending, _, _, _ := r.status().dest("billing")
		return state == "paused" && pending == 5
	})
	if n := len(sk.requests()); n != 0 {
		t.Fatalf("paused destination received %d requests", n)
	}
	if out, code := r.relayctl("resume", "billing"); code != 0 {
		t.Fatalf("resume: %d %s", code, out)
	}
	waitFor(t, "all 5 delivered after resume", func() bool {
		_, pending, _, _, delivered := r.status().dest("billing")
		return len(sk.ids()) == 5 && pending == 0 && delivered == 5
	})
}

func TestDeadThenReplayDelivers(t *testing.T) {
	sk := startSink(t, "127.0.0.1:0")
	sk.setStatus(http.StatusBadRequest) // not retryable: dead at once
	r := newRelayd(t, eqCallbackConfig(sk.addr))
	r.start()
	a := r.accept("/eq_callback", "text/plain", "one")
	r.accept("/eq_callback", "text/plain", "two")
	waitFor(t, "both dead", func() bool { _, _, _, dead, _ := r.status().dest("billing"); return dead == 2 })

	out, code := r.relayctl("--json", "ls", "--state", "dead", "--dest", "billing")
	if code != 0 || strings.Count(out, `"id"`) != 2 {
		t.Fatalf("ls dead: %d %s", code, out)
	}
	out, code = r.relayctl("--json", "show", a.ID)
	if code != 0 {
		t.Fatalf("show: %d %s", code, out)
	}
	var shown struct {
		ID         string `json:"id"`
		Body       string `json:"body"`
		Deliveries []struct {
			Destination string `json:"destination"`
			State       string `json:"state"`
			Attempts    []struct {
				Status int    `json:"status"`
				Error  string `json:"error"`
			} `json:"attempts"`
		} `json:"deliveries"`
	}
	if err := json.Unmarshal([]byte(out), &shown); err != nil {
		t.Fatalf("show --json %q: %v", out, err)
	}
	if shown.ID != a.ID || shown.Body != "one" || len(shown.Deliveries) != 1 ||
		shown.Deliveries[0].State != "dead" || len(shown.Deliveries[0].Attempts) != 1 ||
		shown.Deliveries[0].Attempts[0].Status != 400 {
		t.Fatalf("show: %+v", shown)
	}

	sk.setStatus(http.StatusOK) // billing fixed
	out, code = r.relayctl("replay", "--dest", "billing", "--state", "dead")
	if code != 0 || !strings.Contains(out, "2") {
		t.Fatalf("replay: %d %q", code, out)
	}
	waitFor(t, "replayed messages delivered", func() bool {
		_, _, _, dead, delivered := r.status().dest("billing")
		return dead == 0 && delivered == 2
	})

	out, code = r.relayctl("--json", "purge", "--state", "delivered")
	if code != 0 || !strings.Contains(out, "2") {
		t.Fatalf("purge: %d %q", code, out)
	}
	if out, code := r.relayctl("--json", "show", a.ID); code != 1 || !strings.Contains(out, "no message "+a.ID) {
		t.Fatalf("show after purge: exit %d %s", code, out)
	}
}

func TestRelayctlReloadGoodAndBad(t *testing.T) {
	sk := startSink(t, "127.0.0.1:0")
	cfg := eqCallbackConfig(sk.addr)
	r := newRelayd(t, cfg)
	r.start()

	r.writeConfig(strings.Replace(cfg, "path: /eq_callback", "path: /cb", 1))
	if out, code := r.relayctl("reload"); code != 0 {
		t.Fatalf("reload good: %d %s", code, out)
	}
	r.accept("/cb", "text/plain", "x")

	r.writeConfig(strings.Replace(cfg, "destinations: [billing]", "destinations: [nowhere]", 1))
	out, code := r.relayctl("--json", "reload")
	if code != 1 || !strings.Contains(out, `"error":1`) || !strings.Contains(out, "nowhere") {
		t.Fatalf("reload bad: exit %d %s", code, out)
	}
	r.accept("/cb", "text/plain", "y")
}

func TestRelayctlWithoutDaemon(t *testing.T) {
	out, code := runRelayctl(t, "--socket", "/nonexistent/relayd.sock", "--json", "status")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	var e struct {
		Error        int    `json:"error"`
		ErrorMessage string `json:"error_message"`
	}
	if err := json.Unmarshal([]byte(out), &e); err != nil || e.Error != 1 || !strings.Contains(e.ErrorMessage, "/nonexistent/relayd.sock") {
		t.Fatalf("error JSON %q (%v)", out, err)
	}
}

func TestStatusEndpointTokenAndCensoring(t *testing.T) {
	sk := startSink(t, "127.0.0.1:0")
	cfg := strings.Replace(eqCallbackConfig(sk.addr), "listen: 127.0.0.1:0", "listen: 127.0.0.1:0\n  status_token: s3cr3t-status", 1)
	r := newRelayd(t, cfg)
	r.start()
	form := "action=reinstall&key=abc&password=hunter2&status=deploy_done"
	a := r.accept("/eq_callback", "application/x-www-form-urlencoded", form)
	js := `{"service_instance_guid":"g","credentials":{"api_token":"tok-123","user":"u"}}`
	b := r.accept("/eq_callback", "application/json", js)

	get := func(id, token string) (int, string) {
		req, _ := http.NewRequest("GET", r.url("/_relay/messages/"+id), nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var sb strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			sb.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, sb.String()
	}
	if code, _ := get(a.ID, ""); code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", code)
	}
	if code, _ := get(a.ID, "wrong"); code != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", code)
	}
	code, body := get(a.ID, "s3cr3t-status")
	if code != http.StatusOK || strings.Contains(body, "hunter2") || !strings.Contains(body, "censored") || !strings.Contains(body, a.ID) {
		t.Fatalf("form censoring: %d %s", code, body)
	}
	code, body = get(b.ID, "s3cr3t-status")
	if code != http.StatusOK || strings.Contains(body, "tok-123") || !strings.Contains(body, "censored") {
		t.Fatalf("json censoring: %d %s", code, body)
	}
	// The delivered body is never altered.
	waitFor(t, "both delivered", func() bool { return len(sk.requests()) == 2 })
	for _, q := range sk.requests() {
		if q.Body != form && q.Body != js {
			t.Fatalf("delivered body altered: %q", q.Body)
		}
	}
	if resp, err := http.Get(r.url("/_relay/healthz")); err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
}
