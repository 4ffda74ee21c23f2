package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func findKeyConfig(sinkAddr string) string {
	return `
server:
  listen: 127.0.0.1:0
  status_token: st-findkey
` + fastRetry + `
destinations:
  - name: billing
    url: http://` + sinkAddr + `/billing
routes:
  - name: eq-callback
    path: /eq_callback
    methods: [POST]
    idempotency_key: form.key
    destinations: [billing]
  - name: broker
    path: /broker
    methods: [POST]
    ordering_key: json.service_instance_guid
    tracing_key: json.tracing_id
    destinations: [billing]
`
}

// keyFixture is what TestFindByKey sent: 200 eq_callbacks with a task key
// each, 100 broker callbacks for 10 instances with a tracing id each.
type findKeyFixture struct {
	task  map[string]string   // task key → id
	inst  map[string][]string // instance guid → ids, oldest first
	trace map[string]string   // tracing id → id
}

func sendFindKeyTraffic(t *testing.T, r *relayd) findKeyFixture {
	t.Helper()
	fx := findKeyFixture{task: map[string]string{}, inst: map[string][]string{}, trace: map[string]string{}}
	for i := range 300 {
		if i%3 != 2 {
			key := fmt.Sprintf("7bc29eb2%024d", i)
			a := r.accept("/eq_callback", "application/x-www-form-urlencoded",
				"action=reinstall&key="+key+"&status=deploy_done&password=pw-findkey")
			fx.task[key] = a.ID
			continue
		}
		guid := fmt.Sprintf("35307a08-%02d", i%10)
		trace := fmt.Sprintf("trace-%04d", i)
		a := r.accept("/broker", "application/json",
			`{"service_instance_guid":"`+guid+`","status":"CREATED","tracing_id":"`+trace+`"}`)
		fx.inst[guid] = append(fx.inst[guid], a.ID)
		fx.trace[trace] = a.ID
	}
	return fx
}

type lsJSON struct {
	Messages []struct {
		ID    string `json:"id"`
		Route string `json:"route"`
	} `json:"messages"`
}

func (r *relayd) lsIDs(args ...string) []string {
	r.t.Helper()
	out, code := r.relayctl(append([]string{"--json", "ls"}, args...)...)
	if code != 0 {
		r.t.Fatalf("relayctl ls %v: exit %d %s", args, code, out)
	}
	var l lsJSON
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		r.t.Fatalf("ls --json %q: %v", out, err)
	}
	var ids []string
	for _, m := range l.Messages {
		ids = append(ids, m.ID)
	}
	return ids
}

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

