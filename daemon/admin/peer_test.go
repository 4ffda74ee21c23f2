package admin_test

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/relayd/relayd/daemon/admin"
	"github.com/relayd/relayd/daemon/admin/admintest"
)

// syncBuffer is a log sink safe for the server's goroutines.
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

// The tests run as root: root may run every command, and each mutating
// one is logged once with the peer's uid and user name.
func TestPeerRootRunsAndIsLogged(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: the peer check is tested as root here and with other users in test/e2e")
	}
	var logs syncBuffer
	e := admintest.Start(t, admintest.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if _, err := e.Client.Status(bg); err != nil {
		t.Fatalf("status as root: %v", err)
	}
	if _, err := e.Client.Pause(bg, "billing"); err != nil {
		t.Fatalf("pause as root: %v", err)
	}
	lines := regexp.MustCompile(`(?m)^.*msg="admin command".*$`).FindAllString(logs.String(), -1)
	if len(lines) != 1 || !strings.Contains(lines[0], "command=pause uid=0 user=root status=200 destination=billing") {
		t.Fatalf("want one command line for pause, got %q in\n%s", lines, logs.String())
	}
}

// A connection whose peer cannot be read (here TCP) is refused: the check
// fails closed.
func TestPeerUnknownRefused(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.Server.Serve(ln)
	resp, err := http.Get("http://" + ln.Addr().String() + "/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "may not run status: cannot identify the admin socket's peer") {
		t.Fatalf("tcp peer: %d %s", resp.StatusCode, b)
	}
}

func TestListenGroupAndModes(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to chown the socket to another group")
	}
	dir := shortDir(t)
	sock := filepath.Join(dir, "run", "a.sock")
	ln, err := admin.Listen(sock, admin.Access{Group: "daemon"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o660 || gidOf(fi) != 1 {
		t.Fatalf("socket with admin.group: %v gid %d %v", fi.Mode(), gidOf(fi), err)
	}
	if di, err := os.Stat(filepath.Dir(sock)); err != nil || di.Mode().Perm() != 0o755 {
		t.Fatalf("parent with a group: %v %v", di.Mode(), err)
	}
	sock2 := filepath.Join(dir, "b.sock")
	ln2, err := admin.Listen(sock2, admin.Access{Group: "daemon", ReadonlyGroup: "adm"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln2.Close()
	if fi, err := os.Stat(sock2); err != nil || fi.Mode().Perm() != 0o666 || gidOf(fi) != 1 {
		t.Fatalf("socket with a read-only group too: %v gid %d %v", fi.Mode(), gidOf(fi), err)
	}
	if _, err := admin.Listen(filepath.Join(dir, "c.sock"), admin.Access{Group: "no-such-group-x9"}); err == nil ||
		!strings.Contains(err.Error(), `admin.group "no-such-group-x9"`) {
		t.Fatalf("missing group: %v", err)
	}
}

// gidOf is a file's group id.
func gidOf(fi os.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Gid)
	}
	return -1
}
