package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"syscall"
	"testing"
)

// TestQueueMovedToAnotherDirectoryKeepsIDs follows docs/OPERATIONS.md
// ("Move a queue to another host"): stop relayd, copy the whole state
// directory with tar, start a relayd on the copy. Every queued message is
// listed under its id and delivered with that id as X-Relay-Id.
func TestQueueMovedToAnotherDirectoryKeepsIDs(t *testing.T) {
	sinkAddr := reservePort(t) // down until the move is done
	old := newRelayd(t, eqCallbackConfig(sinkAddr))
	old.start()
	const n = 20
	want := map[string]bool{}
	for i := 0; i < n; i++ {
		status, body := old.post("/eq_callback", "application/x-www-form-urlencoded", fmt.Sprintf("action=reinstall&key=m%031d&status=deploy_done", i))
		want[mustAccept(t, status, body).ID] = true
	}
	old.signal(syscall.SIGTERM)
	if code := old.wait(); code != 0 {
		t.Fatalf("SIGTERM: exit code %d, want 0", code)
	}

	moved := newRelayd(t, eqCallbackConfig(sinkAddr))
	copyState := exec.Command("sh", "-c", `tar -C "$1" -cpf - data | tar -C "$2" -xpf -`, "sh", old.dir, moved.dir)
	if out, err := copyState.CombinedOutput(); err != nil {
		t.Fatalf("tar the state directory: %v\n%s", err, out)
	}
	moved.start()

	out, code := moved.relayctl("--json", "ls", "--limit", "100")
	if code != 0 {
		t.Fatalf("relayctl ls: exit %d", code)
	}
	var ls struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	if err := json.Unmarshal([]byte(out), &ls); err != nil {
		t.Fatalf("relayctl ls --json: %v\n%s", err, out)
	}
	listed := map[string]bool{}
	for _, m := range ls.Messages {
		listed[m.ID] = true
	}
	for id := range want {
		if !listed[id] {
			t.Errorf("message %s not listed after the move", id)
		}
	}

	sk := startSink(t, sinkAddr)
	waitFor(t, "every moved message delivered under its id", func() bool {
		got := sk.ids()
		for id := range want {
			if got[id] == 0 {
				return false
			}
		}
		return true
	})
}
