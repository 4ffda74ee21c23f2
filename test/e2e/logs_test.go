package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// logsConfig: billing behind a breaker that opens after 2 failures and
// probes after 2s (no jitter), long enough for the test to heal the sink
// before the probe, so the breaker opens and closes exactly once.
func logsConfig(sinkAddr string) string {
	return `
server:
  listen: 127.0.0.1:0
defaults:
  retry: {initial_interval: 2s, multiplier: 2, randomization: 0, max_interval: 2s, max_elapsed: 1h}
  breaker: {failures: 2}
destinations:
  - name: billing
    url: http://` + sinkAddr + `/billing
    concurrency: 1
routes:
  - name: eq-callback
    path: /eq_callback
    methods: [POST]
    destinations: [billing]
`
}

// jsonLine is one decoded --log-format json line.
type jsonLine map[string]any

func (l jsonLine) str(key string) string { s, _ := l[key].(string); return s }

// decodeLine decodes one JSON log line, failing on a key that appears
// twice in one object (json.Unmarshal would keep the last silently).
func decodeLine(line string) (jsonLine, error) {
	dec := json.NewDecoder(strings.NewReader(line))
	if err := checkObject(dec, "$"); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("more than one value on the line")
	}
	var m jsonLine
	return m, json.Unmarshal([]byte(line), &m)
}

// checkObject reads one JSON value from dec; objects, nested ones too,
// must not repeat a key.
func checkObject(dec *json.Decoder, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			key := k.(string)
			if seen[key] {
				return fmt.Errorf("key %s.%s twice", path, key)
			}
			seen[key] = true
			if err := checkObject(dec, path+"."+key); err != nil {
				return err
			}
		}
		_, err = dec.Token() // }
		return err
	case json.Delim('['):
		for dec.More() {
			if err := checkObject(dec, path+"[]"); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ]
		return err
	}
	return nil
}

// Start, accept, deliver, a breaker that opens and closes, pause, resume,
// a relayctl reload, a SIGHUP reload, stop, restart, stop: every line is one JSON object
// without a repeated key, and each of these events is one line.
func TestLogLinesOncePerEventWithoutRepeatedKeys(t *testing.T) {
	sk := startSink(t, "127.0.0.1:0")
	r := newRelayd(t, logsConfig(sk.addr))
	r.args = []string{"--log-format", "json"}
	r.start()

	r.accept("/eq_callback", "text/plain", "first")
	waitFor(t, "first delivery", func() bool { return len(sk.requests()) == 1 })
	sk.setStatus(http.StatusServiceUnavailable)
	r.accept("/eq_callback", "text/plain", "second")
	r.accept("/eq_callback", "text/plain", "third")
	waitFor(t, "breaker open", func() bool { return strings.Contains(r.Logs(), `"msg":"destination backing off"`) })
	sk.setStatus(http.StatusOK)
	waitFor(t, "all delivered", func() bool { _, _, _, _, d := r.status().dest("billing"); return d == 3 })

	for _, cmd := range [][]string{{"pause", "billing"}, {"resume", "billing"}, {"reload"}} {
		if out, code := r.relayctl(cmd...); code != 0 {
			t.Fatalf("relayctl %v: exit %d %s", cmd, code, out)
		}
	}
	r.signal(syscall.SIGHUP)
	waitFor(t, "SIGHUP reload", func() bool { return strings.Contains(r.Logs(), `"msg":"config reloaded"`) })
	r.signal(syscall.SIGTERM)
	if code := r.wait(); code != 0 {
		t.Fatalf("relayd exit %d", code)
	}
	// A restart replays the queue's journal: a line of the queue's own,
	// whose logger the daemon names.
	r.start()
	r.signal(syscall.SIGTERM)
	if code := r.wait(); code != 0 {
		t.Fatalf("relayd exit %d after the restart", code)
	}

	var lines []jsonLine
	for _, line := range strings.Split(strings.TrimSpace(r.Logs()), "\n") {
		l, err := decodeLine(line)
		if err != nil {
			t.Errorf("log line %s: %v", line, err)
			continue
		}
		lines = append(lines, l)
	}
	count := func(match func(jsonLine) bool) int {
		n := 0
		for _, l := range lines {
			if match(l) {
				n++
			}
		}
		return n
	}
	// An event is counted wherever it shows: its message or the command.
	mentions := func(word string) func(jsonLine) bool {
		return func(l jsonLine) bool {
			return strings.Contains(l.str("msg"), word) || strings.HasPrefix(l.str("command"), word)
		}
	}
	for _, c := range []struct {
		event string
		match func(jsonLine) bool
		want  int
	}{
		{"pause", mentions("pause"), 1},
		{"resume", mentions("resume"), 1},
		{"reload (relayctl, then SIGHUP)", mentions("reload"), 2},
		{"breaker open", mentions("backing off"), 1},
		{"breaker closed", mentions("recovered"), 1},
		{"start", mentions("relayd started"), 2},
		{"stop", mentions("relayd stopped"), 2},
	} {
		if got := count(c.match); got != c.want {
			t.Errorf("%s: %d log lines, want %d", c.event, got, c.want)
		}
	}
	if t.Failed() {
		return
	}
	if n := count(func(l jsonLine) bool { return l.str("command") == "pause" && l.str("destination") == "billing" }); n != 1 {
		t.Errorf("the pause line does not name billing")
	}
	// Each component's logger was exercised, or a repeated key in one
	// could go unseen.
	for _, c := range []string{"queue", "relay", "ingress", "admin"} {
		if count(func(l jsonLine) bool { return l.str("component") == c }) == 0 {
			t.Errorf("no line of component %s: the scenario no longer covers its logger", c)
		}
	}
}

