package queue

import (
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Space is the store's disk figures and limits, for metrics.
type Space struct {
	Bytes   int64 // the store's size on disk at the last reading
	Free    int64 // free bytes of its filesystem at the last reading; -1 unknown
	MaxDisk int64 // storage.max_disk (0 = none)
	MinFree int64 // storage.min_free (0 = none)
}

// Space returns the store's disk figures, each reading refreshed when it is
// older than its interval (a directory walk at most every 250 ms, a statfs
// at most every 100 ms), so a scrape costs no more than ingest does.
func (s *Store) Space() Space {
	sp := Space{Free: -1, MaxDisk: s.opts.MaxDisk, MinFree: s.opts.MinFree}
	if snap := s.sizeReading(); snap != nil {
		sp.Bytes = snap.size
	}
	if snap := s.reading(); snap != nil {
		sp.Free = snap.free
	}
	return sp
}

// OldestUnfinished returns, for each of dests with deliveries not yet
// delivered or dead (pending, in flight or retrying), the receipt time of
// the oldest. Three Seeks per destination, never a scan of its backlog:
//
//   - the first schedule entry: an implicit delivery (implicit.go) is
//     scheduled at its receipt, so the earliest of them is the first
//     entry; any other entry is due at or after its own receipt;
//   - the first pending and the first retrying state-index entries, which
//     hold every delivery with a record, ordered by receipt.
//
// The minimum of the three is the oldest: an entry found in the schedule
// that has a record is also in the index, with a receipt no later.
func (s *Store) OldestUnfinished(dests []string) (map[string]time.Time, error) {
	s.caughtUp()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	out := make(map[string]time.Time, len(dests))
	for _, name := range dests {
		if at := s.oldestUnfinished(name); !at.IsZero() {
			out[name] = at
		}
	}
	return out, nil
}

func (s *Store) oldestUnfinished(dest string) time.Time {
	ds := s.dest(dest)
	var oldest time.Time
	take := func(at time.Time) {
		if oldest.IsZero() || at.Before(oldest) {
			oldest = at
		}
	}
	// The schedule's live entries are the leased ones and those at or after
	// the cursor (destState); the snapshot is taken under ds.mu, as Lease's.
	ds.mu.Lock()
	for _, le := range ds.leases {
		if at, _, ok := parseScheduleKey(le.schedKey, len(ds.prefix)); ok {
			take(at)
		}
	}
	txn := s.db.NewTransaction(false)
	defer txn.Discard()
	if !ds.empty {
		start := ds.cursor
		if start == nil {
			start = ds.prefix
		}
		if k := firstKey(txn, ds.prefix, start); k != nil {
			if at, _, ok := parseScheduleKey(k, len(ds.prefix)); ok {
				take(at)
			}
		}
	}
	ds.mu.Unlock()
	for _, st := range []State{StatePending, StateRetrying} {
		p := stateIndexPrefix(dest, st)
		if k := firstKey(txn, p, p); k != nil && len(k) == len(p)+timeLen+idLen {
			take(readTime(k[len(p):]))
		}
	}
	return oldest
}

// firstKey returns a copy of the first key under prefix at or after start,
// or nil.
func firstKey(txn *badger.Txn, prefix, start []byte) []byte {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	it.Seek(start)
	if !it.ValidForPrefix(prefix) {
		return nil
	}
	return it.Item().KeyCopy(nil)
}
