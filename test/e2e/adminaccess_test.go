package e2e

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// localUser is a system user made for one test.
type localUser struct {
	name     string
	uid, gid uint32
	groups   []uint32
}

// addGroup and addUser create local accounts and remove them at cleanup.
func addGroup(t *testing.T, name string) {
	t.Helper()
	if out, err := exec.Command("groupadd", name).CombinedOutput(); err != nil {
		t.Fatalf("groupadd %s: %v %s", name, err, out)
	}
	t.Cleanup(func() { exec.Command("groupdel", name).Run() })
}

func addUser(t *testing.T, name, group string) localUser {
	t.Helper()
	args := []string{"-M", "-N", "-s", "/usr/sbin/nologin"}
	if group != "" {
		args = append(args, "-G", group)
	}
	if out, err := exec.Command("useradd", append(args, name)...).CombinedOutput(); err != nil {
		t.Fatalf("useradd %s: %v %s", name, err, out)
	}
	t.Cleanup(func() { exec.Command("userdel", name).Run() })
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	lu := localUser{name: name, uid: atou(t, u.Uid), gid: atou(t, u.Gid)}
	gids, _ := u.GroupIds()
	for _, g := range gids {
		lu.groups = append(lu.groups, atou(t, g))
	}
	return lu
}

func atou(t *testing.T, s string) uint32 {
	t.Helper()
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		t.Fatal(err)
	}
	return uint32(n)
}

// relayctlAs runs the real relayctl as u and returns stderr and exit code.
func (r *relayd) relayctlAs(u localUser, args ...string) (string, int) {
	r.t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "relayctl"), append([]string{"--socket", r.socket}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: u.uid, Gid: u.gid, Groups: u.groups}}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			r.t.Fatalf("relayctl %v as %s: %v", args, u.name, err)
		}
	}
	return errb.String(), cmd.ProcessState.ExitCode()
}

// The admin socket checks its peer: admin.group may run everything,
// admin.readonly_group only reads, anyone else nothing; every mutating
// command is logged once with uid and user. relayd, started with a umask
// of 0, keeps its store private all the same.
func TestAdminSocketPeerAccess(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to create local users (useradd) and run relayctl as them")
	}
	for _, tool := range []string{"useradd", "userdel", "groupadd", "groupdel"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s to create local users: %v", tool, err)
		}
	}
	n := os.Getpid() % 100000
	adminGroup, roGroup := fmt.Sprintf("rdadm%d", n), fmt.Sprintf("rdro%d", n)
	addGroup(t, adminGroup)
	addGroup(t, roGroup)
	op := addUser(t, fmt.Sprintf("rdop%d", n), adminGroup)
	reader := addUser(t, fmt.Sprintf("rdrd%d", n), roGroup)
	stranger := addUser(t, fmt.Sprintf("rdst%d", n), "")
	// The test users must reach relayctl and the socket.
	if err := os.Chmod(binDir, 0o755); err != nil {
		t.Fatal(err)
	}

	sk := startSink(t, "127.0.0.1:0")
	r := newRelayd(t, eqCallbackConfig(sk.addr)+fmt.Sprintf(`
admin:
  socket: {{socket}}
  group: %s
  readonly_group: %s
`, adminGroup, roGroup))
	if err := os.Chmod(r.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	old := syscall.Umask(0) // relayd inherits it; it must not matter
	r.start()
	syscall.Umask(old)
	r.accept("/eq_callback", "text/plain", "one")

	for _, cmd := range [][]string{{"status"}, {"ls"}, {"destinations"}} {
		if out, code := r.relayctlAs(reader, cmd...); code != 0 {
			t.Errorf("read-only user: %v: exit %d %s", cmd, code, out)
		}
	}
	out, code := r.relayctlAs(reader, "pause", "billing")
	want := fmt.Sprintf("uid %d (%s) may not run pause: not root, not relayd's user, not in group %s (group %s may only read)",
		reader.uid, reader.name, adminGroup, roGroup)
	if code != 1 || !strings.Contains(out, want) {
		t.Errorf("read-only user pause: exit %d %q, want exit 1 and %q", code, out, want)
	}
	out, code = r.relayctlAs(stranger, "status")
	want = fmt.Sprintf("uid %d (%s) may not run status: not root, not relayd's user, not in group %s", stranger.uid, stranger.name, adminGroup)
	if code != 1 || !strings.Contains(out, want) {
		t.Errorf("unlisted user status: exit %d %q, want exit 1 and %q", code, out, want)
	}
	if out, code := r.relayctlAs(op, "pause", "billing"); code != 0 {
		t.Fatalf("admin user pause: exit %d %s", code, out)
	}
	if state, _, _, _, _ := r.status().dest("billing"); state != "paused" {
		t.Errorf("billing is %q after the admin user's pause", state)
	}

	lines := regexp.MustCompile(`(?m)^.*msg="admin command".*$`).FindAllString(r.Logs(), -1)
	wantLine := fmt.Sprintf("command=pause uid=%d user=%s status=200", op.uid, op.name)
	if len(lines) != 1 || !strings.Contains(lines[0], wantLine) {
		t.Errorf("want one admin command line with %q, got %q", wantLine, lines)
	}
	// A clean stop writes Badger's memtable into a new table file: a file
	// created long after the store was opened is private too.
	r.signal(syscall.SIGTERM)
	if code := r.wait(); code != 0 {
		t.Fatalf("relayd exit %d", code)
	}
	checkPrivate(t, filepath.Join(r.dir, "data"))
}

// checkPrivate fails unless every directory under dir is 0700 and every
// file 0600.
func checkPrivate(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		info, err := d.Info()
		if err != nil {
			return nil // removed meanwhile (a rotated file)
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, info.Mode().Perm(), want)
		}
		return nil
	})
}
