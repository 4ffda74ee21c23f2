package admin_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relayd/relayd/daemon/admin"
)

func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ra")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func TestListenModesAndParentDir(t *testing.T) {
	sock := filepath.Join(shortDir(t), "run", "a.sock")
	ln, err := admin.Listen(sock, admin.Access{})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o660 {
		t.Fatalf("socket mode: %v %v", fi.Mode(), err)
	}
	di, err := os.Stat(filepath.Dir(sock))
	if err != nil || di.Mode().Perm() != 0o750 {
		t.Fatalf("parent mode: %v %v", di.Mode(), err)
	}
}

func TestListenReplacesStaleSocket(t *testing.T) {
	sock := filepath.Join(shortDir(t), "a.sock")
	// A socket file nobody listens on, as a killed relayd leaves it.
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()
	if _, err := os.Stat(sock); err != nil {
		t.Fatalf("stale socket not left behind: %v", err)
	}
	ln, err := admin.Listen(sock, admin.Access{})
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	defer ln.Close()
	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatalf("new socket not answering: %v", err)
	}
	conn.Close()
}

func TestListenRefusesLiveSocketAndNonSocket(t *testing.T) {
	dir := shortDir(t)
	sock := filepath.Join(dir, "a.sock")
	live, err := admin.Listen(sock, admin.Access{})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if _, err := admin.Listen(sock, admin.Access{}); err == nil || !strings.Contains(err.Error(), "in use by another relayd") {
		t.Fatalf("second Listen: %v", err)
	}
	if conn, err := net.Dial("unix", sock); err != nil {
		t.Fatalf("live socket was removed: %v", err)
	} else {
		conn.Close()
	}
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("x"), 0o600)
	if _, err := admin.Listen(file, admin.Access{}); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("regular file: %v", err)
	}
	if b, _ := os.ReadFile(file); string(b) != "x" {
		t.Fatal("regular file replaced")
	}
}
