package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ctl runs the real relayctl against r with stdin and returns stdout,
// stderr and the exit code.
func ctl(t *testing.T, r *relayd, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "relayctl"), append([]string{"--socket", r.socket}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &out, &errb
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("relayctl %v: %v", args, err)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

// onPTY runs relayctl with a pseudo-terminal as stdin (util-linux script
// allocates it), typing answer; it returns everything the terminal showed.
func onPTY(t *testing.T, r *relayd, answer string, args ...string) (string, int) {
	t.Helper()
	script, err := exec.LookPath("script")
	if err != nil {
		t.Fatalf("script (util-linux) is needed for a pseudo-terminal: %v", err)
	}
	line := filepath.Join(binDir, "relayctl") + " --socket " + r.socket + " " + strings.Join(args, " ")
	cmd := exec.Command(script, "-qec", line, "/dev/null")
	cmd.Stdin = strings.NewReader(answer)
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("script: %v", err)
	}
	return strings.ReplaceAll(string(out), "\r\n", "\n"), cmd.ProcessState.ExitCode()
}

// deadOnBilling sends n callbacks that billing refuses with 400, and waits
// until all are dead.
func deadOnBilling(t *testing.T, r *relayd, sk *sink, n int) {
	t.Helper()
	sk.setStatus(http.StatusBadRequest)
	for i := range n {
		r.accept("/eq_callback", "text/plain", fmt.Sprint("cb ", i))
	}
	waitFor(t, fmt.Sprint(n, " dead"), func() bool {
		_, _, _, dead, _ := r.status().dest("billing")
		return dead == n
	})
}

// TestBulkDryRunAndConfirmation: dry runs change nothing; on a terminal,
// replaying 101 deliveries asks first, and "n" replays nothing while "y"
// replays them all; a script is not asked.
func TestBulkDryRunAndConfirmation(t *testing.T) {
	sk := startSink(t, "127.0.0.1:0")
	r := newRelayd(t, eqCallbackConfig(sk.addr))
	r.start()
	deadOnBilling(t, r, sk, 101)
	sk.setStatus(http.StatusOK)

	for _, args := range [][]string{{"replay", "--state", "dead", "--dry-run"}, {"purge", "--state", "dead", "--dest", "billing", "--dry-run"}} {
		out, errs, code := ctl(t, r, "", args...)
		if code != 0 || !strings.HasPrefix(out, "dry run: would "+args[0]+" 101 deliveries; nothing changed\n") || errs != "" {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errs)
		}
	}
	out, code := onPTY(t, r, "n\n", "replay", "--state", "dead")
	if code != 1 || !strings.Contains(out, "replay 101 deliveries? [y/N] ") || !strings.Contains(out, "nothing changed") {
		t.Fatalf("refused on a terminal: exit %d\n%s", code, out)
	}
	if _, _, _, dead, _ := r.status().dest("billing"); dead != 101 || len(sk.requests()) != 101 {
		t.Fatalf("after dry runs and a refusal: dead %d, requests %d (want 101, 101)", dead, len(sk.requests()))
	}
	if out, code = onPTY(t, r, "y\n", "replay", "--state", "dead"); code != 0 || !strings.Contains(out, "replayed 101 deliveries") {
		t.Fatalf("confirmed on a terminal: exit %d\n%s", code, out)
	}
	waitFor(t, "101 delivered", func() bool {
		_, _, _, _, delivered := r.status().dest("billing")
		return delivered == 101
	})
	// Not a terminal: a script is never asked.
	if out, errs, code := ctl(t, r, "", "purge", "--state", "delivered"); code != 0 || out != "purged 101 deliveries\n" || errs != "" {
		t.Fatalf("purge from a script: exit %d\n%s%s", code, out, errs)
	}
}
