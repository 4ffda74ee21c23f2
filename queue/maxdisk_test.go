package queue

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// fixSize replaces the store's size reading with size, counted from what
// is settled now, and keeps it from being refreshed by requests.
func fixSize(s *Store, size int64) {
	s.journal.WaitSpare() // the spare segment made after Open, counted while written
	s.space.sized.Store(time.Now().Add(time.Hour).UnixNano())
	s.space.size.Store(&sizeSnap{size: size, settled: s.space.settled.Load()})
}

// storage.max_disk counts what was admitted since the size was last read:
// with the reading frozen 1 MiB under the cap, 256 KiB records are refused
// from the fifth on, not admitted until the next reading (the 5 s during
// which a burst took a 96 MiB cap to 441 MiB).
func TestMaxDiskCountsWhatWasAdmittedSinceTheReading(t *testing.T) {
	const limit = 64 << 20
	s := openTest(t, "", func(o *Options) { o.MaxDisk = limit })
	fixSize(s, limit-1<<20)
	admitted := 0
	var refusal error
	for i := 0; i < 20 && refusal == nil; i++ {
		m := msg("r", "d")
		m.Body = make([]byte, 256<<10)
		_, _, err := s.Enqueue(context.Background(), m)
		switch {
		case errors.Is(err, ErrFull):
			refusal = err
		case err != nil:
			t.Fatal(err)
		default:
			admitted++
		}
	}
	// Four records of a little over 256 KiB reach the cap: the fifth is
	// refused, the fourth went past it by less than its own size.
	if admitted != 4 {
		t.Fatalf("%d admitted with 1 MiB under the cap and 256 KiB records, want 4", admitted)
	}
	want := "storage full: storage.max_disk 64.0 MiB reached (store 63.0 MiB + 1.0 MiB accepted not yet measured)"
	if !strings.Contains(refusal.Error(), want) {
		t.Fatalf("refusal %q, want it to say %q", refusal, want)
	}
	if err := s.Writable(); !errors.Is(err, ErrFull) {
		t.Fatalf("writable at the cap: %v", err)
	}
	if n := s.Counts()["d"].Pending; n != 4 {
		t.Fatalf("%d pending, want 4", n)
	}
}

// A journal segment created counts against max_disk as soon as it is
// being written, and no spare is made ahead when it would not fit.
func TestMaxDiskCountsJournalSegments(t *testing.T) {
	s := openTest(t, "", func(o *Options) { o.MaxDisk = 64 << 20 })
	fixSize(s, 64<<20-s.journal.SegmentSize()-1<<20)
	if !s.roomFor(s.journal.SegmentSize()) {
		t.Fatalf("no room for a segment 1 MiB under what it needs")
	}
	s.segmentGrowing(s.journal.SegmentSize())
	if s.roomFor(s.journal.SegmentSize()) {
		t.Fatalf("room for a second segment while the first is being written")
	}
	s.segmentGrown(s.journal.SegmentSize())
	// 1 MiB left under the cap once the segment counts: a message of
	// 1 MiB is the last one admitted.
	big := msg("r", "d")
	big.Body = make([]byte, 1<<20)
	enqueue(t, s, big)
	_, _, err := s.Enqueue(context.Background(), msg("r", "d"))
	if !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "+ 9.0 MiB accepted not yet measured") {
		t.Fatalf("enqueue with a segment and a message written since the reading up to the cap: %v", err)
	}
}

// Refusing and accepting again are one log line each, however many
// requests are refused; a Purge reads the size again, so a store it
// brought under the cap accepts at once, not at the next reading.
func TestMaxDiskLogsTransitionsAndPurgeRereadsTheSize(t *testing.T) {
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	s := openTest(t, "", func(o *Options) { o.MaxDisk = 1 << 40; o.Logger = log })
	id := enqueue(t, s, msg("r", "d"))
	for _, l := range leaseAll(t, s, "d", time.Now()) {
		complete(t, s, l, Delivered, time.Time{})
	}
	fixSize(s, 1<<40) // as if full
	for i := 0; i < 5; i++ {
		if _, _, err := s.Enqueue(context.Background(), msg("r", "d")); !errors.Is(err, ErrFull) {
			t.Fatalf("enqueue %d at the cap: %v", i, err)
		}
	}
	if n := strings.Count(logs.String(), "refusing new messages"); n != 1 {
		t.Fatalf("%d log lines for one transition into refusing:\n%s", n, logs.String())
	}
	if n, err := s.Purge(Filter{State: StateDelivered}); err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
	// The real size, well under 1 TiB, read by Purge.
	if !strings.Contains(logs.String(), "accepting new messages") {
		t.Fatalf("no log line for the transition out of refusing after a purge:\n%s", logs.String())
	}
	for i := 0; i < 3; i++ {
		enqueue(t, s, msg("r", "d"))
	}
	if n := strings.Count(logs.String(), "accepting new messages"); n != 1 {
		t.Fatalf("%d log lines for one transition out of refusing:\n%s", n, logs.String())
	}
	if _, _, err := s.Get(id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("purged message: %v", err)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
