package queue

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// badgerOptions tunes Badger for a queue rather than for a large database.
// Defaults reach ~1.4 GB RSS after a million inserts (64 MiB memtables × 5,
// a 256 MiB block cache, every table index held in memory, 1 GiB value-log
// files, and table builders sized after the big memtables). A queue's
// working set is its recent writes and the head of each destination's
// schedule, so:
//   - MemTableSize 16 MiB × NumMemtables 2: small write buffers, and small
//     L0 tables whose builders (the main heap cost while flushing) stay
//     small. A txn can hold 15% of a memtable (~2.4 MiB of keys), far more
//     than a batch of 256 requests needs (a value above ValueThreshold
//     counts only as a pointer). 8 MiB cost more CPU and more memory, see
//     the next item.
//   - ValueThreshold 128 B: bodies and attempt histories go to the value log,
//     so the LSM holds keys and small index entries and compacts cheaply.
//   - Compression off: SSTs hold only keys and tiny values; compressing them
//     saves little and costs buffers on every flush and compaction.
//   - BlockCacheSize 16 MiB, IndexCacheSize 8 MiB: bound the caches; indexes
//     and blooms of cold tables are read on demand.
//   - ValueLogFileSize 16 MiB: value-log GC never rewrites the file being
//     written, so it bounds what deleted messages leave on disk once the
//     queue empties (reclaim.go); under storage.max_disk: 64MiB a 64 MiB
//     file was all of the value log and a purge freed nothing. GC
//     rewrites small files, and a fresh file is not a 2 GiB sparse mmap.
//     Rotating four times as often costs a truncate and a new mmap per
//     16 MiB (docs/BENCHMARKS.md for the ingest figures).
//   - NumLevelZeroTables 8 / stall 20, NumCompactors 2. Every memtable
//     holds new keys of each index (message, schedule, counters), so
//     every L0 table spans most of the key space, and an L0 → base-level
//     compaction rewrites every base-level table it overlaps: nearly all
//     of them. Compacting eight L0 tables at a time instead of two, from
//     memtables twice as large, rewrites the base level an eighth as
//     often (a third less CPU per enqueue, and less memory: fewer table
//     builders alive; docs/BENCHMARKS.md has the figures). Reads merge up
//     to eight L0 tables; their blooms keep point reads cheap.
//   - SyncWrites off: every write is durable by the journal, and Badger's
//     files are synced only at a checkpoint (walsync.go); with SyncWrites
//     on, Badger would msync once per transaction.
//   - DetectConflicts off: one goroutine writes, there is nothing to detect.
//
// Memory measured with these options: docs/BENCHMARKS.md, "Memory".
func badgerOptions(dir string, log *slog.Logger) badger.Options {
	o := badger.DefaultOptions(dir)
	o.Logger = badgerLogger{log: log}
	o.SyncWrites = false
	o.DetectConflicts = false
	o.MetricsEnabled = false
	o.MemTableSize = 16 << 20
	o.NumMemtables = 2
	o.NumLevelZeroTables = 8
	o.NumLevelZeroTablesStall = 20
	o.NumCompactors = 2
	o.BlockCacheSize = 16 << 20
	o.IndexCacheSize = 8 << 20
	o.ValueThreshold = 128
	o.ValueLogFileSize = 16 << 20
	o.Compression = options.None
	return o
}

// badgerLogger passes Badger's warnings and errors to our logger and drops
// its info/debug chatter (it logs every compaction at info). The "badger: "
// prefix says where a line came from: a component key would repeat the
// one the logger carries.
type badgerLogger struct{ log *slog.Logger }

func (l badgerLogger) Errorf(f string, a ...any) {
	l.log.Error("badger: " + trimNL(fmt.Sprintf(f, a...)))
}

func (l badgerLogger) Warningf(f string, a ...any) {
	l.log.Warn("badger: " + trimNL(fmt.Sprintf(f, a...)))
}

func (badgerLogger) Infof(string, ...any)  {}
func (badgerLogger) Debugf(string, ...any) {}

func trimNL(s string) string {
	for len(s) > 0 && s[len(s)-1] == '\n' {
		s = s[:len(s)-1]
	}
	return s
}

// dirSize is the space the store's files take on disk. Badger's db.Size()
// counts apparent sizes, refreshed once a minute; value-log and memtable
// files are preallocated sparse mmaps, so their apparent size overstates
// what the disk holds. allocated() counts blocks where the OS tells them.
func dirSize(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // a file removed by compaction meanwhile
			}
			return err
		}
		if e.IsDir() {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return nil
		}
		total += allocated(info)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("size of %s: %w", dir, err)
	}
	return total, nil
}

// runValueLogGC rewrites value-log files until Badger finds none worth it.
// Each rewrite runs on the writer goroutine, between batches: a rewrite
// reads the memtable's max version unlocked against Badger's own write
// goroutine (DB.MaxVersion against memTable.Put, a data race under
// -race), and with no commit of ours in flight every Put before it is
// ordered by the commit's wait. A rewrite moves live values into the
// value-log head and deletes the old file without syncing them first; the
// request then writes (a delete of the reclaim marker), an unjournaled
// write, so the writer syncs Badger's files after its batch and the moved
// values with them.
func (s *Store) runValueLogGC(ctx context.Context) {
	for i := 0; i < 64 && ctx.Err() == nil; i++ {
		var gcErr error
		if err := s.submit(ctx, 0, func(b *batch) error {
			if gcErr = b.s.db.RunValueLogGC(0.5); gcErr == nil {
				b.del(keyReclaim)
			}
			return nil
		}); err != nil {
			return // closing
		}
		if gcErr == nil {
			continue
		}
		if !errors.Is(gcErr, badger.ErrNoRewrite) && !errors.Is(gcErr, badger.ErrRejected) {
			s.log.Warn("value log gc failed", "err", gcErr)
		}
		return
	}
}
