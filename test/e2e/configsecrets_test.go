package e2e

import (
	"bufio"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relayd/relayd/daemon/config"
)

// canaryDir holds config fixtures with a distinct CANARY-… secret in every
// credential key and ${...} value (see daemon/config/canary_test.go).
const canaryDir = "../../daemon/config/testdata/canary"

// canaryEnv returns the environment of the fixtures (their env file and
// CREDENTIALS_DIRECTORY) and sets it in this process too, so that
// config.Load gives the problems the binaries must print.
func canaryEnv(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(canaryDir, "env"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	creds, err := filepath.Abs(filepath.Join(canaryDir, "creds"))
	if err != nil {
		t.Fatal(err)
	}
	vars := []string{"CREDENTIALS_DIRECTORY=" + creds}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "=") {
			vars = append(vars, sc.Text())
		}
	}
	for _, kv := range vars {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	return append(os.Environ(), vars...)
}

// TestConfigChecksShowNoSecret runs `relayd check` and `relayctl config
// check` on configs full of canary secrets: both exit 1 and print every
// problem (path, message, line) as config.Load reports it, and no canary.
func TestConfigChecksShowNoSecret(t *testing.T) {
	env := canaryEnv(t)
	files, _ := filepath.Glob(filepath.Join(canaryDir, "*.yaml"))
	if len(files) < 4 {
		t.Fatalf("only %d canary fixtures", len(files))
	}
	for _, file := range files {
		_, lerr := config.Load(file)
		if lerr == nil {
			t.Fatalf("%s loads without a problem", file)
		}
		want := []string{lerr.Error()}
		var ps *config.Problems
		if errors.As(lerr, &ps) {
			want = want[:0]
			for _, p := range *ps {
				want = append(want, p.String())
			}
		}
		for _, args := range [][]string{
			{filepath.Join(binDir, "relayd"), "check", "--config", file},
			{filepath.Join(binDir, "relayctl"), "config", "check", file},
		} {
			t.Run(filepath.Base(file)+"/"+filepath.Base(args[0]), func(t *testing.T) {
				cmd := exec.Command(args[0], args[1:]...)
				cmd.Env = env
				var out, errb strings.Builder
				cmd.Stdout, cmd.Stderr = &out, &errb
				err := cmd.Run()
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != 1 {
					t.Fatalf("exit %v, want 1\nstdout: %s\nstderr: %s", err, out.String(), errb.String())
				}
				all := out.String() + errb.String()
				for _, w := range want {
					if !strings.Contains(all, w) {
						t.Errorf("output lacks %q:\n%s", w, all)
					}
				}
				if strings.Contains(all, "CANARY") {
					t.Errorf("output shows a canary secret:\n%s", all)
				}
				for _, line := range strings.Split(all, "\n") {
					if strings.TrimSpace(line) == filepath.Base(args[0])+":" {
						t.Errorf("a bare %q line:\n%s", line, all)
					}
				}
			})
		}
	}
}

// postToken posts to path with the X-Token header and returns the status.
func (r *relayd) postToken(path, token string) int {
	r.t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.url(path), strings.NewReader("x"))
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("X-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatalf("POST %s: %v", path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// writeSecret writes a secret file as an editor does, with a newline.
func writeSecret(t *testing.T, path, secret string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// tokenFromFileConfig is a route whose token is read from files.
func tokenFromFileConfig(sinkAddr, token string) string {
	return `
server:
  listen: 127.0.0.1:0
` + fastRetry + `
destinations:
  - name: billing
    url: http://` + sinkAddr + `/billing
routes:
  - name: hook
    path: /hook
    auth:
      token:
        header: X-Token
` + token + `
    destinations: [billing]
`
}

// TestReloadRotatesTokenFromFile: the token is read from a file; rewriting
// the file and running `relayctl reload` swaps it, and a refused reload
// (the file gone) keeps the running one without showing it.
func TestReloadRotatesTokenFromFile(t *testing.T) {
	sk := startSink(t, "127.0.0.1:0")
	r := newRelayd(t, tokenFromFileConfig(sk.addr, `        value: "${file:{{dir}}/token}"`))
	secret := filepath.Join(r.dir, "token")
	writeSecret(t, secret, "CANARY-old-token")
	r.start()
	if got := r.postToken("/hook", "CANARY-old-token"); got != http.StatusAccepted {
		t.Fatalf("old token before rotation: %d, want 202", got)
	}

	writeSecret(t, secret, "CANARY-new-token")
	if out, code := r.relayctl("reload"); code != 0 {
		t.Fatalf("reload: exit %d %s", code, out)
	}
	if got := r.postToken("/hook", "CANARY-old-token"); got != http.StatusUnauthorized {
		t.Fatalf("old token after rotation: %d, want 401", got)
	}
	if got := r.postToken("/hook", "CANARY-new-token"); got != http.StatusAccepted {
		t.Fatalf("new token after rotation: %d, want 202", got)
	}

	os.Remove(secret)
	out, code := r.relayctl("--json", "reload")
	if code != 1 || !strings.Contains(out, "routes[0].auth.token.value: read ${file:"+secret+"}: no such file") {
		t.Fatalf("reload without the file: exit %d %s", code, out)
	}
	if got := r.postToken("/hook", "CANARY-new-token"); got != http.StatusAccepted {
		t.Fatalf("running token after a refused reload: %d, want 202", got)
	}
	waitFor(t, "the 3 accepted messages delivered", func() bool { return len(sk.requests()) == 3 })
	if strings.Contains(r.Logs(), "CANARY") {
		t.Fatalf("relayd's log shows a token:\n%s", r.Logs())
	}
}

// TestReloadRotatesWithBothTokens: with the old and the new token listed
// together (value + values, each from a file) both are accepted, so a
// sender can switch without a refusal; dropping the old one then refuses it.
func TestReloadRotatesWithBothTokens(t *testing.T) {
	sk := startSink(t, "127.0.0.1:0")
	r := newRelayd(t, tokenFromFileConfig(sk.addr, `        value: "${file:{{dir}}/old}"`))
	writeSecret(t, filepath.Join(r.dir, "old"), "CANARY-old-token")
	writeSecret(t, filepath.Join(r.dir, "new"), "CANARY-new-token")
	r.start()

	r.writeConfig(tokenFromFileConfig(sk.addr, `        value: "${file:{{dir}}/old}"
        values: ["${file:{{dir}}/new}"]`))
	if out, code := r.relayctl("reload"); code != 0 {
		t.Fatalf("reload: exit %d %s", code, out)
	}
	if got := r.postToken("/hook", "CANARY-old-token"); got != http.StatusAccepted {
		t.Fatalf("old token while both are listed: %d, want 202", got)
	}
	if got := r.postToken("/hook", "CANARY-new-token"); got != http.StatusAccepted {
		t.Fatalf("new token while both are listed: %d, want 202", got)
	}

	r.writeConfig(tokenFromFileConfig(sk.addr, `        values: ["${file:{{dir}}/new}"]`))
	if out, code := r.relayctl("reload"); code != 0 {
		t.Fatalf("reload: exit %d %s", code, out)
	}
	if got := r.postToken("/hook", "CANARY-old-token"); got != http.StatusUnauthorized {
		t.Fatalf("old token once dropped: %d, want 401", got)
	}
	if got := r.postToken("/hook", "CANARY-new-token"); got != http.StatusAccepted {
		t.Fatalf("new token once alone: %d, want 202", got)
	}
}
