package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func completionConfig(sinkAddr string) string {
	return `
server:
  listen: 127.0.0.1:0
` + fastRetry + `
destinations:
  - name: billing
    url: http://` + sinkAddr + `/billing
  - name: mailer
    url: http://` + sinkAddr + `/mailer
routes:
  - name: eq-callback
    path: /eq_callback
    methods: [POST]
    destinations: [billing, mailer]
`
}

// TestCompletionScriptsAndHook checks the three scripts parse in their
// shells, and that completing `relayctl pause ` offers the real relayd's
// destinations (never "help") and nothing, silently, once it is down.
func TestCompletionScriptsAndHook(t *testing.T) {
	scripts := completionScripts(t)
	sk := startSink(t, "127.0.0.1:0")
	r := newRelayd(t, completionConfig(sk.addr))
	r.start()
	id := r.accept("/eq_callback", "text/plain", "one").ID

	if got := completeHook(t, "--socket", r.socket, "pause", ""); !slices.Equal(got, []string{"billing", "mailer"}) {
		t.Errorf("hook for pause: %q, want billing and mailer", got)
	}
	if got := completeHook(t, "--socket", r.socket, "show", ""); !slices.Equal(got, []string{id}) {
		t.Errorf("hook for show: %q, want [%s]", got, id)
	}
	if got := bashComplete(t, scripts["bash"], "--socket", r.socket, "pause", ""); !slices.Equal(got, []string{"billing", "mailer"}) {
		t.Errorf("bash COMPREPLY for pause: %q, want billing and mailer", got)
	}
	if got := bashComplete(t, scripts["bash"], "--socket", r.socket, "ls", "--dest", "=", "m"); !slices.Equal(got, []string{"mailer"}) {
		t.Errorf("bash COMPREPLY for ls --dest=m: %q, want mailer", got)
	}
	if got := fishComplete(t, scripts["fish"], "relayctl --socket "+r.socket+" pause "); got != nil &&
		!slices.Equal(got, []string{"billing", "mailer"}) {
		t.Errorf("fish completions for pause: %q, want billing and mailer", got)
	}

	r.signal(syscall.SIGTERM)
	if code := r.wait(); code != 0 {
		t.Fatalf("relayd exit %d", code)
	}
	if got := completeHook(t, "--socket", r.socket, "pause", ""); len(got) != 0 {
		t.Errorf("hook with relayd down: %q, want nothing", got)
	}
	if got := bashComplete(t, scripts["bash"], "--socket", r.socket, "pause", ""); len(got) != 0 {
		t.Errorf("bash COMPREPLY with relayd down: %q, want nothing", got)
	}
}

// completionScripts writes each shell's script to a file and checks its
// syntax with that shell, where it is installed.
func completionScripts(t *testing.T) map[string]string {
	t.Helper()
	check := map[string][]string{"bash": {"bash", "-n"}, "zsh": {"zsh", "-n"}, "fish": {"fish", "--no-execute"}}
	files := map[string]string{}
	for _, sh := range []string{"bash", "zsh", "fish"} {
		out, code := runRelayctl(t, "completion", sh)
		if code != 0 || out == "" {
			t.Fatalf("relayctl completion %s: exit %d, %d bytes", sh, code, len(out))
		}
		files[sh] = filepath.Join(t.TempDir(), "relayctl."+sh)
		if err := os.WriteFile(files[sh], []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := exec.LookPath(check[sh][0]); err != nil {
			t.Logf("%s not installed: its script's syntax is not checked", sh)
			continue
		}
		if b, err := exec.Command(check[sh][0], append(check[sh][1:], files[sh])...).CombinedOutput(); err != nil {
			t.Errorf("%s rejects relayctl completion %s: %v\n%s", sh, sh, err, b)
		}
	}
	return files
}

// completeHook runs the real relayctl's hook; it must exit 0 and write
// nothing on stderr whatever happens.
func completeHook(t *testing.T, words ...string) []string {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "relayctl"), append([]string{"__complete"}, words...)...)
	var errb strings.Builder
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil || errb.Len() > 0 {
		t.Fatalf("relayctl __complete %q: %v, stderr %q", words, err, errb.String())
	}
	return strings.Fields(string(out))
}

// bashComplete sources the bash script and calls its function as bash
// would for `relayctl WORDS…`, the last word the one being completed.
func bashComplete(t *testing.T, script string, words ...string) []string {
	t.Helper()
	prog := `source "$1"; shift; COMP_WORDS=(relayctl "$@"); COMP_CWORD=$#; _relayctl; printf '%s\n' "${COMPREPLY[@]}"`
	cmd := exec.Command("bash", append([]string{"-c", prog, "bash", script}, words...)...)
	cmd.Env = append(os.Environ(), "PATH="+binDir+":"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash completion of %q: %v\n%s", words, err, out)
	}
	return strings.Fields(string(out))
}

// fishComplete asks fish (when installed) what it completes line with;
// nil when fish is not installed.
func fishComplete(t *testing.T, script, line string) []string {
	t.Helper()
	if _, err := exec.LookPath("fish"); err != nil {
		return nil
	}
	cmd := exec.Command("fish", "--no-config", "-c", `source $argv[1]; complete -C $argv[2]`, script, line)
	cmd.Env = append(os.Environ(), "PATH="+binDir+":"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("fish completion of %q: %v\n%s", line, err, out)
	}
	got := []string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if w, _, _ := strings.Cut(l, "\t"); w != "" {
			got = append(got, w)
		}
	}
	return got
}
