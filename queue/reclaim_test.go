package queue

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// badgerBytes is what Badger's files take on disk: the store without its
// journal, whose preallocated segments stay whatever the queue holds.
func badgerBytes(t testing.TB, dir string) int64 {
	t.Helper()
	all, err := dirSize(dir)
	if err != nil {
		t.Fatal(err)
	}
	journal, err := dirSize(filepath.Join(dir, "journal"))
	if err != nil {
		t.Fatal(err)
	}
	return all - journal
}

// fillAndDeliver enqueues n messages with 2 KiB bodies from 8 writers,
// then leases and completes every one as delivered. It returns the bytes
// Badger's files take once the messages are in.
func fillAndDeliver(t *testing.T, s *Store, n int) (peak int64) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				m := msg("r", "billing")
				m.Body = make([]byte, 2048)
				if _, _, err := s.Enqueue(context.Background(), m); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("enqueue: %v", err)
	}
	if c := s.Counts()["billing"]; c.Pending != int64(n) { // and applied
		t.Fatalf("counts after %d enqueues: %+v", n, c)
	}
	peak = badgerBytes(t, s.opts.Dir)
	for done := 0; done < n; {
		ls, err := s.Lease("billing", time.Now(), 256)
		if err != nil || len(ls) == 0 {
			t.Fatalf("lease after %d of %d: %d %v", done, n, len(ls), err)
		}
		for _, l := range ls {
			complete(t, s, l, Delivered, time.Time{})
		}
		done += len(ls)
	}
	return peak
}

// The disk comes back once every message is gone, by a purge or by
// retention: Badger's files fall from their peak to under one value-log
// file plus 4 MiB (LSM tables, discard statistics, the new memtable's
// WAL). Without reclaim (reclaim.go) the deletes stay in the memtable,
// no compaction counts the values discardable, value-log GC finds
// nothing to rewrite and every value-log file stays.
func TestDiskComesBackOnceEverythingIsDeleted(t *testing.T) {
	const n = 18_000
	const bound = 16<<20 + 4<<20 // a value-log file (badger.go) + 4 MiB
	for _, how := range []string{"purge", "retention"} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			s := openTest(t, dir, func(o *Options) {
				o.GCInterval = 100 * time.Millisecond
				if how == "purge" {
					o.Retention = time.Hour
				} else {
					o.Retention = time.Millisecond
				}
			})
			peak := fillAndDeliver(t, s, n)
			if how == "purge" {
				if k, err := s.Purge(Filter{State: StateDelivered}); err != nil || k != n {
					t.Fatalf("purge: %d %v", k, err)
				}
			}
			if peak <= bound+16<<20 {
				t.Fatalf("Badger's files take %d bytes after %d messages, too few to show the disk coming back under %d", peak, n, bound)
			}
			// Everything deleted (retention sweeps every 100 ms) and the
			// disk back, within a minute.
			deadline := time.Now().Add(60 * time.Second)
			for {
				c, now := s.Counts()["billing"], badgerBytes(t, dir)
				if c.Delivered == 0 && c.Pending == 0 && now <= bound {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("a minute after delivery: counts %+v, Badger's files %.1f MiB (%.1f MiB at the peak), want none left and under %.1f MiB",
						c, mb(now), mb(peak), mb(bound))
				}
				time.Sleep(50 * time.Millisecond)
			}
			t.Logf("%s: Badger's files %.1f MiB at the peak, %.1f MiB now", how, mb(peak), mb(badgerBytes(t, dir)))
		})
	}
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }
