package queue

import (
	"fmt"
	"sync/atomic"
	"time"
)

// freeSpaceInterval bounds how stale the free-space figure Enqueue checks
// may be: one statfs per interval, however many requests arrive. At the
// fastest ingest measured here (~50 MB/s of large bodies) that is ~5 MB of
// writes between checks, well inside any sensible storage.min_free.
const freeSpaceInterval = 100 * time.Millisecond

// space caches the free bytes of the store's filesystem.
type space struct {
	free    atomic.Int64
	checked atomic.Int64 // unix nanoseconds of the last statfs
}

// fullErr says why Enqueue must refuse new messages, or nil. It wraps
// ErrFull with the limit reached and the figures, for the 503's message.
func (s *Store) fullErr() error {
	if max := s.opts.MaxDisk; max > 0 {
		if size := s.size.Load(); size >= max {
			return fmt.Errorf("%w: the queue uses %s, storage.max_disk is %s", ErrFull, mib(size), mib(max))
		}
	}
	if min := s.opts.MinFree; min > 0 {
		if free := s.freeBytes(); free >= 0 && free < min {
			return fmt.Errorf("%w: %s free on the disk of %s, storage.min_free is %s",
				ErrFull, mib(free), s.opts.Dir, mib(min))
		}
	}
	return nil
}

// refreshFree reads the free bytes now. Open calls it before the first
// Enqueue: a request that loses the race to refresh the figure reads the
// cached one, which must never be the zero of an unset field (that refused
// the first requests of a fresh start with "0 bytes free").
func (s *Store) refreshFree() {
	free, err := freeSpace(s.opts.Dir)
	if err != nil {
		s.log.Warn("free disk space", "dir", s.opts.Dir, "err", err)
		free = -1
	}
	s.space.free.Store(free)
}

// freeBytes returns the free bytes for unprivileged use on the store's
// filesystem, refreshed at most every freeSpaceInterval (-1 = unknown).
func (s *Store) freeBytes() int64 {
	now := time.Now().UnixNano()
	last := s.space.checked.Load()
	if now-last >= int64(freeSpaceInterval) && s.space.checked.CompareAndSwap(last, now) {
		s.refreshFree()
	}
	return s.space.free.Load()
}

func mib(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
