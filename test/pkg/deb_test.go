package pkg

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// entry is one line of `dpkg-deb --contents`: mode string and owner/group
// (by name, as a .deb stores them).
type entry struct{ mode, owner string }

// TestDebContents builds the .deb and checks every path the package
// promises, with its mode and owner, the conffiles and the scripts.
func TestDebContents(t *testing.T) {
	deb := buildDeb(t)
	contents := debContents(t, deb)
	want := map[string]entry{
		"/usr/bin/relayd":                                       {"-rwxr-xr-x", "root/root"},
		"/usr/bin/relayctl":                                     {"-rwxr-xr-x", "root/root"},
		"/usr/lib/systemd/system/relayd.service":                {"-rw-r--r--", "root/root"},
		"/usr/lib/systemd/system/relayd.socket":                 {"-rw-r--r--", "root/root"},
		"/usr/lib/sysusers.d/relayd.conf":                       {"-rw-r--r--", "root/root"},
		"/etc/relayd/relayd.yaml":                               {"-rw-r-----", "root/relayd"},
		"/etc/relayd/relayd.env":                                {"-rw-------", "root/root"},
		"/usr/share/bash-completion/completions/relayctl":       {"-rw-r--r--", "root/root"},
		"/usr/share/zsh/vendor-completions/_relayctl":           {"-rw-r--r--", "root/root"},
		"/usr/share/fish/vendor_completions.d/relayctl.fish":    {"-rw-r--r--", "root/root"},
		"/usr/share/man/man8/relayd.8.gz":                       {"-rw-r--r--", "root/root"},
		"/usr/share/man/man1/relayctl.1.gz":                     {"-rw-r--r--", "root/root"},
		"/usr/share/man/man5/relayd.yaml.5.gz":                  {"-rw-r--r--", "root/root"},
		"/usr/share/doc/relayd/README.md":                       {"-rw-r--r--", "root/root"},
		"/usr/share/doc/relayd/DESIGN.md":                       {"-rw-r--r--", "root/root"},
		"/usr/share/doc/relayd/examples/relayd.production.yaml": {"-rw-r--r--", "root/root"},
	}
	for path, w := range want {
		got, ok := contents[path]
		if !ok {
			t.Errorf("%s: not in the package", path)
		} else if got != w {
			t.Errorf("%s: %s %s, want %s %s", path, got.mode, got.owner, w.mode, w.owner)
		}
	}
	for path := range contents {
		if strings.HasPrefix(path, "/usr/local/") || strings.HasPrefix(path, "/var/") {
			t.Errorf("%s: a package owns nothing under /usr/local or /var", path)
		}
	}

	conffiles := strings.Fields(run(t, "dpkg-deb", "--info", deb, "conffiles"))
	sort.Strings(conffiles)
	if got, want := strings.Join(conffiles, " "), "/etc/relayd/relayd.env /etc/relayd/relayd.yaml"; got != want {
		t.Errorf("conffiles %q, want %q", got, want)
	}

	control := filepath.Join(t.TempDir(), "control")
	run(t, "dpkg-deb", "--control", deb, control)
	for _, script := range []string{"postinst", "prerm", "postrm"} {
		path := filepath.Join(control, script)
		fi, err := os.Stat(path)
		if err != nil {
			t.Errorf("maintainer script %s: %v", script, err)
			continue
		}
		if fi.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s: mode %v, not executable", script, fi.Mode())
		}
		run(t, "sh", "-n", path)
		body, _ := os.ReadFile(path)
		// Never started or enabled behind the admin's back.
		verb := regexp.MustCompile(`^\s*[^#]*systemctl(\s+--\S+)*\s+(start|enable|restart|reload|reload-or-restart)\b`)
		for _, line := range strings.Split(string(body), "\n") {
			if verb.MatchString(line) {
				t.Errorf("%s: %q; only try-restart (on upgrade), stop and daemon-reload are allowed", script, line)
			}
		}
	}
}

// TestDebFileName: dist/relayd_<Version>_<Architecture>.deb, a Debian
// version (no leading v, starts with a digit).
func TestDebFileName(t *testing.T) {
	deb := buildDeb(t)
	version := strings.TrimSpace(run(t, "dpkg-deb", "--field", deb, "Version"))
	arch := strings.TrimSpace(run(t, "dpkg-deb", "--field", deb, "Architecture"))
	if want := "relayd_" + version + "_" + arch + ".deb"; filepath.Base(deb) != want {
		t.Errorf("package file %s, want %s", filepath.Base(deb), want)
	}
	if !regexp.MustCompile(`^[0-9][A-Za-z0-9.+~]*$`).MatchString(version) {
		t.Errorf("Version %q is not a Debian upstream version", version)
	}
}

// debContents lists the package as path → mode and owner.
func debContents(t *testing.T, deb string) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	for _, line := range strings.Split(run(t, "dpkg-deb", "--contents", deb), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 {
			continue
		}
		path := strings.TrimPrefix(f[len(f)-1], ".")
		out[strings.TrimSuffix(path, "/")] = entry{f[0], f[1]}
	}
	return out
}
