package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relayd/relayd/daemon/admin/admintest"
	"github.com/relayd/relayd/queue"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// result is one in-process relayctl run.
type result struct {
	code           int
	stdout, stderr string
}

func relayctl(t *testing.T, socket string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"relayctl", "--socket", socket}, args...), &out, &errb)
	return result{code, out.String(), errb.String()}
}

var (
	idRE      = regexp.MustCompile(`\b[a-z0-9]{32}\b`)
	timeRE    = regexp.MustCompile(`"\d{4}-\d\d-\d\dT[0-9:.]+(Z|[+-]\d\d:\d\d)"`)
	numberRE  = regexp.MustCompile(`"(uptime_s|storage_bytes|duration_ms)": \d+`)
	addrRE    = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	sockRE    = regexp.MustCompile(`/tmp/ra\d+/`)
	normalise = func(s string) string {
		s = idRE.ReplaceAllString(s, "<ID>")
		s = timeRE.ReplaceAllString(s, `"<TIME>"`)
		s = numberRE.ReplaceAllString(s, `"$1": <N>`)
		s = addrRE.ReplaceAllString(s, "<ADDR>")
		return sockRE.ReplaceAllString(s, "<DIR>/")
	}
)

// golden compares got (normalised) with testdata/name.golden.
func golden(t *testing.T, name, got string) {
	t.Helper()
	if !json.Valid([]byte(got)) {
		t.Fatalf("%s: not one JSON document: %q", name, got)
	}
	got = normalise(got)
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

// deadMessage enqueues a censorable form message to billing and waits
// until the sink's 400 made it dead.
func deadMessage(t *testing.T, e *admintest.Env) string {
	t.Helper()
	e.Sink.SetStatus(http.StatusBadRequest)
	id := e.Enqueue(t, &queue.Message{
		Query:     "serverId=7&secret=s3",
		TracingID: "trace-1",
		Headers: []queue.Header{
			{Name: "Content-Type", Value: "application/x-www-form-urlencoded"},
			{Name: "Authorization", Value: "Bearer abc"},
		},
		Body:         []byte("action=reinstall&key=abc&password=hunter2&status=deploy_done"),
		Destinations: []string{"billing"},
	})
	admintest.WaitFor(t, "dead", func() bool { return e.Counts(t, "billing").Dead == 1 })
	return id
}

func TestJSONShapesGolden(t *testing.T) {
	e := admintest.Start(t, admintest.Options{Version: "1.2.3"})
	id := deadMessage(t, e)
	tests := []struct {
		name string
		args []string
	}{
		{"show", []string{"show", id, "--json"}},
		{"ls", []string{"--json", "ls"}},
		{"status", []string{"--json", "status"}},
		{"destinations", []string{"--json", "destinations"}},
		{"pause", []string{"--json", "pause", "mailer"}},
		{"resume", []string{"--json", "resume", "mailer"}},
		{"replay_none", []string{"--json", "replay", "--state", "dead", "--since", "2099-01-01T00:00:00Z"}},
		{"purge", []string{"--json", "purge", "--state", "dead"}},
		{"reload", []string{"--json", "reload"}},
		{"error_not_found", []string{"--json", "show", strings.Repeat("z", 32)}},
		{"error_usage", []string{"--json", "show", ""}},
		{"version", []string{"--json", "version"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := relayctl(t, e.Socket, tt.args...)
			if strings.HasPrefix(tt.name, "error") != (r.code != 0) {
				t.Fatalf("exit %d: %s %s", r.code, r.stdout, r.stderr)
			}
			golden(t, tt.name, r.stdout)
		})
	}
}

func TestExitCodesAndMessages(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	missing := filepath.Join(t.TempDir(), "nobody.sock")
	tests := []struct {
		name       string
		socket     string
		args       []string
		code       int
		wantOutput string // in stdout (JSON) or stderr (text)
	}{
		{"daemon not running", missing, []string{"status"}, 1, missing},
		{"daemon not running json", missing, []string{"--json", "ls"}, 1, `"error_message":"cannot connect to relayd admin socket ` + missing},
		{"unknown id", e.Socket, []string{"show", strings.Repeat("z", 32)}, 1, "no message " + strings.Repeat("z", 32)},
		{"unknown destination names known", e.Socket, []string{"pause", "biling"}, 1, "billing, mailer"},
		// Refused before any request: the socket does not exist, so a
		// request would fail with exit 1 and "cannot connect".
		{"empty id or key", missing, []string{"show", ""}, 2, "empty message id or key"},
		{"empty key", missing, []string{"ls", "--key", ""}, 2, "--key: empty"},
		{"unknown key", e.Socket, []string{"show", "no-such-key"}, 1, `no message has the id or key "no-such-key"`},
		{"malformed replay id", missing, []string{"replay", strings.Repeat("a", 32), "x"}, 2, "malformed message id \"x\""},
		{"bad since", missing, []string{"ls", "--since", "yesterday"}, 2, "--since"},
		{"bad before", missing, []string{"purge", "--state", "dead", "--before", "-3h"}, 2, "negative"},
		{"bad state", missing, []string{"ls", "--state", "stuck"}, 2, "--state"},
		{"purge pending refused", missing, []string{"purge", "--state", "pending"}, 2, "dead or --state delivered"},
		{"replay without ids or state", missing, []string{"replay", "--dest", "billing"}, 2, "usage"},
		{"replay ids and filter", missing, []string{"replay", "--state", "dead", strings.Repeat("a", 32)}, 2, "not both"},
		{"unknown flag", missing, []string{"ls", "--colour"}, 2, "colour"},
		{"unknown command", missing, []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"missing argument", missing, []string{"pause"}, 2, "usage: relayctl pause DEST"},
		{"usage error json", missing, []string{"--json", "pause"}, 2, `{"error":1,"error_message":"usage: relayctl pause DEST"}`},
		{"completion shell", missing, []string{"completion", "tcsh"}, 2, "bash, zsh or fish"},
		{"tail bad state", missing, []string{"tail", "--state", "failed"}, 2, `--state "failed": an event shows one of delivered`},
		{"tail n too large", missing, []string{"tail", "-n", "1001"}, 2, "-n 1001: want 0 to 1000"},
		{"tail without daemon", missing, []string{"tail"}, 1, "cannot connect to relayd admin socket"},
		{"bad output format", missing, []string{"destinations", "-o", "yaml"}, 2, "only output format is wide"},
		{"ls nothing matched", e.Socket, []string{"ls", "--state", "dead"}, 0, "no messages matched"},
		{"replay nothing matched", e.Socket, []string{"replay", "--state", "dead"}, 0, "replayed 0 deliveries (nothing matched)"},
		{"purge nothing matched", e.Socket, []string{"purge", "--state", "delivered"}, 0, "purged 0 deliveries (nothing matched)"},
		{"help", missing, []string{"help"}, 0, "COMMANDS:"},
		{"completion bash", missing, []string{"completion", "bash"}, 0, "complete -F _relayctl relayctl"},
		{"completion fish", missing, []string{"completion", "fish"}, 0, "(__relayctl_complete)"},
		{"man page", missing, []string{"man"}, 0, ".SH COMMANDS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := relayctl(t, tt.socket, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stdout+r.stderr, tt.wantOutput) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s\nwant output containing %q",
					r.code, tt.code, r.stdout, r.stderr, tt.wantOutput)
			}
			if strings.Contains(strings.Join(tt.args, " "), "--json") && r.code != 0 {
				var eb struct {
					Error        int    `json:"error"`
					ErrorMessage string `json:"error_message"`
				}
				if err := json.Unmarshal([]byte(r.stdout), &eb); err != nil || eb.Error != 1 || eb.ErrorMessage == "" {
					t.Fatalf("--json error output %q: %v", r.stdout, err)
				}
			}
		})
	}
}

