package queue

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Giving the disk back. Deleting a message writes tombstones; Badger frees
// nothing until three things have happened, and when the queue goes quiet
// none of them happens by itself:
//
//  1. The tombstones leave the memtable. A memtable is flushed only when
//     full (16 MiB of keys), so after the last sweep they may sit there
//     for good.
//  2. A compaction meets each tombstone with the value pointer it hides,
//     drops both and counts the value's bytes as discardable in its
//     value-log file (discard statistics). L0 is compacted only at eight
//     tables (badger.go), and a table in the base level meets the one
//     below only when that level is over its target.
//  3. Value-log GC rewrites a file its discard statistics show mostly
//     garbage. It never picks the file being written (so
//     ValueLogFileSize bounds what stays; badger.go), and never a file
//     whose discard statistics no compaction moved
//     (dgraph-io/badger#1995, #2334).
//
// reclaim does 1 and 2 by hand, then 3: a marker key written through the
// writer and dropped with DB.DropPrefix, which flushes every memtable and
// compacts all of L0 into the base level (Badger has no public flush);
// DB.Flatten when more than one level holds tables; then value-log GC until
// ErrNoRewrite. A pass runs when all of these hold:
//   - retention or purges deleted at least reclaimMin of records since the
//     last pass: less could not free a value-log file (GC rewrites files
//     at least half garbage);
//   - ingest is quiet (quietRate): under load the memtables fill and the
//     compactions run anyway, and Flatten, which stops Badger's own
//     compactions while it works, could chase new L0 tables for as long as
//     the load lasts;
//   - the last pass ended at least reclaimSpacing times its own duration
//     ago: DropPrefix blocks the writer while it compacts L0 into the
//     base level, which on a large store takes seconds, so passes may take
//     a tenth of the writer's time at most.

// keyReclaim is the marker reclaim drops. 0xff sorts after every other
// prefix (layout.go), so below L0 only the last table of a level can hold
// it (the deletes runValueLogGC writes), and dropping it rewrites L0 and
// at most those tables.
var keyReclaim = []byte{0xff, 'r', 'e', 'c', 'l', 'a', 'i', 'm'}

// quietRate is the ingest rate (record bytes per second) under which
// reclaim may run: at 1 MiB/s of 512-byte callbacks, a memtable of their
// keys takes about a minute to fill, longer than a pass takes on a store
// of a million messages, so Flatten does not race new L0 tables.
const quietRate = 1 << 20

// reclaimMin is how many record bytes must have been deleted since the
// last pass for the next one: half a value-log file (badger.go).
const reclaimMin = 8 << 20

// reclaimSpacing: a pass that took d starts no sooner than
// reclaimSpacing × d after it ended.
const reclaimSpacing = 10

// reclaimState is what decides when a pass runs. deleted and wake are
// shared: the writer counts what it deletes, Purge wakes maintenance.
type reclaimState struct {
	deleted atomic.Int64  // record bytes deleted since the last pass began
	wake    chan struct{} // buffered 1: a purge asks for a pass now

	// Maintenance goroutine only.
	quiet       bool
	lastSettled int64
	lastSample  time.Time
	next        time.Time // no pass before it (reclaimSpacing)
}

// askReclaim wakes maintenance to see whether a pass is due now (Purge: a
// store refusing for storage.max_disk wants its space back at once).
func (s *Store) askReclaim() {
	select {
	case s.reclaim.wake <- struct{}{}:
	default:
	}
}

// sampleIngest updates whether ingest is quiet: record bytes applied since
// the last sample, over the time since it, under quietRate.
func (s *Store) sampleIngest(now time.Time) {
	r := &s.reclaim
	settled := s.space.settled.Load()
	if !r.lastSample.IsZero() {
		secs := now.Sub(r.lastSample).Seconds()
		r.quiet = secs > 0 && float64(settled-r.lastSettled) <= quietRate*secs
	}
	r.lastSettled, r.lastSample = settled, now
}

// maybeReclaim runs a pass if enough was deleted, ingest is quiet, and
// the last pass is far enough behind.
func (s *Store) maybeReclaim(ctx context.Context) {
	r := &s.reclaim
	if !r.quiet || r.deleted.Load() < reclaimMin || time.Now().Before(r.next) {
		return
	}
	deleted := r.deleted.Swap(0) // deletions during the pass count for the next
	start := time.Now()
	err := s.reclaimDisk(ctx)
	r.next = time.Now().Add(reclaimSpacing * time.Since(start))
	if err != nil && !errors.Is(err, ErrClosed) && ctx.Err() == nil {
		r.deleted.Add(deleted)
		s.log.Warn("reclaiming disk failed", "err", err)
	}
}

// reclaimDisk is one pass: flush and compact L0, flatten, value-log GC.
func (s *Store) reclaimDisk(ctx context.Context) error {
	start := time.Now()
	before, _ := dirSize(s.opts.Dir)
	if err := s.flushMemtables(ctx); err != nil {
		return err
	}
	if levelsWithTables(s.db) > 1 && ctx.Err() == nil {
		if err := s.db.Flatten(1); err != nil {
			return fmt.Errorf("flatten the LSM tree: %w", err)
		}
	}
	s.runValueLogGC(ctx)
	s.refreshSize()
	s.log.Info("disk reclaimed", "store_bytes_before", before, "store_bytes", s.Size(),
		"took", time.Since(start).Round(time.Millisecond))
	return nil
}

// flushMemtables writes the marker and drops it, on the writer goroutine:
// DropPrefix blocks Badger's writes while it works, and a commit from
// anywhere else would fail with ErrBlockedWrites.
func (s *Store) flushMemtables(ctx context.Context) error {
	var dropErr error
	err := s.submit(ctx, 0, func(b *batch) error {
		b.set(keyReclaim, nil)
		b.commitTxn()
		if b.err != nil {
			return nil // the batch fails, and submit says why
		}
		dropErr = b.s.db.DropPrefix(keyReclaim)
		return nil
	})
	if err == nil && dropErr != nil {
		err = dropErr
	}
	if err != nil {
		return fmt.Errorf("flush the memtables: %w", err)
	}
	return nil
}

// levelsWithTables counts the LSM levels that hold at least one table.
func levelsWithTables(db *badger.DB) int {
	n := 0
	for _, l := range db.Levels() {
		if l.NumTables > 0 {
			n++
		}
	}
	return n
}