// TestFindByKey finds callbacks among 300 by each kind of key with the
// real relayctl, shows one by key, refuses to pick one of several, and
// answers a sender's GET /_relay/messages?key=K with the status token only.
func TestFindByKey(t *testing.T) {
	sk := startSink(t, "127.0.0.1:0")
	r := newRelayd(t, findKeyConfig(sk.addr))
	r.start()
	fx := sendFindKeyTraffic(t, r)
	task, guid, trace := "7bc29eb2"+fmt.Sprintf("%024d", 100), "35307a08-03", "trace-0101"

	t.Run("ls by each kind of key", func(t *testing.T) {
		for _, c := range []struct {
			kind string
			args []string
			want []string
		}{
			{"idempotency key", []string{"--key", task}, []string{fx.task[task]}},
			{"ordering key, newest first", []string{"--key", guid}, reversed(fx.inst[guid])},
			{"tracing id", []string{"--key", trace}, []string{fx.trace[trace]}},
			{"key and limit", []string{"--key", guid, "--limit", "3"}, reversed(fx.inst[guid])[:3]},
			{"key and route", []string{"--key", guid, "--route", "eq-callback"}, nil},
			{"key and dest", []string{"--key", task, "--dest", "billing"}, []string{fx.task[task]}},
			{"unknown key", []string{"--key", "no-such-key"}, nil},
		} {
			if got := r.lsIDs(c.args...); !slices.Equal(got, c.want) {
				t.Errorf("%s: ls %v = %v, want %v", c.kind, c.args, got, c.want)
			}
		}
		if len(fx.inst[guid]) != 10 {
			t.Fatalf("fixture: %d messages for %s", len(fx.inst[guid]), guid)
		}
	})

	t.Run("show by key", func(t *testing.T) {
		out, code := r.relayctl("show", task, "--json")
		var m struct {
			ID   string `json:"id"`
			Body string `json:"body"`
		}
		if err := json.Unmarshal([]byte(out), &m); code != 0 || err != nil || m.ID != fx.task[task] {
			t.Fatalf("show %s: exit %d %v: %s", task, code, err, out)
		}
		if strings.Contains(m.Body, "pw-findkey") {
			t.Fatalf("show by key shows the password: %s", m.Body)
		}
		cmd := runRelayctlFull(t, "--socket", r.socket, "show", guid)
		if cmd.code != 1 || !strings.Contains(cmd.stderr, `key "35307a08-03" names 10 messages: `+reversed(fx.inst[guid])[0]) ||
			!strings.Contains(cmd.stderr, "use relayctl ls --key") {
			t.Fatalf("show of a key naming 10: exit %d, stderr %q", cmd.code, cmd.stderr)
		}
		out, code = r.relayctl("--json", "show", guid)
		var e struct {
			Error int      `json:"error"`
			IDs   []string `json:"ids"`
		}
		if err := json.Unmarshal([]byte(out), &e); code != 1 || err != nil || e.Error != 1 || !slices.Equal(e.IDs, reversed(fx.inst[guid])) {
			t.Fatalf("show --json of a key naming 10: exit %d %v: %s", code, err, out)
		}
		if out, code := r.relayctl("show", "no-such-key"); code != 1 {
			t.Fatalf("show of an unknown key: exit %d %s", code, out)
		}
	})

	t.Run("sender asks by key over HTTP", func(t *testing.T) {
		get := func(key, token string) (int, string) {
			t.Helper()
			req, _ := http.NewRequest(http.MethodGet, r.url("/_relay/messages?key="+url.QueryEscape(key)), nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		code, body := get(task, "st-findkey")
		var got struct {
			Messages []struct {
				ID          string `json:"id"`
				Body        string `json:"body"`
				Deliveries  []any  `json:"deliveries"`
				Idempotency string `json:"idempotency_key"`
			} `json:"messages"`
			More bool `json:"more"`
		}
		if err := json.Unmarshal([]byte(body), &got); code != 200 || err != nil || len(got.Messages) != 1 ||
			got.Messages[0].ID != fx.task[task] || got.Messages[0].Idempotency != task || len(got.Messages[0].Deliveries) != 1 {
			t.Fatalf("by task key: %d %v %s", code, err, body)
		}
		if strings.Contains(body, "pw-findkey") {
			t.Fatalf("status by key shows the password: %s", body)
		}
		showOut, _ := r.relayctl("--json", "show", fx.task[task])
		var viaShow, viaHTTP any
		json.Unmarshal([]byte(showOut), &viaShow)
		var raw struct{ Messages []json.RawMessage }
		json.Unmarshal([]byte(body), &raw)
		json.Unmarshal(raw.Messages[0], &viaHTTP)
		if fmt.Sprint(viaShow) != fmt.Sprint(viaHTTP) {
			t.Fatalf("status by key differs from show --json:\n%s\n%s", raw.Messages[0], showOut)
		}
		if code, body := get(guid, "st-findkey"); code != 200 || strings.Count(body, `"id":`) != 10 {
			t.Fatalf("by instance guid: %d %s", code, body)
		}
		for _, tok := range []string{"", "wrong"} {
			if code, body := get(task, tok); code != 401 || !strings.Contains(body, `"error":"unauthorized"`) || strings.Contains(body, task) {
				t.Fatalf("token %q: %d %s", tok, code, body)
			}
		}
		secretish := "never-logged-key-5b1f"
		if code, body := get(secretish, "st-findkey"); code != 404 || body != `{"result":"ERROR","error":"not_found","error_message":"no message with that key"}` {
			t.Fatalf("unknown key: %d %s", code, body)
		}
		if code, _ := get("", "st-findkey"); code != 400 {
			t.Fatalf("no key: %d", code)
		}
		if strings.Contains(r.Logs(), secretish) || strings.Contains(r.Logs(), task) {
			t.Fatal("relayd logged a key asked for")
		}
	})
}

type ctlRun struct {
	stdout, stderr string
	code           int
}

// runRelayctlFull runs relayctl and keeps stderr as well.
func runRelayctlFull(t *testing.T, args ...string) ctlRun {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "relayctl"), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := ctlRun{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("relayctl %v: %v", args, err)
	}
	return r
}