func TestHumanOutput(t *testing.T) {
	e := admintest.Start(t, admintest.Options{Version: "1.2.3"})
	id := deadMessage(t, e)
	tests := []struct {
		args []string
		want []*regexp.Regexp
	}{
		{[]string{"status", "-o", "wide"}, []*regexp.Regexp{
			regexp.MustCompile(`relayd 1\.2\.3, up 1m, storage \d`),
			regexp.MustCompile(`(?m)^DESTINATION +STATE +PENDING +IN-FLIGHT +RETRYING +DEAD +DELIVERED +FAILURES +NEXT-PROBE$`),
			regexp.MustCompile(`(?m)^billing +\S+ +0 +0 +0 +1 +0 +0 +-$`),
		}},
		{[]string{"destinations", "-o", "wide"}, []*regexp.Regexp{
			regexp.MustCompile(`(?m)^billing +\S+ +0 +0 +1 +0 +0 +\d+ +- +(just now|\d+s ago) +http://127`),
		}},
		{[]string{"ls"}, []*regexp.Regexp{
			regexp.MustCompile(`(?m)^` + id + ` +(just now|\d+s ago) +eq-callback +billing:dead$`),
		}},
		{[]string{"show", id}, []*regexp.Regexp{
			regexp.MustCompile(`request: +POST /eq_callback\?serverId=7&secret=censored`),
			regexp.MustCompile(`Authorization: censored`),
			regexp.MustCompile(`password=censored`),
			regexp.MustCompile(`delivery to billing: dead, 1 attempts`),
			regexp.MustCompile(`\(just now|\d+s ago\) +\d+ms +400 `),
		}},
		{[]string{"pause", "billing"}, []*regexp.Regexp{regexp.MustCompile(`^billing: paused\n$`)}},
		{[]string{"resume", "billing"}, []*regexp.Regexp{regexp.MustCompile(`^billing: active\n$`)}},
		{[]string{"reload"}, []*regexp.Regexp{regexp.MustCompile(`^config reloaded: nothing changed\n$`)}},
	}
	for _, tt := range tests {
		t.Run(tt.args[0], func(t *testing.T) {
			r := relayctl(t, e.Socket, tt.args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			for _, re := range tt.want {
				if !re.MatchString(r.stdout) {
					t.Errorf("output does not match %s:\n%s", re, r.stdout)
				}
			}
			if strings.Contains(r.stdout, "hunter2") || strings.Contains(r.stdout, "Bearer abc") {
				t.Errorf("secret shown:\n%s", r.stdout)
			}
		})
	}
}

func TestReplayDeadAfterFixThenPurge(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	id := deadMessage(t, e)
	e.Sink.SetStatus(http.StatusOK)
	r := relayctl(t, e.Socket, "replay", "--dest", "billing", "--state", "dead", "--since", "1h")
	if r.code != 0 || r.stdout != "replayed 1 delivery\n" {
		t.Fatalf("replay: %+v", r)
	}
	admintest.WaitFor(t, "delivered", func() bool { return e.Counts(t, "billing").Delivered == 1 })
	if r = relayctl(t, e.Socket, "replay", id); r.code != 0 || r.stdout != "replayed 1 delivery\n" {
		t.Fatalf("replay id: %+v", r)
	}
	admintest.WaitFor(t, "delivered twice", func() bool { return len(e.Sink.Requests()) == 3 })
	admintest.WaitFor(t, "settled", func() bool { return e.Counts(t, "billing").Delivered == 1 })
	if r = relayctl(t, e.Socket, "--json", "purge", "--state", "delivered", "--dest", "billing"); r.code != 0 || r.stdout != "{\n  \"purged\": 1\n}\n" {
		t.Fatalf("purge: %+v", r)
	}
	if r = relayctl(t, e.Socket, "show", id); r.code != 1 || !strings.Contains(r.stderr, "no message "+id) {
		t.Fatalf("show purged: %+v", r)
	}
}

// syncBuffer is written by a running command and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestTailPrintsDeliveriesUntilInterrupted(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"relayctl", "--socket", e.Socket, "tail"}, &out, &errb)
	}()
	// The stream may not be subscribed yet when a message is delivered:
	// keep sending until one shows up.
	var id string
	admintest.WaitFor(t, "a delivery in the tail output", func() bool {
		if id != "" && strings.Contains(out.String(), id) {
			return true
		}
		id = e.Enqueue(t, &queue.Message{Body: []byte("x"), Destinations: []string{"mailer"}})
		time.Sleep(20 * time.Millisecond) // pacing the producer, not synchronisation
		return false
	})
	line := regexp.MustCompile(`\d\d:\d\d:\d\d  ` + id + `  mailer +#1  delivered  200  \d+ms`)
	if !line.MatchString(out.String()) {
		t.Fatalf("tail line: %q", out.String())
	}
	cancel() // Ctrl-C
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("tail exit %d: %s", c, errb.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("tail did not stop on interrupt")
	}
}

func TestConfigCheckOffline(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nobody.sock")
	good := filepath.Join("..", "..", "configs", "relayd.example.yaml")
	r := relayctl(t, missing, "config", "check", good)
	if r.code != 0 || !strings.Contains(r.stdout, "OK (") {
		t.Fatalf("good config: %+v", r)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("server:\n  listen: 127.0.0.1:0\n  bogus_key: 1\n"), 0o600)
	r = relayctl(t, missing, "--json", "config", "check", bad)
	if r.code != 1 || !strings.Contains(r.stdout, `"error":1`) || !strings.Contains(r.stdout, "bogus_key") {
		t.Fatalf("bad config: %+v", r)
	}
	if r = relayctl(t, missing, "config", "check"); r.code != 2 || !strings.Contains(r.stderr, "usage: relayctl config check FILE") {
		t.Fatalf("config check without file: %+v", r)
	}
}
