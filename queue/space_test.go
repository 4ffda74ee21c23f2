package queue

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMinFreeRefusesEnqueueNamingTheLimit(t *testing.T) {
	cases := []struct {
		name    string
		minFree int64
		refused bool
	}{
		{"no check", 0, false},
		{"reserve available", 1, false},
		{"reserve larger than any disk", 1 << 62, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := openTest(t, "", func(o *Options) { o.MinFree = c.minFree })
			_, _, err := s.Enqueue(context.Background(), msg("r", "d"))
			if !c.refused {
				if err != nil || s.Writable() != nil {
					t.Fatalf("enqueue: %v, writable: %v", err, s.Writable())
				}
				return
			}
			if !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "storage.min_free") || !strings.Contains(err.Error(), s.opts.Dir) {
				t.Fatalf("enqueue below min_free: %v, want ErrFull naming storage.min_free and the directory", err)
			}
			if err := s.Writable(); !errors.Is(err, ErrFull) {
				t.Fatalf("writable below min_free: %v", err)
			}
			if n := s.Counts()["d"].Pending; n != 0 {
				t.Fatalf("%d pending after a refused enqueue", n)
			}
		})
	}
}

// Under load at startup, one request refreshes the free-space figure while
// the others read the cached one: that must be Open's reading, not zero.
func TestFreshStoreNeverRefusesForAnUnreadFreeSpaceFigure(t *testing.T) {
	s := openTest(t, "", func(o *Options) { o.MinFree = 1 })
	// As a concurrent request does after winning the refresh, before its
	// statfs has returned.
	s.space.checked.Store(time.Now().UnixNano())
	if _, _, err := s.Enqueue(context.Background(), msg("r", "d")); err != nil {
		t.Fatalf("first enqueue on a fresh store with room: %v", err)
	}
}

// An Enqueue is acknowledged from the journal, and Badger writes it after,
// through mmap, where a full disk is a SIGBUS. So min_free must count what
// Badger has yet to write: with the writer held, nothing reaches Badger and
// the free-space reading stays what it was, yet Enqueues are refused once
// what they owe would take the disk to min_free.
func TestMinFreeCountsWhatBadgerHasYetToWrite(t *testing.T) {
	s := openTest(t, "", func(o *Options) { o.MinFree = 64 << 20 })
	// The spare journal segment made after Open counts too, while written.
	s.journal.WaitSpare()
	// A fixed reading, 1 MiB above min_free, not refreshed during the test.
	s.space.checked.Store(time.Now().Add(time.Hour).UnixNano())
	s.space.snap.Store(&freeSnap{free: 65 << 20, settled: s.space.settled.Load()})
	held, release := make(chan struct{}), make(chan struct{})
	var releaseOnce sync.Once
	letGo := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(letGo) // before the store's Close, which waits for the writer
	go s.submit(context.Background(), 0, func(*batch) error { close(held); <-release; return nil })
	<-held
	admitted := 0
	for i := 0; i < 20; i++ {
		m := msg("r", "d")
		m.Body = make([]byte, 256<<10)
		_, _, err := s.Enqueue(context.Background(), m)
		if errors.Is(err, ErrFull) {
			if !strings.Contains(err.Error(), "still to be written") {
				t.Fatalf("refusal does not say what is owed: %v", err)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		admitted++
	}
	// Four records of a little over 256 KiB owe more than the 1 MiB of
	// room: the fifth is refused.
	if admitted != 4 {
		t.Fatalf("%d admitted with 1 MiB of room and 256 KiB records, want 4", admitted)
	}
	if err := s.Writable(); !errors.Is(err, ErrFull) {
		t.Fatalf("writable while Badger owes more than the room: %v", err)
	}
	letGo()
	if n := s.Counts()["d"].Pending; n != 4 { // after the writer caught up
		t.Fatalf("%d pending, want 4", n)
	}
	// Written now: nothing owed, and the next statfs reading shows it.
	if owed := s.space.promised.Load() - s.space.settled.Load(); owed != 0 {
		t.Fatalf("%d bytes still owed once everything is written", owed)
	}
}

// The journal's spare segment is 8 MiB written ahead of need: it is made
// only while that leaves storage.min_free.
func TestNoSpareSegmentMadeAheadBelowMinFree(t *testing.T) {
	s := openTest(t, "", func(o *Options) { o.MinFree = 1 << 62 })
	if n := s.journal.WaitSpare(); n != 0 {
		t.Fatalf("%d spare segments made with no room above min_free", n)
	}
	if _, _, err := s.Enqueue(context.Background(), msg("r", "d")); !errors.Is(err, ErrFull) {
		t.Fatalf("enqueue: %v", err)
	}
}