var (
	journalLineRE = regexp.MustCompile(`^<(\d)>level=(DEBUG|INFO|WARN|ERROR) `)
	plainLineRE   = regexp.MustCompile(`^time=\S+ level=(DEBUG|INFO|WARN|ERROR) `)
	timeKeyRE     = regexp.MustCompile(`(^|[ >])time=`)
	priorities    = map[string]string{"DEBUG": "7", "INFO": "6", "WARN": "4", "ERROR": "3"}
)

// runToFile runs relayd with stderr on a file and env added, through lines
// of each level (debug: an accepted callback; info: start and stop; warn:
// a relayctl reload refused; error: a SIGHUP reload refused), and returns
// what it wrote.
func runToFile(t *testing.T, journalStream func(os.FileInfo) string) string {
	t.Helper()
	sk := startSink(t, "127.0.0.1:0")
	r := newRelayd(t, eqCallbackConfig(sk.addr))
	f, err := os.Create(filepath.Join(r.dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"RELAYD_TEST=1"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "JOURNAL_STREAM=") {
			env = append(env, kv)
		}
	}
	if v := journalStream(fi); v != "" {
		env = append(env, "JOURNAL_STREAM="+v)
	}
	cmd := exec.Command(filepath.Join(binDir, "relayd"), "run", "--config", r.config, "--log-level", "debug")
	cmd.Env, cmd.Stderr = env, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })
	logs := func() string { b, _ := os.ReadFile(f.Name()); return string(b) }
	waitFor(t, "relayd started", func() bool {
		m := listenRE.FindStringSubmatch(logs())
		if m != nil {
			r.addr = m[1]
		}
		return m != nil
	})
	r.accept("/eq_callback", "text/plain", "hello")
	waitFor(t, "delivered", func() bool { return len(sk.requests()) == 1 })
	r.writeConfig(eqCallbackConfig(sk.addr) + "\nbogus_key: 1\n")
	if _, code := r.relayctl("reload"); code == 0 {
		t.Fatal("relayctl reload of a bad config succeeded")
	}
	cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "refused SIGHUP reload", func() bool { return strings.Contains(logs(), `msg="reload refused`) })
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		exited <- err
		if err != nil {
			t.Fatalf("relayd: %v\n%s", err, logs())
		}
	case <-time.After(40 * time.Second):
		t.Fatalf("relayd did not exit\n%s", logs())
	}
	return logs()
}

// levelsSeen fails unless every level shows in out (levels parsed by re's
// last group).
func levelsSeen(t *testing.T, out string, re *regexp.Regexp) {
	t.Helper()
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if m := re.FindStringSubmatch(line); m != nil {
			seen[m[len(m)-1]] = true
		}
	}
	for level := range priorities {
		if !seen[level] {
			t.Errorf("no %s line in\n%s", level, out)
		}
	}
}

// Under systemd (JOURNAL_STREAM names stderr's device and inode) each line
// starts with the journald priority of its level and has no time of its
// own; the variable alone, naming another stream, changes nothing.
func TestJournalStreamPriorities(t *testing.T) {
	out := runToFile(t, func(fi os.FileInfo) string {
		st := fi.Sys().(*syscall.Stat_t)
		return fmt.Sprintf("%d:%d", st.Dev, st.Ino)
	})
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		m := journalLineRE.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("line without a <N>level= start under journald: %s", line)
			continue
		}
		if want := priorities[m[2]]; m[1] != want {
			t.Errorf("%s line has priority <%s>, want <%s>: %s", m[2], m[1], want, line)
		}
		if timeKeyRE.MatchString(line) {
			t.Errorf("line carries its own time under journald: %s", line)
		}
	}
	levelsSeen(t, out, journalLineRE)

	for name, stream := range map[string]func(os.FileInfo) string{
		"unset": func(os.FileInfo) string { return "" },
		"another stream": func(fi os.FileInfo) string {
			st := fi.Sys().(*syscall.Stat_t)
			return fmt.Sprintf("%d:%d", st.Dev, st.Ino+1)
		},
	} {
		out := runToFile(t, stream)
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if !plainLineRE.MatchString(line) || bytes.HasPrefix([]byte(line), []byte("<")) {
				t.Errorf("JOURNAL_STREAM %s: want a plain line with its time: %s", name, line)
			}
		}
		levelsSeen(t, out, plainLineRE)
	}
}

// relayd's last word when it cannot start is an error to journald too:
// journalctl -p err shows why the unit failed.
func TestJournalStreamStartupErrorIsAnError(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	cmd := exec.Command(filepath.Join(binDir, "relayd"), "run", "--config", filepath.Join(t.TempDir(), "missing.yaml"))
	cmd.Env = append(os.Environ(), fmt.Sprintf("JOURNAL_STREAM=%d:%d", st.Dev, st.Ino))
	cmd.Stderr = f
	if err := cmd.Run(); err == nil {
		t.Fatal("relayd ran without its config file")
	}
	out, _ := os.ReadFile(f.Name())
	if !regexp.MustCompile(`^<3>relayd: config file: .*missing\.yaml`).Match(out) {
		t.Errorf("startup failure under journald: %q, want a <3>relayd: line naming the file", out)
	}
}
