package e2e

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relayd/relayd/daemon/config"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/*.golden")

// mixedConfig breaks every kind of rule at once (daemon/config/check_test.go
// pins its problems one by one).
const mixedConfig = "../../daemon/config/testdata/check/mixed.yaml"

// mixedProblems returns the problems config.Load finds in mixedConfig, one
// line each as the binaries print them.
func mixedProblems(t *testing.T) []string {
	t.Helper()
	_, err := config.Load(mixedConfig)
	var ps *config.Problems
	if !errors.As(err, &ps) || len(*ps) != 15 {
		t.Fatalf("the mixed config gives %v, want 15 problems (daemon/config/check_test.go lists them)", err)
	}
	lines := make([]string, len(*ps))
	for i, p := range *ps {
		lines[i] = p.String()
	}
	return lines
}

// TestCheckPrintsEveryProblem runs the real `relayd check` and `relayctl
// config check` (text and --json) on a config with unknown keys, type
// errors and bad values: each exits 1, prints every problem with its path
// and line in the order of the file and nothing after them (no stray
// "relayd: " line), never the token's value; the whole output is golden.
func TestCheckPrintsEveryProblem(t *testing.T) {
	data, err := os.ReadFile(mixedConfig)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "relayd.yaml"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	problems := mixedProblems(t)
	for name, tc := range map[string]struct {
		args       []string
		stdout     bool // the report goes to stdout (else stderr)
		firstLine  string
		lastSuffix string
	}{
		"relayd_check":        {[]string{"relayd", "check", "--config", "relayd.yaml"}, false, "relayd.yaml: invalid (15 problems)", problems[len(problems)-1]},
		"relayctl_check":      {[]string{"relayctl", "config", "check", "relayd.yaml"}, false, "relayctl: relayd.yaml: invalid (15 problems)", problems[len(problems)-1]},
		"relayctl_check_json": {[]string{"relayctl", "--json", "config", "check", "relayd.yaml"}, true, `{"error":1,"error_message":"relayd.yaml: invalid (15 problems)\n`, `"message":"set exactly one of query and header"}]}`},
	} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(filepath.Join(binDir, tc.args[0]), tc.args[1:]...)
			cmd.Dir = dir
			var out, errb strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("exit %v, want 1\nstdout: %s\nstderr: %s", err, out.String(), errb.String())
			}
			report, other := errb.String(), out.String()
			if tc.stdout {
				report, other = other, report
			}
			if other != "" {
				t.Errorf("unexpected output on the other stream: %q", other)
			}
			lines := strings.Split(strings.TrimSuffix(report, "\n"), "\n")
			if !tc.stdout {
				if got := strings.Join(lines[1:], "\n"); got != strings.Join(problems, "\n") {
					t.Errorf("the problems are not all printed, in order, and nothing after them:\ngot:\n%s\nwant:\n%s", got, strings.Join(problems, "\n"))
				}
			}
			for _, p := range problems { // in JSON too, escaped
				if !strings.Contains(strings.ReplaceAll(report, `\"`, `"`), p) {
					t.Errorf("output lacks %q", p)
				}
			}
			if !strings.HasPrefix(report, tc.firstLine) || !strings.HasSuffix(strings.TrimSuffix(report, "\n"), tc.lastSuffix) {
				t.Errorf("output does not start with %q and end with %q:\n%s", tc.firstLine, tc.lastSuffix, report)
			}
			if strings.Contains(report, "CANARY") {
				t.Errorf("output shows the token:\n%s", report)
			}
			checkGolden(t, filepath.Join("testdata", "configcheck_"+name+".golden"), report)
		})
	}
}

// TestReloadReportsEveryProblem: `relayctl reload` of the same config is
// refused with every problem, and the running config is kept.
func TestReloadReportsEveryProblem(t *testing.T) {
	sk := startSink(t, "127.0.0.1:0")
	r := newRelayd(t, tokenFromFileConfig(sk.addr, `        value: good-token`))
	r.start()
	data, err := os.ReadFile(mixedConfig)
	if err != nil {
		t.Fatal(err)
	}
	r.writeConfig(string(data))
	out, code := r.relayctl("--json", "reload")
	if code != 1 {
		t.Fatalf("reload of a bad config: exit %d %s", code, out)
	}
	for _, p := range mixedProblems(t) {
		if !strings.Contains(strings.ReplaceAll(out, `\"`, `"`), p) {
			t.Errorf("reload's answer lacks %q:\n%s", p, out)
		}
	}
	if strings.Contains(out, "CANARY") || strings.Contains(r.Logs(), "CANARY") {
		t.Errorf("the token is shown:\n%s\n%s", out, r.Logs())
	}
	if got := r.postToken("/hook", "good-token"); got != 202 {
		t.Fatalf("the running config after a refused reload: %d, want 202", got)
	}
}

// checkGolden compares got with the golden file at path (-update rewrites it).
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}
