package pkg

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// scratchRoot is an empty dpkg database under a temporary root.
func scratchRoot(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("installing into a scratch root needs root (dpkg --root writes owners); CI runs as root")
	}
	root := t.TempDir()
	for _, d := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates", "etc"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "var/lib/dpkg/status"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// dpkg runs dpkg on root, scripts outside a chroot with $DPKG_ROOT set
// (the scratch root has no shell); the dependency on systemd is the
// host's, not the scratch root's.
func dpkg(t *testing.T, root string, args ...string) string {
	t.Helper()
	base := []string{"--root=" + root, "--force-not-root", "--force-script-chrootless", "--force-depends"}
	cmd := exec.Command("dpkg", append(base, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dpkg %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestInstallIntoScratchRoot installs the .deb as dpkg would on a host:
// the user and groups exist, the config is readable by group relayd and
// passes the installed relayd's check, the unit verifies, remove keeps
// the queue and config, purge says what it deletes and deletes it.
func TestInstallIntoScratchRoot(t *testing.T) {
	deb := buildDeb(t)
	root := scratchRoot(t)
	dpkg(t, root, "--install", deb)

	group := readFile(t, filepath.Join(root, "etc/group"))
	gid := regexp.MustCompile(`(?m)^relayd:x:([0-9]+):`).FindStringSubmatch(group)
	if gid == nil || !regexp.MustCompile(`(?m)^relayd-admin:x:[0-9]+:(.*,)?relayd(,.*)?$`).MatchString(group) {
		t.Fatalf("want group relayd and group relayd-admin with member relayd; /etc/group:\n%s", group)
	}
	if passwd := readFile(t, filepath.Join(root, "etc/passwd")); !regexp.MustCompile(`(?m)^relayd:x:[0-9]+:` + gid[1] + `:.*:/usr/sbin/nologin$`).MatchString(passwd) {
		t.Fatalf("want system user relayd in group relayd; /etc/passwd:\n%s", passwd)
	}
	conf := filepath.Join(root, "etc/relayd/relayd.yaml")
	checkOwner(t, conf, 0o640, 0, gid[1])
	checkOwner(t, filepath.Join(root, "etc/relayd/relayd.env"), 0o600, 0, "0")

	out := run(t, filepath.Join(root, "usr/bin/relayd"), "check", "--config", conf)
	if !strings.Contains(out, ": OK") {
		t.Errorf("relayd check on the installed config: %s", out)
	}
	verifyUnit(t, root)
	// Completions are what the installed relayctl prints: one source.
	for sh, file := range map[string]string{"bash": "usr/share/bash-completion/completions/relayctl",
		"zsh": "usr/share/zsh/vendor-completions/_relayctl", "fish": "usr/share/fish/vendor_completions.d/relayctl.fish"} {
		if got, want := readFile(t, filepath.Join(root, file)), run(t, filepath.Join(root, "usr/bin/relayctl"), "completion", sh); got != want {
			t.Errorf("/%s differs from relayctl completion %s", file, sh)
		}
	}

	// remove: the queue and the config stay.
	queued := filepath.Join(root, "var/lib/relayd/000001.vlog")
	if err := os.MkdirAll(filepath.Dir(queued), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(queued, []byte("queued"), 0o600); err != nil {
		t.Fatal(err)
	}
	dpkg(t, root, "--remove", "relayd")
	for _, kept := range []string{queued, conf} {
		if _, err := os.Stat(kept); err != nil {
			t.Errorf("after remove: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "usr/bin/relayd")); err == nil {
		t.Error("after remove: /usr/bin/relayd is still there")
	}

	// purge: says what it removes, removes it, keeps the user.
	out = dpkg(t, root, "--purge", "relayd")
	for _, dir := range []string{"/var/lib/relayd", "/etc/relayd"} {
		if !strings.Contains(out, "removing "+dir) {
			t.Errorf("purge does not say it removes %s:\n%s", dir, out)
		}
		if _, err := os.Stat(filepath.Join(root, dir)); !os.IsNotExist(err) {
			t.Errorf("after purge, %s: %v (want it gone)", dir, err)
		}
	}
	if !strings.Contains(readFile(t, filepath.Join(root, "etc/passwd")), "relayd:x:") {
		t.Error("purge removed user relayd; it is kept")
	}
}

// verifyUnit runs systemd-analyze verify on the installed unit with its
// /usr/bin paths pointed into the scratch root, so that the binaries it
// checks for are the installed ones.
func verifyUnit(t *testing.T, root string) {
	t.Helper()
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Log("systemd-analyze not found (Debian package systemd): unit not verified")
		return
	}
	unit := readFile(t, filepath.Join(root, "usr/lib/systemd/system/relayd.service"))
	doc := regexp.MustCompile(`(?m)^Documentation=file://(\S+)$`).FindStringSubmatch(unit)
	if doc == nil {
		t.Error("relayd.service has no Documentation=file://")
	} else if _, err := os.Stat(filepath.Join(root, doc[1])); err != nil {
		t.Errorf("Documentation= of relayd.service: %v", err)
	}
	dir := t.TempDir()
	unit = strings.ReplaceAll(unit, "=/usr/bin/", "="+root+"/usr/bin/")
	unit = strings.ReplaceAll(unit, "=-/usr/bin/", "=-"+root+"/usr/bin/")
	path := filepath.Join(dir, "relayd.service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("systemd-analyze", "verify", path)
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify relayd.service: %v\n%s", err, out)
	}
}

func checkOwner(t *testing.T, path string, mode os.FileMode, uid uint32, gid string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode().Perm() != mode || st.Uid != uid || strconv.FormatUint(uint64(st.Gid), 10) != gid {
		t.Errorf("%s: %v %d:%d, want %v %d:%s", path, fi.Mode().Perm(), st.Uid, st.Gid, mode, uid, gid)
	}
}
