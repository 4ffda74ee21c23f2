package e2e

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSystemdNotifyAndSocketActivation runs relayd as systemd would with
// Type=notify and relayd.socket: the ingress listener arrives as fd 3
// (LISTEN_FDS), and READY=1 / STOPPING=1 go to NOTIFY_SOCKET.
func TestSystemdNotifyAndSocketActivation(t *testing.T) {
	sk := startSink(t, "127.0.0.1:0")
	r := newRelayd(t, eqCallbackConfig(sk.addr))

	notifyPath := filepath.Join(r.dir, "notify.sock")
	notify, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: notifyPath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer notify.Close()
	states := make(chan string, 16)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := notify.Read(buf)
			if err != nil {
				close(states)
				return
			}
			states <- string(buf[:n])
		}
	}()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lnFile, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	ln.Close() // relayd owns the duplicate passed as fd 3

	// LISTEN_PID must be relayd's own pid: exec from a shell keeps it.
	cmd := exec.Command("sh", "-c", `LISTEN_PID=$$ exec "$0" run --config "$1"`,
		filepath.Join(binDir, "relayd"), r.config)
	cmd.Env = append(os.Environ(), "LISTEN_FDS=1", "NOTIFY_SOCKET="+notifyPath)
	cmd.ExtraFiles = []*os.File{lnFile}
	var logs strings.Builder
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lnFile.Close()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})

	expect := func(want string) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case s := <-states:
				if strings.Contains(s, want) {
					return
				}
			case <-deadline:
				t.Fatalf("no %s from relayd; logs:\n%s", want, logs.String())
			}
		}
	}
	expect("READY=1")

	// Callbacks arrive on the activated socket, not on server.listen.
	// A relayd that ignored fd 3 would leave this in the kernel's backlog.
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Post("http://"+ln.Addr().String()+"/eq_callback", "text/plain", strings.NewReader("activated"))
	if err != nil {
		t.Fatalf("post to the activated socket: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("activated socket answered %d", resp.StatusCode)
	}
	waitFor(t, "delivery", func() bool { return len(sk.requests()) == 1 })

	cmd.Process.Signal(syscall.SIGTERM)
	expect("STOPPING=1")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
	}
}
