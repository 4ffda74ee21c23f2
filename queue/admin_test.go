package queue

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// listFixture enqueues 10 messages one second apart: even ones on route
// "even" to a and b, odd ones on route "odd" to a. Then on a: 0..2 are
// delivered, 3..4 dead.
func listFixture(t *testing.T) (*Store, []string, time.Time) {
	s := openTest(t, "", nil)
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	ids := make([]string, 10)
	for i := range ids {
		m := msg("odd", "a")
		if i%2 == 0 {
			m = msg("even", "a", "b")
		}
		m.ReceivedAt = base.Add(time.Duration(i) * time.Second)
		ids[i] = enqueue(t, s, m)
	}
	for _, l := range leaseAll(t, s, "a", time.Now()) {
		switch i := indexOf(ids, l.Message.ID); {
		case i <= 2:
			complete(t, s, l, Delivered, time.Time{})
		case i <= 4:
			complete(t, s, l, Dead, time.Time{})
		default:
			s.Release(l)
		}
	}
	return s, ids, base
}

func TestList(t *testing.T) {
	s, ids, base := listFixture(t)
	at := func(i int) time.Time { return base.Add(time.Duration(i) * time.Second) }
	rev := func(is ...int) []string {
		out := make([]string, len(is))
		for k, i := range is {
			out[k] = ids[i]
		}
		return out
	}
	cases := []struct {
		name string
		f    Filter
		want []string
	}{
		{"all", Filter{}, rev(9, 8, 7, 6, 5, 4, 3, 2, 1, 0)},
		{"limit", Filter{Limit: 3}, rev(9, 8, 7)},
		{"page", Filter{Limit: 3, Before: at(7)}, rev(6, 5, 4)},
		{"since", Filter{Since: at(7)}, rev(9, 8, 7)},
		{"route", Filter{Route: "even"}, rev(8, 6, 4, 2, 0)},
		{"dest", Filter{Destination: "b"}, rev(8, 6, 4, 2, 0)},
		{"state dead", Filter{State: StateDead}, rev(4, 3)},
		{"dest+state", Filter{Destination: "a", State: StateDelivered}, rev(2, 1, 0)},
		{"pending any dest", Filter{State: StatePending, Limit: 4}, rev(9, 8, 7, 6)},
		{"pending on a", Filter{Destination: "a", State: StatePending}, rev(9, 8, 7, 6, 5)},
		{"route+state", Filter{Route: "odd", State: StateDead}, rev(3)},
		{"dest+state paged", Filter{Destination: "b", State: StatePending, Before: at(6), Limit: 2}, rev(4, 2)},
		{"ids", Filter{IDs: []string{ids[1], ids[5], "nope", ids[1]}}, rev(5, 1)},
		{"ids+state", Filter{IDs: []string{ids[1], ids[5]}, State: StateDelivered}, rev(1)},
		{"none", Filter{Destination: "zzz"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.List(tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var gotIDs []string
			for _, sum := range got {
				if sum.Message.Body != nil {
					t.Fatal("summary has a body")
				}
				gotIDs = append(gotIDs, sum.Message.ID)
			}
			if err := sameIDs(gotIDs, tc.want); err != nil {
				t.Fatal(err)
			}
		})
	}
	ls := leaseAll(t, s, "a", time.Now())
	got, _ := s.List(Filter{State: StateDelivering})
	if len(got) != len(ls) || len(ls) != 5 {
		t.Fatalf("delivering: listed %d, leased %d", len(got), len(ls))
	}
	if err := s.SetPaused("b", true); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.List(Filter{State: StatePaused}); len(got) != 5 {
		t.Fatalf("paused: listed %d, want 5", len(got))
	}
}

func TestReplay(t *testing.T) {
	s, ids, _ := listFixture(t)
	inFlight := leaseAll(t, s, "a", time.Now()) // 5..9 on a
	now := time.Now()
	n, err := s.Replay(Filter{Destination: "a", State: StateDead}, now)
	if err != nil || n != 2 {
		t.Fatalf("replay dead: %d %v, want 2", n, err)
	}
	for _, i := range []int{3, 4} {
		d := deliveryOf(t, s, ids[i], "a")
		if d.State != StatePending || d.AttemptCount != 1 || !d.ScheduleStart.IsZero() || !d.NextAttemptAt.Equal(now) {
			t.Fatalf("replayed delivery: %+v", d)
		}
	}
	got := leaseAll(t, s, "a", now)
	if err := sameIDs(sortedIDs(leasedIDs(got)), sortedIDs([]string{ids[3], ids[4]})); err != nil {
		t.Fatalf("lease replayed: %v", err)
	}
	if got[0].Attempt != 2 {
		t.Fatalf("attempt %d, want 2", got[0].Attempt)
	}
	// In flight deliveries are left alone; the rest of a message is not.
	n, err = s.Replay(Filter{IDs: []string{ids[6]}}, now)
	if err != nil || n != 1 {
		t.Fatalf("replay by id with one delivery in flight: %d %v, want 1", n, err)
	}
	if c := s.Counts()["a"]; c.Delivering != int64(len(inFlight)+2) || c.Dead != 0 || c.Delivered != 3 {
		t.Fatalf("counts: %+v", c)
	}
}

func TestPurge(t *testing.T) {
	s, ids, _ := listFixture(t)
	if _, err := s.Purge(Filter{State: StatePending}); err == nil {
		t.Fatal("purge of pending accepted")
	}
	n, err := s.Purge(Filter{State: StateDead})
	if err != nil || n != 2 {
		t.Fatalf("purge dead: %d %v", n, err)
	}
	if _, _, err := s.Get(ids[3]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("message with only a dead delivery kept: %v", err)
	}
	_, ds, err := s.Get(ids[4])
	if err != nil || len(ds) != 1 || ds[0].Destination != "b" {
		t.Fatalf("message with a pending delivery left: %+v %v", ds, err)
	}
	n, err = s.Purge(Filter{State: StateDelivered, Destination: "a"})
	if err != nil || n != 3 {
		t.Fatalf("purge delivered: %d %v", n, err)
	}
	want := map[string]Counts{"a": {Pending: 5}, "b": {Pending: 5}}
	if got := s.Counts(); !equalCounts(got, want) {
		t.Fatalf("counts %+v, want %+v", got, want)
	}
	if got := leaseAll(t, s, "b", time.Now()); len(got) != 5 {
		t.Fatalf("pending on b after purge: %d", len(got))
	}
}

// TestCountsConsistent runs a random mixed workload and compares Counts
// with a recount of every delivery record.
func TestCountsConsistent(t *testing.T) {
	s := openTest(t, "", nil)
	dests := []string{"a", "b", "c"}
	rng := rand.New(rand.NewPCG(1, 2))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 60 {
				m := msg("r", dests[:1+(w+i)%3]...)
				if i%5 == 0 {
					m.OrderingKey = "k"
				}
				if i%7 == 0 {
					m.IdempotencyKey = "dup"
				}
				if _, _, err := s.Enqueue(context.Background(), m); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	for round := range 6 {
		for _, d := range dests {
			for _, l := range leaseAll(t, s, d, time.Now().Add(time.Hour)) {
				mu.Lock()
				r := rng.IntN(4)
				mu.Unlock()
				switch r {
				case 0:
					complete(t, s, l, Delivered, time.Time{})
				case 1:
					complete(t, s, l, Dead, time.Time{})
				case 2:
					complete(t, s, l, Retry, time.Now().Add(time.Minute))
				default:
					if round%2 == 0 {
						s.Release(l)
					}
				}
			}
		}
		if round == 3 {
			if _, err := s.Replay(Filter{State: StateDead, Destination: "a"}, time.Now()); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Purge(Filter{State: StateDelivered, Destination: "b"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got, want := s.Counts(), recount(t, s); !equalCounts(got, want) {
		t.Fatalf("counts %+v, recount %+v", got, want)
	}
}

// recount counts every delivery by state (in flight as delivering): the
// records, and the implicit deliveries of messages that have none.
func recount(t *testing.T, s *Store) map[string]Counts {
	out := map[string]Counts{}
	s.caughtUp()
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{pfxMessage}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			id := string(it.Item().Key()[1:])
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			m, err := decodeMessage(v, false)
			if err != nil {
				return err
			}
			for _, dest := range m.Destinations {
				dv, found, err := txnGet(txn, deliveryKey(id, dest))
				if err != nil {
					return err
				}
				d, ok, err := storedDelivery(id, dest, dv, found, m)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
				c := out[dest]
				switch {
				case s.leased(dest, id):
					c.Delivering++
				case d.State == StatePending:
					c.Pending++
				case d.State == StateRetrying:
					c.Retrying++
				case d.State == StateDead:
					c.Dead++
				case d.State == StateDelivered:
					c.Delivered++
				}
				out[dest] = c
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRetentionSweep(t *testing.T) {
	s := openTest(t, "", func(o *Options) { o.Retention = time.Hour })
	done := msg("r", "a", "b")
	done.IdempotencyKey = "once"
	doneID := enqueue(t, s, done)
	half := enqueue(t, s, msg("r", "a", "b"))
	for _, d := range []string{"a", "b"} {
		for _, l := range leaseAll(t, s, d, time.Now()) {
			if l.Message.ID == half && d == "b" {
				complete(t, s, l, Retry, time.Now().Add(time.Hour))
				continue
			}
			complete(t, s, l, Dead, time.Time{})
		}
	}
	if n, err := s.sweep(time.Now().Add(30 * time.Minute)); err != nil || n != 0 {
		t.Fatalf("sweep before retention: %d %v", n, err)
	}
	n, err := s.sweep(time.Now().Add(2 * time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("sweep: %d %v, want 1", n, err)
	}
	if _, _, err := s.Get(doneID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("expired message kept: %v", err)
	}
	if _, _, err := s.Get(half); err != nil {
		t.Fatalf("message with a retrying delivery swept: %v", err)
	}
	again := msg("r", "a")
	again.IdempotencyKey = "once"
	if id := enqueue(t, s, again); id == doneID {
		t.Fatal("idempotency key outlived retention")
	}
	want := map[string]Counts{"a": {Pending: 1, Dead: 1}, "b": {Retrying: 1}}
	if got := s.Counts(); !equalCounts(got, want) {
		t.Fatalf("counts %+v, want %+v", got, want)
	}
	// A replayed message is not swept while pending again.
	for _, l := range leaseAll(t, s, "b", time.Now().Add(time.Hour)) {
		complete(t, s, l, Delivered, time.Time{})
	}
	if n, err := s.Replay(Filter{IDs: []string{half}, Destination: "a"}, time.Now()); err != nil || n != 1 {
		t.Fatalf("replay: %d %v", n, err)
	}
	if n, err := s.sweep(time.Now().Add(3 * time.Hour)); err != nil || n != 0 {
		t.Fatalf("sweep after replay: %d %v", n, err)
	}
}

func indexOf(ids []string, id string) int {
	for i, x := range ids {
		if x == id {
			return i
		}
	}
	return -1
}
