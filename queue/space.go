package queue

import (
	"fmt"
	"sync/atomic"
	"time"
)

// freeSpaceInterval bounds how stale the free-space figure Enqueue checks
// may be: one statfs per interval, however many requests arrive. Writes
// since the last statfs are accounted (space.promised), so staleness does
// not let ingest run past storage.min_free.
const freeSpaceInterval = 100 * time.Millisecond

// space tracks the free bytes of the store's filesystem, and the bytes of
// acknowledged Enqueues that Badger has yet to write.
//
// Why the second figure: an Enqueue is acknowledged once its journal
// record is synced, into a preallocated segment, and Badger applies it
// afterwards. Badger writes through mmap, where ENOSPC is not an error but
// a SIGBUS that kills the process. With large bodies the writer can be
// tens of MB behind the journal (its queue holds 256 requests), more than
// storage.min_free leaves; a free-space check that ignored them let ingest
// stop at min_free and the backlog then fill the disk
// (test/e2e TestFullDiskAnswers503AndLosesNothing, on a 64 MiB tmpfs).
type space struct {
	snap    atomic.Pointer[freeSnap]
	checked atomic.Int64 // unix nanoseconds of the last statfs
	// promised counts the record bytes of every Enqueue admitted and
	// settled those the writer is done with (applied, or failed and so
	// never written). promised − settled is what Badger has yet to write.
	promised, settled atomic.Int64
}

// freeSnap is one statfs reading and what was settled just before it, so
// that writes since the reading count against it.
type freeSnap struct {
	free    int64 // -1 = unknown
	settled int64
}

// admit promises n record bytes to an Enqueue if storage.min_free is not
// reached yet, counting what earlier Enqueues still have to write. As
// before the accounting, the last message admitted may go past min_free by
// its own size, so that a store refusing messages is one whose disk is at
// min_free, which healthz reports (fullErr). Concurrent Enqueues see each
// other's promises, so together they overshoot by one message at most. The
// caller settles n once the writer is done with the record (or it was
// never handed over).
func (s *Store) admit(n int64) error {
	if err := s.maxDiskErr(); err != nil {
		return err
	}
	p := s.space.promised.Add(n)
	if err := s.minFreeErr(p-n, 0); err != nil {
		s.space.promised.Add(-n)
		return err
	}
	return nil
}

// fullErr says why Enqueue must refuse new messages now, or nil (healthz).
func (s *Store) fullErr() error {
	if err := s.maxDiskErr(); err != nil {
		return err
	}
	return s.minFreeErr(s.space.promised.Load(), 0)
}

// roomFor reports whether n more bytes (a journal segment) fit above
// storage.min_free, with what Badger has yet to write counted.
func (s *Store) roomFor(n int64) bool {
	return s.minFreeErr(s.space.promised.Load(), n) == nil
}

func (s *Store) maxDiskErr() error {
	if max := s.opts.MaxDisk; max > 0 {
		if size := s.size.Load(); size >= max {
			return fmt.Errorf("%w: the queue uses %s, storage.max_disk is %s", ErrFull, mib(size), mib(max))
		}
	}
	return nil
}

// minFreeErr wraps ErrFull with the limit and the figures, for the 503's
// message, when the free space left once promised bytes (and extra more)
// are written would be below storage.min_free.
func (s *Store) minFreeErr(promised, extra int64) error {
	min := s.opts.MinFree
	if min <= 0 {
		return nil
	}
	snap := s.reading()
	if snap.free < 0 {
		return nil
	}
	owed := max(promised-snap.settled, 0)
	if left := snap.free - owed - extra; left < min {
		return fmt.Errorf("%w: %s free on the disk of %s (%s of it still to be written by messages already accepted), storage.min_free is %s",
			ErrFull, mib(snap.free), s.opts.Dir, mib(owed), mib(min))
	}
	return nil
}

// refreshFree reads the free bytes now. Open calls it before the first
// Enqueue: a request that loses the race to refresh the figure reads the
// cached one, which must never be the zero of an unset field (that refused
// the first requests of a fresh start with "0 bytes free").
func (s *Store) refreshFree() {
	// Settled before the statfs: a write that lands in between is then
	// counted twice, never not at all.
	settled := s.space.settled.Load()
	free, err := freeSpace(s.opts.Dir)
	if err != nil {
		s.log.Warn("free disk space", "dir", s.opts.Dir, "err", err)
		free = -1
	}
	s.space.snap.Store(&freeSnap{free: free, settled: settled})
}

// reading returns the last free-space reading, refreshed at most every
// freeSpaceInterval.
func (s *Store) reading() *freeSnap {
	now := time.Now().UnixNano()
	last := s.space.checked.Load()
	if now-last >= int64(freeSpaceInterval) && s.space.checked.CompareAndSwap(last, now) {
		s.refreshFree()
	}
	return s.space.snap.Load()
}

func mib(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
