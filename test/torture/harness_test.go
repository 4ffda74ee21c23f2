package torture

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// full selects the long version of every scenario (make torture).
var full = os.Getenv("RELAYD_TORTURE") == "1"

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "relayd-torture-bin")
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

// pick returns the short or the full version of a parameter.
func pick[T any](short, long T) T {
	if full {
		return long
	}
	return short
}

// figure logs one measured figure for docs/RELIABILITY.md.
func figure(t *testing.T, scenario, format string, args ...any) {
	t.Helper()
	t.Logf("figure: %s (%s): %s", scenario, pick("short", "full"), fmt.Sprintf(format, args...))
}

// waitFor polls cond until it holds, or fails the test after limit.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	if !waitUntil(limit, cond) {
		t.Fatalf("timed out after %s waiting for %s", limit, what)
	}
}

// waitUntil polls cond until it holds (true) or limit passes (false).
func waitUntil(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// reservePort returns a loopback address nobody listens on yet.
func reservePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// relayd is the real daemon on a fixed ingress address and state directory,
// so that it can be killed and started again where it was.
type relayd struct {
	t      *testing.T
	dir    string
	addr   string
	socket string
	cmd    *exec.Cmd
	exited chan struct{}
	log    *os.File
}

// newRelayd writes a config of the server, storage and admin blocks plus
// rest (defaults, destinations, routes) into a fresh directory.
func newRelayd(t *testing.T, storage, rest string) *relayd {
	t.Helper()
	dir, err := os.MkdirTemp("", "rdt") // a unix socket path must stay short
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	r := &relayd{t: t, dir: dir, addr: reservePort(t), socket: filepath.Join(dir, "admin.sock")}
	cfg := fmt.Sprintf("server: {listen: %q}\nadmin: {socket: %q}\nstorage: {dir: %q%s}\n%s",
		r.addr, r.socket, r.dataDir(), storage, rest)
	if err := os.WriteFile(filepath.Join(dir, "relayd.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(dir, "relayd.log"))
	if err != nil {
		t.Fatal(err)
	}
	r.log = log
	t.Cleanup(func() {
		r.kill()
		if t.Failed() {
			t.Logf("relayd log (tail):\n%s", r.logTail(40))
		}
		log.Close()
	})
	return r
}

func (r *relayd) dataDir() string { return filepath.Join(r.dir, "data") }

// start runs relayd and waits until its ingress answers.
func (r *relayd) start() {
	r.t.Helper()
	r.cmd = exec.Command(filepath.Join(binDir, "relayd"), "run", "--config", filepath.Join(r.dir, "relayd.yaml"))
	r.cmd.Stderr = r.log
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	exited, cmd := make(chan struct{}), r.cmd
	r.exited = exited
	go func() { cmd.Wait(); close(exited) }()
	waitFor(r.t, "relayd ready", 30*time.Second, func() bool {
		select {
		case <-exited:
			r.t.Fatalf("relayd exited before it was ready: %s\n%s", cmd.ProcessState, r.logTail(20))
		default:
		}
		resp, err := http.Get("http://" + r.addr + "/_relay/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true // any answer: a store over its cap answers 503
	})
}

// kill sends SIGKILL and waits for the process to be gone.
func (r *relayd) kill() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	r.cmd.Process.Kill()
	<-r.exited
}

// waitExit waits up to limit for the process to exit and returns how long
// it took and its exit code; it fails the test when the limit passes.
func (r *relayd) waitExit(limit time.Duration) (time.Duration, int) {
	r.t.Helper()
	start := time.Now()
	select {
	case <-r.exited:
		return time.Since(start), r.cmd.ProcessState.ExitCode()
	case <-time.After(limit):
		r.t.Fatalf("relayd still running %s after the signal", limit)
		return 0, 0
	}
}

// rssKiB reads the daemon's resident set size from /proc.
func (r *relayd) rssKiB() int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", r.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// relayctl runs the real relayctl against this daemon and decodes its
// --json output into v.
func (r *relayd) relayctl(v any, args ...string) {
	r.t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "relayctl"), append([]string{"--socket", r.socket, "--json"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		r.t.Fatalf("relayctl %v: %v\n%s%s", args, err, out, stderr.String())
	}
	if err := json.Unmarshal(out, v); err != nil {
		r.t.Fatalf("relayctl %v: decode %q: %v", args, out, err)
	}
}

// storeBytes is the space the store's files take on disk (allocated
// blocks, as storage.max_disk counts them: Badger's files are sparse).
func (r *relayd) storeBytes() int64 {
	var n int64
	filepath.Walk(r.dataDir(), func(_ string, fi os.FileInfo, err error) error {
		if st, ok := fi.Sys().(*syscall.Stat_t); err == nil && ok && fi.Mode().IsRegular() {
			n += st.Blocks * 512
		}
		return nil
	})
	return n
}

func (r *relayd) logTail(n int) string {
	b, _ := os.ReadFile(r.log.Name())
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
