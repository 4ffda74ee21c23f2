package queue

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// crashChildEnv, when set, makes the test binary a child that writes to
// the store in that directory until it is killed (crashChild).
const crashChildEnv = "RELAYD_QUEUE_CRASH_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

// crashChild enqueues, leases and completes (retry, delivered, dead) in a
// loop, with segments small enough to checkpoint every few groups, and
// prints a line for every write once it has returned: what it
// acknowledged. It runs until it is killed.
func crashChild(dir string) {
	s, err := Open(Options{Dir: dir, Sync: true, Retention: time.Hour, GCInterval: time.Hour, journalSeg: 16 << 10})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("ready")
	// Four enqueuers keep acknowledged records ahead of the writer (an
	// Enqueue returns at its journal sync, before Badger has it).
	for w := 0; w < 4; w++ {
		go func() {
			for i := 0; ; i++ {
				m := msg("r", "a")
				m.Body = []byte(strings.Repeat("b", (i*7+w)%300))
				id, _, err := s.Enqueue(context.Background(), m)
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				fmt.Printf("E %s\n", id)
			}
		}()
	}
	results := []Result{Retry, Delivered, Dead}
	for i := 0; ; i++ {
		ls, _ := s.Lease("a", time.Now(), 8)
		for k, l := range ls {
			r := results[(i+k)%3]
			// The status names the attempt: each is recorded once, in order.
			o := Outcome{Result: r, NextAttemptAt: time.Now(), Attempt: Attempt{At: time.Now(), Status: 100 + l.Attempt}}
			if err := s.Complete(l, o); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			fmt.Printf("C %s %d %s\n", l.Message.ID, l.Attempt, map[Result]State{Retry: StateRetrying,
				Delivered: StateDelivered, Dead: StateDead}[r])
		}
	}
}

// outcomeAck is the last outcome acknowledged for a delivery.
type outcomeAck struct {
	attempt int
	state   State
}

// A process killed at any point (in a group commit, an apply, a checkpoint
// or the segment release after it) comes back, again and again, with every
// write it acknowledged and counts that match its deliveries.
func TestKilledAnywhereComesBackWithEveryAcknowledgedWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes")
	}
	dir := t.TempDir()
	enqueued := map[string]bool{}
	outcomes := map[string]outcomeAck{}
	for round := 0; round < 5; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		if !lines.Scan() || lines.Text() != "ready" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("round %d: the child did not start: %q", round, lines.Text())
		}
		kill := time.AfterFunc(time.Duration(50+rand.IntN(300))*time.Millisecond, func() {
			cmd.Process.Signal(syscall.SIGKILL)
		})
		for lines.Scan() {
			f := strings.Fields(lines.Text())
			switch {
			case len(f) == 2 && f[0] == "E":
				enqueued[f[1]] = true
			case len(f) == 4 && f[0] == "C":
				n, _ := strconv.Atoi(f[2])
				outcomes[f[1]] = outcomeAck{n, State(f[3])}
			}
		}
		kill.Stop()
		if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
			t.Fatalf("round %d: the child ended by itself: %v", round, err)
		}
		checkAcknowledged(t, dir, round, enqueued, outcomes)
	}
	if len(enqueued) < 20 || len(outcomes) < 10 {
		t.Fatalf("only %d enqueues and %d outcomes acknowledged: the children did too little", len(enqueued), len(outcomes))
	}
}

// checkAcknowledged opens the store a killed child left and checks every
// acknowledged write against it, and its counts against its deliveries.
func checkAcknowledged(t *testing.T, dir string, round int, enqueued map[string]bool, outcomes map[string]outcomeAck) {
	t.Helper()
	s := openTest(t, dir, func(o *Options) { o.Sync = true })
	defer s.Close()
	for id := range enqueued {
		if _, _, err := s.Get(id); err != nil {
			t.Fatalf("round %d: acknowledged message %s: %v", round, id, err)
		}
	}
	for id, ack := range outcomes {
		d := deliveryOf(t, s, id, "a")
		for i, a := range d.Attempts {
			if a.Status != 100+i+1 {
				t.Fatalf("round %d: %s: attempt %d recorded with the status of attempt %d", round, id, i+1, a.Status-100)
			}
		}
		// A later attempt may have been applied without its answer.
		if d.AttemptCount < ack.attempt || (d.AttemptCount == ack.attempt && d.State != ack.state) {
			t.Fatalf("round %d: %s acknowledged attempt %d as %s, store has %d attempts, %s",
				round, id, ack.attempt, ack.state, d.AttemptCount, d.State)
		}
	}
	total := int64(0)
	c := s.Counts()["a"]
	for _, st := range []struct {
		state State
		n     int64
	}{{StatePending, c.Pending}, {StateRetrying, c.Retrying}, {StateDead, c.Dead}, {StateDelivered, c.Delivered}} {
		sums, err := s.List(Filter{Destination: "a", State: st.state, Limit: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(sums)) != st.n {
			t.Fatalf("round %d: counts say %d %s, the store holds %d", round, st.n, st.state, len(sums))
		}
		total += st.n
	}
	if total < int64(len(enqueued)) {
		t.Fatalf("round %d: %d deliveries counted, %d messages acknowledged", round, total, len(enqueued))
	}
}
