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

// storeSizeInterval bounds how stale the store's size that storage.max_disk
// is checked against may be, when max_disk is set: one walk of the store
// directory per interval. As with free space, what was admitted since the
// reading is counted on top, so staleness costs accuracy (Badger's own
// bytes since the reading), never the cap.
const storeSizeInterval = 250 * time.Millisecond

// space tracks two readings of the disk, the free bytes of the store's
// filesystem (storage.min_free) and the store's own size
// (storage.max_disk), and the bytes written or owed since each reading.
//
// Why the written-since term: an Enqueue is acknowledged once its journal
// record is synced, into a preallocated segment, and Badger applies it
// afterwards. Badger writes through mmap, where ENOSPC is not an error but
// a SIGBUS that kills the process. With large bodies the writer can be
// tens of MB behind the journal (its queue holds 256 requests), more than
// storage.min_free leaves; a free-space check that ignored them let ingest
// stop at min_free and the backlog then fill the disk
// (test/e2e TestFullDiskAnswers503AndLosesNothing, on a 64 MiB tmpfs).
// The same held for max_disk, read every 5 s with nothing since counted: a
// burst of 32 KiB callbacks took a 96 MiB cap to 441 MiB
// (test/e2e TestMaxDiskHoldsUnderABurst).
type space struct {
	snap    atomic.Pointer[freeSnap]
	checked atomic.Int64 // unix nanoseconds of the last statfs
	size    atomic.Pointer[sizeSnap]
	sized   atomic.Int64 // unix nanoseconds of the last size reading
	// promised counts the bytes every Enqueue admitted will write (its
	// record) and every journal segment being created; settled counts
	// those written (applied, created), or failed and so never written.
	// promised − settled is what is owed; promised − a reading's settled
	// is what the reading does not show yet.
	promised, settled atomic.Int64
	// refusing is set while Enqueue refuses for a full store, so that the
	// log has one line per transition, not one per request.
	refusing atomic.Bool
}

// freeSnap is one statfs reading and what was settled just before it, so
// that writes since the reading count against it.
type freeSnap struct {
	free    int64 // -1 = unknown
	settled int64
}

// sizeSnap is one reading of the store's size (dirSize) and what was
// settled just before it.
type sizeSnap struct {
	size    int64
	settled int64
}

// admit promises n record bytes to an Enqueue if neither storage.max_disk
// nor storage.min_free is reached yet, counting what earlier Enqueues
// still have to write or wrote since the last reading. The last message
// admitted may go past a limit by its own size, so that a store refusing
// messages is one at its limit, which healthz reports (fullErr).
// Concurrent Enqueues see each other's promises, so together they
// overshoot by one message at most. The caller settles n once the writer
// is done with the record (or it was never handed over).
func (s *Store) admit(n int64) error {
	p := s.space.promised.Add(n)
	err := s.maxDiskErr(p-n, 0)
	if err == nil {
		err = s.minFreeErr(p-n, 0)
	}
	if err != nil {
		s.space.promised.Add(-n)
		return s.refuse(err)
	}
	s.accepting()
	return nil
}

// fullErr says why Enqueue must refuse new messages now, or nil (healthz).
func (s *Store) fullErr() error {
	p := s.space.promised.Load()
	if err := s.maxDiskErr(p, 0); err != nil {
		return err
	}
	return s.minFreeErr(p, 0)
}

// roomFor reports whether n more bytes (a journal segment) fit under
// storage.max_disk and above storage.min_free, with what is owed counted.
func (s *Store) roomFor(n int64) bool {
	p := s.space.promised.Load()
	return s.maxDiskErr(p, n) == nil && s.minFreeErr(p, n) == nil
}

// maxDiskErr returns a FullError with the cap and the figures, for the 503's
// message, when the store's size at the last reading plus what was
// admitted since (and extra more) reaches storage.max_disk.
func (s *Store) maxDiskErr(promised, extra int64) error {
	limit := s.opts.MaxDisk
	if limit <= 0 {
		return nil
	}
	snap := s.sizeReading()
	since := max(promised-snap.settled, 0)
	if snap.size+since+extra >= limit {
		return &FullError{Reason: fmt.Sprintf("storage.max_disk %s reached (store %s + %s accepted not yet measured)",
			mib(limit), mib(snap.size), mib(since))}
	}
	return nil
}

// minFreeErr returns a FullError with the limit and the figures, for the 503's
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
		return &FullError{Reason: fmt.Sprintf("storage.min_free %s reached (%s free on the store's disk, %s of it still to be written by messages already accepted)",
			mib(min), mib(snap.free), mib(owed)), Dir: s.opts.Dir}
	}
	return nil
}

// refuse logs the transition into refusing (once, not per request) and
// returns err.
func (s *Store) refuse(err error) error {
	if !s.space.refusing.Load() && s.space.refusing.CompareAndSwap(false, true) {
		s.log.Warn("storage full: refusing new messages", "err", err)
	}
	return err
}

// accepting logs the transition out of refusing, once.
func (s *Store) accepting() {
	if s.space.refusing.Load() && s.space.refusing.CompareAndSwap(true, false) {
		s.log.Info("storage has room again: accepting new messages",
			"store_bytes", s.Size(), "max_disk", s.opts.MaxDisk, "min_free", s.opts.MinFree)
	}
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

// refreshSize reads the store's size now (dirSize: allocated blocks of
// every file under the store directory, journal included). Open calls it
// before the first Enqueue; maintenance after every retention pass, Purge
// after deleting; sizeReading when the reading is older than
// storeSizeInterval. After a reading, a store that was refusing and now
// has room logs so at once rather than at the next request.
func (s *Store) refreshSize() {
	s.space.sized.Store(time.Now().UnixNano())
	settled := s.space.settled.Load() // before the walk, as refreshFree
	n, err := dirSize(s.opts.Dir)
	if err != nil {
		s.log.Warn("queue size", "err", err)
		if s.space.size.Load() != nil {
			return // the last reading stands, with what was admitted since
		}
	}
	s.space.size.Store(&sizeSnap{size: n, settled: settled})
	if s.space.refusing.Load() && s.fullErr() == nil {
		s.accepting()
	}
}

// sizeReading returns the last size reading, refreshed at most every
// storeSizeInterval.
func (s *Store) sizeReading() *sizeSnap {
	now := time.Now().UnixNano()
	last := s.space.sized.Load()
	if now-last >= int64(storeSizeInterval) && s.space.sized.CompareAndSwap(last, now) {
		s.refreshSize()
	}
	return s.space.size.Load()
}

// Size returns the store's bytes on disk at the last reading: allocated
// blocks of Badger's files (LSM tables, value log, memtable WAL) and of
// the journal's segments, spares included.
func (s *Store) Size() int64 {
	if snap := s.space.size.Load(); snap != nil {
		return snap.size
	}
	return 0
}

func mib(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
