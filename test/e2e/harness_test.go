package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "relayd-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	for _, b := range []string{"relayd", "relayctl"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, b), "../../cli/"+b)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n", b, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// relayd is one running daemon process.
type relayd struct {
	t       *testing.T
	cmd     *exec.Cmd
	dir     string // config, storage and socket live here
	config  string
	socket  string
	addr    string   // ingress host:port
	args    []string // added to relayd run's (--log-format json)
	mu      sync.Mutex
	logs    bytes.Buffer
	exited  chan struct{}
	exitErr error
}

// listenRE finds the ingress address in the "relayd started" line, text or
// JSON.
var listenRE = regexp.MustCompile(`msg="relayd started".* listen=(\S+)|"msg":"relayd started".*"listen":"([^"]+)"`)

// newRelayd prepares a state directory and writes cfg into it. cfg may use
// {{dir}} and {{socket}}; storage and admin are appended when absent.
func newRelayd(t *testing.T, cfg string) *relayd {
	t.Helper()
	// unix socket paths are limited to 108 bytes; t.TempDir() can be longer.
	dir, err := os.MkdirTemp("", "rd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	r := &relayd{t: t, dir: dir, config: filepath.Join(dir, "relayd.yaml"), socket: filepath.Join(dir, "admin.sock")}
	r.writeConfig(cfg)
	return r
}

func (r *relayd) writeConfig(cfg string) {
	r.t.Helper()
	cfg = strings.ReplaceAll(cfg, "{{dir}}", r.dir)
	cfg = strings.ReplaceAll(cfg, "{{socket}}", r.socket)
	if !strings.Contains(cfg, "\nstorage:") {
		cfg += fmt.Sprintf("\nstorage:\n  dir: %s/data\n", r.dir)
	}
	if !strings.Contains(cfg, "\nadmin:") {
		cfg += fmt.Sprintf("\nadmin:\n  socket: %s\n", r.socket)
	}
	if err := os.WriteFile(r.config, []byte(cfg), 0o600); err != nil {
		r.t.Fatal(err)
	}
}

// start runs relayd and waits for its "relayd started" log line.
func (r *relayd) start() {
	r.t.Helper()
	args := append([]string{"run", "--config", r.config, "--log-level", "debug"}, r.args...)
	r.cmd = exec.Command(filepath.Join(binDir, "relayd"), args...)
	r.cmd.Env = append(os.Environ(), "RELAYD_TEST=1")
	stderr, err := r.cmd.StderrPipe()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	r.exited = make(chan struct{})
	addrc := make(chan string, 1)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			r.mu.Lock()
			r.logs.WriteString(line + "\n")
			r.mu.Unlock()
			if m := listenRE.FindStringSubmatch(line); m != nil {
				select {
				case addrc <- m[1] + m[2]:
				default:
				}
			}
		}
	}()
	cmd := r.cmd
	done := r.exited
	// Wait closes the pipe: only after the scanner has read it to EOF, or
	// the last lines (such as "relayd stopped") could be lost.
	go func() { <-scanned; r.exitErr = cmd.Wait(); close(done) }()
	r.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-done
		}
		if r.t.Failed() {
			r.t.Logf("relayd logs:\n%s", r.Logs())
		}
	})
	select {
	case r.addr = <-addrc:
	case <-done:
		r.t.Fatalf("relayd exited before it was ready: %v\n%s", r.exitErr, r.Logs())
	case <-time.After(20 * time.Second):
		r.t.Fatalf("relayd not ready after 20s\n%s", r.Logs())
	}
}

// Logs returns everything relayd wrote to stderr so far.
func (r *relayd) Logs() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.logs.String()
}

// signal sends sig and, for terminating signals, waits for the exit.
func (r *relayd) signal(sig syscall.Signal) {
	r.t.Helper()
	if err := r.cmd.Process.Signal(sig); err != nil {
		r.t.Fatal(err)
	}
}

// wait waits for the process to exit and returns its exit code.
func (r *relayd) wait() int {
	r.t.Helper()
	select {
	case <-r.exited:
	case <-time.After(40 * time.Second):
		r.t.Fatalf("relayd did not exit\n%s", r.Logs())
	}
	return r.cmd.ProcessState.ExitCode()
}

func (r *relayd) url(path string) string { return "http://" + r.addr + path }

// post sends a request to the ingress and returns status and body.
func (r *relayd) post(path, contentType, body string) (int, string) {
	r.t.Helper()
	resp, err := http.Post(r.url(path), contentType, strings.NewReader(body))
	if err != nil {
		r.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// accept posts and fails the test unless relayd answered 202 with an id.
func (r *relayd) accept(path, contentType, body string) accepted {
	r.t.Helper()
	status, answer := r.post(path, contentType, body)
	return mustAccept(r.t, status, answer)
}

// relayctl runs the real relayctl against this daemon's socket.
func (r *relayd) relayctl(args ...string) (stdout string, code int) {
	r.t.Helper()
	return runRelayctl(r.t, append([]string{"--socket", r.socket}, args...)...)
}

func runRelayctl(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "relayctl"), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("relayctl %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	if code != 0 {
		t.Logf("relayctl %v exit %d stderr: %s", args, code, errb.String())
	}
	return out.String(), code
}

// reservePort returns a loopback address nobody listens on (yet): a
// downstream that is down until a sink is started on it.
func reservePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
