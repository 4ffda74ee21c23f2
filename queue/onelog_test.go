package queue

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/relayd/relayd/queue/internal/wal"
)

// churn makes every kind of durable change: enqueues (ordered and not,
// several destinations), outcomes of each result, a replay by state and by
// id, a purge, a pause with a reason and a resume, and a retention sweep.
func churn(t *testing.T, s *Store, round int) {
	t.Helper()
	var ids []string
	for i := 0; i < 12; i++ {
		m := msg("r", "a", "b")
		if i%3 == 0 {
			m.OrderingKey = "k"
		}
		m.Body = []byte(string(rune('a'+round)) + "-body")
		ids = append(ids, enqueue(t, s, m))
	}
	now := time.Now()
	for i, l := range leaseAll(t, s, "a", now.Add(time.Hour)) {
		switch i % 3 {
		case 0:
			complete(t, s, l, Delivered, time.Time{})
		case 1:
			complete(t, s, l, Dead, time.Time{})
		default:
			complete(t, s, l, Retry, now.Add(time.Minute))
		}
	}
	if _, err := s.Replay(Filter{Destination: "a", State: StateDead}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Replay(Filter{IDs: ids[:2]}, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, l := range leaseAll(t, s, "b", now.Add(time.Hour)) {
		complete(t, s, l, Delivered, time.Time{})
	}
	if _, err := s.Purge(Filter{Destination: "b", State: StateDelivered}); err != nil {
		t.Fatal(err)
	}
	if err := s.PauseFor("b", "gone"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPaused("c", true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPaused("c", false); err != nil {
		t.Fatal(err)
	}
	for _, l := range leaseAll(t, s, "a", now.Add(time.Hour)) {
		complete(t, s, l, Delivered, time.Time{})
	}
	if _, err := s.sweep(time.Now().Add(2 * time.Hour)); err != nil {
		t.Fatal(err)
	}
}

// A power cut can lose everything Badger wrote after its last sync, which
// is now only at a checkpoint; every write acknowledged since is in the
// journal. With Badger rolled back to a copy taken at a checkpoint and
// the journal kept, Open must come back to exactly the state of a store
// that never stopped: nothing acknowledged lost, nothing resurrected.
func TestBadgerRolledBackToACheckpointComesBackFromTheJournal(t *testing.T) {
	dir := t.TempDir()
	sync := func(o *Options) { o.Sync = true }
	s := openTest(t, dir, sync)
	churn(t, s, 0)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	checkpoint := t.TempDir()
	copyBadger(t, dir, checkpoint)
	// Open syncs Badger and releases every segment: a checkpoint.
	s = openTest(t, dir, sync)
	churn(t, s, 1)
	want := dumpState(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	lost := t.TempDir()
	copyBadger(t, checkpoint, lost)
	if got := dumpState(t, openTest(t, lost, nil)); got == want {
		t.Fatal("the checkpoint already holds the final state: the test proves nothing")
	}
	copyBadger(t, checkpoint, dir) // the power cut: Badger back at the checkpoint
	r := openTest(t, dir, sync)
	if d := diffState(want, dumpState(t, r)); d != "" {
		t.Fatalf("state after re-applying the journal differs from a store that never stopped: %s", d)
	}
	// And once applied, a second Open changes nothing more.
	r.Close()
	if d := diffState(want, dumpState(t, openTest(t, dir, nil))); d != "" {
		t.Fatalf("state after a second open: %s", d)
	}
}

// Every record kind applied a second time, to the state it produced,
// changes nothing: Open may re-apply a record Badger already holds in part.
func TestEveryRecordAppliedTwiceChangesNothing(t *testing.T) {
	setup := func(t *testing.T) (*Store, []string) {
		s := openTest(t, "", nil)
		var ids []string
		for i := 0; i < 4; i++ {
			m := msg("r", "a", "b")
			if i%2 == 0 {
				m.OrderingKey = "k"
			}
			ids = append(ids, enqueue(t, s, m))
		}
		return s, ids
	}
	cases := []struct {
		name string
		kind wal.Kind
		op   func(t *testing.T, s *Store, ids []string)
	}{
		{"enqueue", recEnqueue, func(t *testing.T, s *Store, _ []string) { enqueue(t, s, msg("r", "a")) }},
		{"outcome retry", recOutcome, func(t *testing.T, s *Store, _ []string) {
			complete(t, s, leaseAll(t, s, "a", time.Now())[0], Retry, time.Now().Add(time.Minute))
		}},
		{"outcome delivered", recOutcome, func(t *testing.T, s *Store, _ []string) {
			complete(t, s, leaseAll(t, s, "a", time.Now())[0], Delivered, time.Time{})
		}},
		{"replay", recReplay, func(t *testing.T, s *Store, ids []string) {
			for _, l := range leaseAll(t, s, "b", time.Now()) {
				complete(t, s, l, Dead, time.Time{})
			}
			if n, err := s.Replay(Filter{IDs: ids}, time.Now()); err != nil || n == 0 {
				t.Fatalf("replay: %d, %v", n, err)
			}
		}},
		{"purge", recPurge, func(t *testing.T, s *Store, _ []string) {
			for _, l := range leaseAll(t, s, "b", time.Now()) {
				complete(t, s, l, Delivered, time.Time{})
			}
			if n, err := s.Purge(Filter{State: StateDelivered}); err != nil || n == 0 {
				t.Fatalf("purge: %d, %v", n, err)
			}
		}},
		{"pause", recPause, func(t *testing.T, s *Store, _ []string) {
			if err := s.PauseFor("a", "gone"); err != nil {
				t.Fatal(err)
			}
		}},
		{"resume", recPause, func(t *testing.T, s *Store, _ []string) {
			if err := s.SetPaused("a", true); err != nil {
				t.Fatal(err)
			}
			if err := s.SetPaused("a", false); err != nil {
				t.Fatal(err)
			}
		}},
		{"expiry", recExpire, func(t *testing.T, s *Store, _ []string) {
			for _, dest := range []string{"a", "b"} {
				for _, l := range leaseAll(t, s, dest, time.Now()) {
					complete(t, s, l, Delivered, time.Time{})
				}
			}
			if n, err := s.sweep(time.Now().Add(2 * time.Hour)); err != nil || n == 0 {
				t.Fatalf("sweep: %d, %v", n, err)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, ids := setup(t)
			c.op(t, s, ids)
			rec := lastRecord(t, s, c.kind)
			before := dumpState(t, s)
			err := s.submit(context.Background(), 0, func(b *batch) error {
				b.applyRecord(rec.Kind, rec.Payload) // an answer (not found, stale) is no change
				return b.err
			})
			if err != nil {
				t.Fatal(err)
			}
			if d := diffState(before, dumpState(t, s)); d != "" {
				t.Fatalf("applied twice, the %s record changed the state: %s", c.name, d)
			}
		})
	}
}

// Every write returns once applied, as well as journaled: a read right
// after it sees it, from any goroutine.
func TestReadsSeeEveryWriteThatReturned(t *testing.T) {
	s := openTest(t, "", func(o *Options) { o.Sync = true })
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		dest := string(rune('a' + w))
		go func() {
			errs <- func() error {
				for i := 0; i < 20; i++ {
					if _, _, err := s.Enqueue(context.Background(), msg("r", dest)); err != nil {
						return err
					}
					ls, err := s.Lease(dest, time.Now(), 1)
					if err != nil || len(ls) != 1 {
						return errors.Join(err, errors.New("the enqueued delivery is not due"))
					}
					id := ls[0].Message.ID // an earlier one replayed, or the new one
					o := Outcome{Result: Dead, Attempt: Attempt{At: time.Now(), Status: 500}}
					if err := s.Complete(ls[0], o); err != nil {
						return err
					}
					_, ds, err := s.Get(id)
					if err != nil {
						return err
					}
					if len(ds) != 1 || ds[0].State != StateDead || ds[0].AttemptCount != ls[0].Attempt {
						return fmt.Errorf("the outcome is not read back: %+v", ds[0])
					}
					if n, err := s.Replay(Filter{IDs: []string{id}}, time.Now()); err != nil || n != 1 {
						return errors.Join(err, errors.New("replay"))
					}
					if _, ds, err := s.Get(id); err != nil || len(ds) != 1 || ds[0].State != StatePending {
						return errors.New("the replay is not read back")
					}
					if err := s.PauseFor(dest, "gone"); err != nil {
						return err
					}
					if s.PauseReasons()[dest] != "gone" {
						return errors.New("the pause is not read back")
					}
					if err := s.SetPaused(dest, false); err != nil {
						return err
					}
					if s.Paused()[dest] {
						return errors.New("the resume is not read back")
					}
				}
				return nil
			}()
		}()
	}
	for w := 0; w < 8; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// A batch too large for one Badger transaction commits in several; the
// counters each commit persists include the ones before it in the batch,
// so a reopened store counts what it holds.
func TestCountersPersistedAcrossTheCommitsOfOneBatch(t *testing.T) {
	dir := t.TempDir()
	small := func(o *Options) { o.memTableSize = 1 << 20 } // small transactions
	s := openTest(t, dir, small)
	const n = 600
	for i := 0; i < n; i++ {
		enqueue(t, s, msg("r", "d"))
	}
	for _, l := range leaseAll(t, s, "d", time.Now()) {
		complete(t, s, l, Delivered, time.Time{})
	}
	commits := 0
	err := s.submit(context.Background(), 0, func(b *batch) error {
		r := &targetsRec{now: time.Now(), state: StateDelivered}
		ts, err := s.targets(Filter{State: StateDelivered})
		r.targets = ts
		n := b.applyTargets(recPurge, r)
		commits = len(b.deltas) + 1
		if n != len(ts) {
			return errors.Join(err, fmt.Errorf("purged %d of %d", n, len(ts)))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if commits < 2 {
		t.Fatalf("the purge committed %d transactions: the test needs several", commits)
	}
	want := s.Counts()
	s.Close()
	if got := openTest(t, dir, small).Counts(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("counts after reopen %v, before %v", got, want)
	}
}
