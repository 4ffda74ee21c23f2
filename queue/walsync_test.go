package queue

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

func TestWALFilesSyncsEachNewWALOnce(t *testing.T) {
	dir := t.TempDir()
	var synced []string
	w := walFiles{dir: dir, fsync: func(p string) error {
		synced = append(synced, filepath.Base(p))
		return fsyncFile(p)
	}}
	touch := func(name string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	step := func(want ...string) {
		t.Helper()
		synced = nil
		if err := w.syncNew(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(synced, want) {
			t.Fatalf("synced %v, want %v", synced, want)
		}
	}
	touch("00001.mem")
	touch("000001.vlog") // not a WAL
	step("00001.mem")
	step()             // nothing new: no extra fsync per batch
	touch("00002.mem") // a rotation
	step("00002.mem")
	os.Remove(filepath.Join(dir, "00001.mem")) // flushed to an SSTable
	step()
}

// TestSyncCoversRotatedMemtables writes more than a (small) memtable holds
// from many writers at once, so Badger rotates its WAL while batches are in
// flight, and checks that every WAL file present afterwards went through an
// fsync before the writes in it were acknowledged.
func TestSyncCoversRotatedMemtables(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	s := openTest(t, "", func(o *Options) {
		o.Sync = true
		o.memTableSize = 1 << 20
		o.walFsync = func(p string) error {
			mu.Lock()
			seen[filepath.Base(p)] = true
			mu.Unlock()
			return fsyncFile(p)
		}
	})
	var wg sync.WaitGroup
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 150; i++ {
				m := msg("r", "a", "b", "c")
				m.Body = []byte("small") // stays in the WAL, below ValueThreshold
				if _, _, err := s.Enqueue(context.Background(), m); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	entries, _ := os.ReadDir(s.opts.Dir)
	var wals []string
	flushed := 0 // an SSTable exists only once a full memtable was flushed
	for _, e := range entries {
		switch filepath.Ext(e.Name()) {
		case ".mem":
			wals = append(wals, e.Name())
		case ".sst":
			flushed++
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if flushed == 0 && len(wals) < 2 {
		t.Fatal("the memtable never rotated: the test proves nothing")
	}
	for _, name := range wals {
		if !seen[name] {
			t.Errorf("WAL %s holds acknowledged writes but was never fsynced", name)
		}
	}
}
