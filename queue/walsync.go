package queue

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// walFiles tracks Badger's memtable write-ahead logs (*.mem).
//
// Why: db.Sync() syncs only the active memtable's WAL (and the value log).
// When a memtable fills, Badger moves it to the flush queue without syncing
// its WAL. The writer commits batch N+1 while batch N's fsync is pending, so
// N+1 can rotate the memtable that holds N; db.Sync() would then sync the new
// WAL and N would be acknowledged with its WAL pages still dirty. kill -9
// loses nothing (the page cache survives), but a power cut could. So after
// every db.Sync() we look for WAL files we have not seen and fsync those too:
// a rotation happens every MemTableSize bytes, so this is rare and cheap.
type walFiles struct {
	dir  string
	seen []string // sorted names of *.mem files known to be synced
	// fsync is fsyncFile; tests replace it to see which files are synced.
	fsync func(path string) error
}

// syncNew fsyncs every *.mem file that appeared since the last call. The
// active memtable's WAL was just synced by db.Sync(); syncing it again when
// it is new costs one more fsync per rotation.
func (w *walFiles) syncNew() error {
	entries, err := os.ReadDir(w.dir)
	if err != nil {
		return fmt.Errorf("list WAL files in %s: %w", w.dir, err)
	}
	current := make([]string, 0, 4)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".mem") {
			current = append(current, e.Name())
		}
	}
	for _, name := range current {
		if _, found := slices.BinarySearch(w.seen, name); found {
			continue
		}
		sync := w.fsync
		if sync == nil {
			sync = fsyncFile
		}
		if err := sync(filepath.Join(w.dir, name)); err != nil {
			return err
		}
	}
	w.seen = current // ReadDir returns names sorted
	return nil
}

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
