package queue

import (
	"errors"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// keysWith counts the stored keys of one kind.
func keysWith(t *testing.T, s *Store, pfx byte) int {
	t.Helper()
	s.caughtUp() // Enqueue may return before Badger has the message
	n := 0
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{pfx}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The ingest path writes no delivery record or state-index entry for a
// message without an ordering key (the point of implicit deliveries); an
// ordered one still gets both.
func TestEnqueueWritesNoDeliveryRecordUntilTheFirstAttempt(t *testing.T) {
	s := openTest(t, "", nil)
	enqueue(t, s, msg("r", "a", "b"))
	if d, x := keysWith(t, s, pfxDelivery), keysWith(t, s, pfxStateIdx); d != 0 || x != 0 {
		t.Fatalf("%d delivery records, %d state-index entries after an unordered enqueue", d, x)
	}
	ordered := msg("r", "a")
	ordered.OrderingKey = "vm-1"
	enqueue(t, s, ordered)
	if d, x := keysWith(t, s, pfxDelivery), keysWith(t, s, pfxStateIdx); d != 1 || x != 1 {
		t.Fatalf("%d delivery records, %d state-index entries after an ordered enqueue", d, x)
	}
}

// An implicit delivery shows as pending since receipt; once retried it is
// recorded, and listed under its new state only. (TestList covers filters
// and paging over implicit deliveries.)
func TestImplicitDeliveryShowsAsPendingSinceReceipt(t *testing.T) {
	s := openTest(t, "", nil)
	at := time.Now().Add(-time.Minute)
	m := msg("r", "a", "b")
	m.ReceivedAt = at
	id := enqueue(t, s, m)
	d := deliveryOf(t, s, id, "a")
	if d.State != StatePending || d.AttemptCount != 0 || !d.NextAttemptAt.Equal(at) || !d.ScheduleStart.IsZero() {
		t.Fatalf("implicit delivery shown as %+v", d)
	}
	ls := leaseAll(t, s, "b", time.Now())
	if len(ls) != 1 {
		t.Fatalf("%d leases", len(ls))
	}
	complete(t, s, ls[0], Retry, time.Now().Add(time.Hour))
	for st, want := range map[State]int{StatePending: 0, StateRetrying: 1} {
		got, err := s.List(Filter{Destination: "b", State: st})
		if err != nil || len(got) != want {
			t.Fatalf("list %s to b: %d messages (%v), want %d", st, len(got), err, want)
		}
	}
}

// Purging a delivered delivery while its sibling is still pending (with no
// record) must not make the sibling look gone or done: it stays pending,
// keeps the message from expiring, and is delivered after.
func TestPurgeKeepsAnImplicitSiblingPending(t *testing.T) {
	s := openTest(t, "", func(o *Options) { o.Retention = time.Hour })
	id := enqueue(t, s, msg("r", "a", "b"))
	for _, l := range leaseAll(t, s, "a", time.Now()) {
		complete(t, s, l, Delivered, time.Time{})
	}
	if n, err := s.Purge(Filter{State: StateDelivered}); err != nil || n != 1 {
		t.Fatalf("purge: %d, %v", n, err)
	}
	_, ds, err := s.Get(id)
	if err != nil || len(ds) != 1 || ds[0].Destination != "b" || ds[0].State != StatePending {
		t.Fatalf("after purging a: %v, %+v", err, ds)
	}
	if n, err := s.sweep(time.Now().Add(2 * time.Hour)); err != nil || n != 0 {
		t.Fatalf("sweep expired %d messages (%v) with b pending", n, err)
	}
	ls := leaseAll(t, s, "b", time.Now())
	if len(ls) != 1 || ls[0].Message.ID != id {
		t.Fatalf("b not due after the purge: %v", leasedIDs(ls))
	}
	complete(t, s, ls[0], Delivered, time.Time{})
	if n, err := s.sweep(time.Now().Add(2 * time.Hour)); err != nil || n != 1 {
		t.Fatalf("sweep: %d, %v", n, err)
	}
	if _, _, err := s.Get(id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("message after its expiry: %v", err)
	}
	if n := keysWith(t, s, pfxDelivery); n != 0 {
		t.Fatalf("%d delivery keys (records or purge markers) left after the message expired", n)
	}
	if c := s.Counts(); c["a"] != (Counts{}) || c["b"] != (Counts{}) {
		t.Fatalf("counts after everything is gone: %+v", c)
	}
}
