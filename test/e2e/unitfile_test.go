package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const unitDir = "../../systemd"

// maxExposure is the highest `systemd-analyze security` rating the unit may
// get. The issue asked for 1.0; on systemd 252 that needs PrivateUsers=yes,
// which maps admin.group and every admin-socket peer to nobody (see the
// unit's comment), so 1.2 is what relayd can have with its access model.
const maxExposure = 1.2

// acceptedExposures are the only checks the unit may fail, each for what
// relayd is. A new failing check (a hardening line removed) fails the test
// even when the rounded total does not move.
var acceptedExposures = map[string]string{
	"SystemCallFilter=~@privileged":            "chown gives the admin socket to admin.group",
	"RootDirectory=/RootImage=":                "the binaries, config and CA bundle live in the host's tree",
	"RestrictAddressFamilies=~AF_UNIX":         "the admin socket and sd_notify",
	"RestrictAddressFamilies=~AF_(INET|INET6)": "ingress and delivery",
	"PrivateNetwork=":                          "ingress and delivery",
	"PrivateUsers=":                            "admin.group and the peer check need the host's ids",
	"DeviceAllow=":                             "ProtectClock= adds char-rtc:r on systemd 252",
	"IPAddressDeny=":                           "loopback is allowed; drop-ins add the rest",
}

// systemdAnalyze runs systemd-analyze, skipping the test where it is absent.
func systemdAnalyze(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	path, lookErr := exec.LookPath("systemd-analyze")
	if lookErr != nil {
		t.Skip("systemd-analyze not installed (Debian package systemd; .ci/run installs it)")
	}
	var out, errOut bytes.Buffer
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

var overallRE = regexp.MustCompile(`Overall exposure level for \S+: (\d+\.\d)`)

// TestUnitSecurityExposure rates systemd/relayd.service offline: the total
// stays at or under maxExposure and no check fails but the accepted ones.
func TestUnitSecurityExposure(t *testing.T) {
	unit := filepath.Join(unitDir, "relayd.service")
	out, errOut, err := systemdAnalyze(t, "security", "--offline=true", unit)
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, errOut)
	}
	m := overallRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no overall exposure level in:\n%s", out)
	}
	if got, _ := strconv.ParseFloat(m[1], 64); got > maxExposure {
		t.Errorf("exposure %s, want at most %.1f:\n%s", m[1], maxExposure, out)
	}

	js, errOut, err := systemdAnalyze(t, "security", "--offline=true", "--json=short", unit)
	if err != nil {
		t.Fatalf("systemd-analyze security --json: %v\n%s", err, errOut)
	}
	var checks []struct {
		Name        string  `json:"name"`
		Description string  `json:"description"`
		Exposure    *string `json:"exposure"`
	}
	if err := json.Unmarshal([]byte(js), &checks); err != nil || len(checks) == 0 {
		t.Fatalf("parse systemd-analyze's JSON (%d checks): %v\n%s", len(checks), err, js)
	}
	for _, c := range checks {
		if c.Exposure == nil {
			continue
		}
		if _, ok := acceptedExposures[c.Name]; !ok {
			t.Errorf("%s fails: %s (exposure %s)", c.Name, c.Description, *c.Exposure)
		}
	}
}

// unitCopy writes systemd/relayd.service and relayd.socket into a scratch
// directory with /usr/bin/ rewritten to the test-built binaries, which
// verify needs to exist, and the example drop-ins in relayd.service.d/.
func unitCopy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"relayd.service", "relayd.socket"} {
		data, err := os.ReadFile(filepath.Join(unitDir, name))
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(data), "=/usr/bin/", "="+binDir+"/")
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dropins := filepath.Join(dir, "relayd.service.d")
	if err := os.Mkdir(dropins, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"limits.conf", "network.conf"} {
		data, err := os.ReadFile(filepath.Join(unitDir, "examples", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dropins, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestUnitVerify runs systemd-analyze verify on the unit, its socket and
// the example drop-ins: verify exits 0 on a line it ignores, so any output
// at all (an unknown key, a bad address in a drop-in) is a failure.
func TestUnitVerify(t *testing.T) {
	dir := unitCopy(t)
	out, errOut, err := systemdAnalyze(t, "verify",
		filepath.Join(dir, "relayd.service"), filepath.Join(dir, "relayd.socket"))
	if err != nil || strings.TrimSpace(out+errOut) != "" {
		t.Fatalf("systemd-analyze verify: %v\n%s%s", err, out, errOut)
	}
}

// unitExec returns the arguments of the unit's key= line (ExecStart...).
func unitExec(t *testing.T, key string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(unitDir, "relayd.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, key+"="); ok {
			return strings.Fields(v)
		}
	}
	t.Fatalf("relayd.service has no %s=", key)
	return nil
}

// flagValue returns the argument after flag in args.
func flagValue(t *testing.T, args []string, flag string) string {
	t.Helper()
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
	}
	t.Fatalf("%v has no %s", args, flag)
	return ""
}

// TestUnitReloadFailsOnRefusedConfig runs the unit's ExecReload command
// line against a running relayd: it exits 0 for a good config and 1, naming
// the problem, for one relayd refuses, so `systemctl reload` fails visibly.
// Its socket is the production config's admin.socket.
func TestUnitReloadFailsOnRefusedConfig(t *testing.T) {
	args := unitExec(t, "ExecReload")
	if args[0] != "/usr/bin/relayctl" || args[len(args)-1] != "reload" {
		t.Fatalf("ExecReload=%s, want /usr/bin/relayctl ... reload", strings.Join(args, " "))
	}
	if start := unitExec(t, "ExecStart"); start[0] != "/usr/bin/relayd" || flagValue(t, start, "--config") != "/etc/relayd/relayd.yaml" {
		t.Errorf("ExecStart=%s, want /usr/bin/relayd run --config /etc/relayd/relayd.yaml", strings.Join(start, " "))
	}
	var prod struct {
		Admin struct{ Socket string } `yaml:"admin"`
	}
	data, err := os.ReadFile("../../configs/relayd.production.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &prod); err != nil {
		t.Fatal(err)
	}
	if sock := flagValue(t, args, "--socket"); sock != prod.Admin.Socket {
		t.Errorf("ExecReload uses socket %s, the production config's admin.socket is %s", sock, prod.Admin.Socket)
	}

	sk := startSink(t, "127.0.0.1:0")
	cfg := eqCallbackConfig(sk.addr)
	r := newRelayd(t, cfg)
	r.start()
	reload := func() (string, int) {
		cmdArgs := append([]string(nil), args[1:]...)
		for i := range cmdArgs {
			if cmdArgs[i] == prod.Admin.Socket {
				cmdArgs[i] = r.socket
			}
		}
		out, err := exec.Command(filepath.Join(binDir, "relayctl"), cmdArgs...).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		} else if err != nil {
			t.Fatalf("run relayctl: %v", err)
		}
		return string(out), 0
	}
	if out, code := reload(); code != 0 {
		t.Fatalf("reload of the running config: exit %d\n%s", code, out)
	}
	r.writeConfig(strings.Replace(cfg, "destinations: [billing]", "destinations: [nowhere]", 1))
	if out, code := reload(); code != 1 || !strings.Contains(out, "nowhere") {
		t.Fatalf("reload of a refused config: exit %d, want 1 naming the problem\n%s", code, out)
	}
}
