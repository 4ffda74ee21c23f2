package queue

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestLogFilesSyncsActiveAndSealedFiles walks logFiles through rotations:
// the newest WAL and value log are synced every time (they take each
// batch), and a file that stopped being the newest is synced once more
// after that, because a batch may have been written into it after its last
// sync and before the rotation (db.Sync() alone missed those).
func TestLogFilesSyncsActiveAndSealedFiles(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex // files are synced in parallel
	var synced []string
	w := logFiles{dir: dir, fsync: func(p string) error {
		mu.Lock()
		synced = append(synced, filepath.Base(p))
		mu.Unlock()
		return fsyncFile(p)
	}}
	touch := func(name string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name   string
		before func()
		want   []string
	}{
		{"first sync", func() { touch("00001.mem"); touch("000001.vlog"); touch("MANIFEST") },
			[]string{"00001.mem", "000001.vlog"}},
		{"no rotation: only the active files", func() {}, []string{"00001.mem", "000001.vlog"}},
		{"WAL rotated: the old one once more", func() { touch("00002.mem") },
			[]string{"00001.mem", "00002.mem", "000001.vlog"}},
		{"sealed WAL not again", func() {}, []string{"00002.mem", "000001.vlog"}},
		{"value log rotated", func() { touch("000002.vlog") },
			[]string{"00002.mem", "000001.vlog", "000002.vlog"}},
		{"WAL flushed and deleted", func() { os.Remove(filepath.Join(dir, "00001.mem")) },
			[]string{"00002.mem", "000002.vlog"}},
		{"two rotations between syncs", func() { touch("00003.mem"); touch("00004.mem") },
			[]string{"00002.mem", "00003.mem", "00004.mem", "000002.vlog"}},
		// Names sort by text, fids by number: 100000 is newer than 99999.
		{"fid order, not name order", func() { touch("99999.mem"); touch("100000.mem") },
			[]string{"00004.mem", "99999.mem", "100000.mem", "000002.vlog"}},
		{"active is the highest fid", func() {}, []string{"100000.mem", "000002.vlog"}},
	}
	for _, st := range steps {
		st.before()
		synced = nil
		if err := w.sync(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		slices.Sort(synced)
		want := slices.Clone(st.want)
		slices.Sort(want)
		if !slices.Equal(synced, want) {
			t.Fatalf("%s: synced %v, want %v", st.name, synced, want)
		}
	}
}

// TestLogFilesFdatasyncKeepsDescriptors syncs through real descriptors (no
// hook), which stay open for the next sync and are closed once their file
// is gone.
func TestLogFilesFdatasyncKeepsDescriptors(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"00001.mem", "00002.mem", "000001.vlog"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	w := logFiles{dir: dir}
	defer w.close()
	if err := w.sync(); err != nil {
		t.Fatal(err)
	}
	if len(w.open) != 3 {
		t.Fatalf("open descriptors %v, want 3", w.open)
	}
	os.Remove(filepath.Join(dir, "00001.mem"))
	if err := w.sync(); err != nil {
		t.Fatal(err)
	}
	if _, ok := w.open["00001.mem"]; ok || len(w.open) != 2 {
		t.Fatalf("open descriptors %v after a file was deleted, want 2", w.open)
	}
	w.close()
	if len(w.open) != 0 {
		t.Fatalf("open descriptors %v after close", w.open)
	}
}

// TestSyncCoversRotatedMemtables writes more than a (small) memtable holds
// from many writers at once (through the writer directly: an Enqueue is
// durable by the journal and syncs Badger's files only at checkpoints), so Badger rotates its WAL while batches are in
// flight, and checks that every WAL file present afterwards was synced by
// the store (it fails when rotated files are never synced). That a sealed
// file is synced again after its last write is pinned down by
// TestLogFilesSyncsActiveAndSealedFiles, which this test cannot observe.
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
				if err := enqueueUnjournaled(s, m); err != nil {
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

// enqueueUnjournaled applies m through the writer as a write that is not an
// Enqueue: it is durable only once the writer has synced Badger's files.
func enqueueUnjournaled(s *Store, m *Message) error {
	m.ID, m.ReceivedAt = NewID(), time.Now()
	rec := encodeMessage(m)
	return s.submit(context.Background(), len(rec), func(b *batch) error {
		b.enqueue(m, rec)
		return nil
	})
}

// fsyncFile fsyncs path, as the observed syncs in these tests do.
func fsyncFile(path string) error {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil // flushed to an SSTable and deleted meanwhile: durable
	}
	if err != nil {
		return fmt.Errorf("open WAL %s: %w", path, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync WAL %s: %w", path, err)
	}
	return nil
}
