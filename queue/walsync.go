package queue

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// logFiles makes Badger's write-ahead files durable at a checkpoint: the
// memtable WALs (*.mem) and the value-log files (*.vlog). It replaces
// db.Sync(), for two reasons:
//
//   - Speed: db.Sync() msyncs the active WAL and then the active value log,
//     one after the other; each is a device cache flush (~0.6 ms here).
//     logFiles fdatasyncs them in parallel, on file descriptors it keeps
//     open, and the kernel merges the flushes. msync(MS_SYNC) is
//     vfs_fsync_range on the mapped file, so fdatasync of the same inode
//     writes the same dirty pages.
//   - Rotations: db.Sync() syncs only the *active* WAL and value log. When
//     a memtable fills (or a value log reaches its size) Badger switches to
//     a new file without syncing the old one, and the writer commits batch
//     N+1 while batch N's sync is pending, so N+1 can rotate the file that
//     holds N. logFiles therefore also syncs, once, every file that is no
//     longer the newest of its kind ("sealed": Badger writes to it no
//     more) and has not been synced since. Rotations happen every
//     MemTableSize / ValueLogFileSize bytes, so this is rare.
//
// Every write of a batch is in a file that exists when sync lists the
// directory (the batch's commit returned before), so listing first and
// syncing what is listed covers it. A file gone meanwhile was flushed to a
// synced SSTable (WAL) or rewritten by value-log GC: nothing to do.
type logFiles struct {
	dir string
	// fsync replaces fdatasync in tests, to see which files are synced.
	fsync func(path string) error

	open   map[string]*os.File // kept open to fdatasync without openat
	sealed map[string]bool     // not newest, synced since it stopped changing
}

// logFile is one WAL or value-log file: its Badger file id orders it.
type logFile struct {
	name string
	fid  uint64
}

// list returns the *.mem and *.vlog files in fid order.
func (w *logFiles) list() (mems, vlogs []logFile, err error) {
	entries, err := os.ReadDir(w.dir)
	if err != nil {
		return nil, nil, fmt.Errorf("list log files in %s: %w", w.dir, err)
	}
	for _, e := range entries {
		name := e.Name()
		base, ext, _ := strings.Cut(name, ".")
		fid, err := strconv.ParseUint(base, 10, 64)
		if err != nil {
			continue
		}
		switch ext {
		case "mem":
			mems = append(mems, logFile{name, fid})
		case "vlog":
			vlogs = append(vlogs, logFile{name, fid})
		}
	}
	// ReadDir sorts by name: "100000.mem" would come before "99999.mem".
	byFid := func(a, b logFile) int { return cmp.Compare(a.fid, b.fid) }
	slices.SortFunc(mems, byFid)
	slices.SortFunc(vlogs, byFid)
	return mems, vlogs, nil
}

// sync makes every write committed so far durable: it syncs the newest WAL
// and value log and every sealed file not synced yet, in parallel.
func (w *logFiles) sync() error {
	mems, vlogs, err := w.list()
	if err != nil {
		return err
	}
	var todo, seal []string
	present := make(map[string]bool, len(mems)+len(vlogs))
	for _, files := range [][]logFile{mems, vlogs} {
		for i, f := range files {
			present[f.name] = true
			switch {
			case i == len(files)-1:
				todo = append(todo, f.name) // active: synced every time
			case !w.sealed[f.name]:
				todo = append(todo, f.name)
				seal = append(seal, f.name)
			}
		}
	}
	if err := w.syncAll(todo); err != nil {
		return err
	}
	if w.sealed == nil {
		w.sealed = map[string]bool{}
	}
	for _, name := range seal {
		w.sealed[name] = true
	}
	w.forget(present)
	return nil
}

// syncAll syncs names in parallel: concurrent flushes cost about one.
func (w *logFiles) syncAll(names []string) error {
	if len(names) == 0 {
		return nil
	}
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i := 1; i < len(names); i++ {
		path, f, err := w.file(names[i])
		if err != nil {
			errs[i] = err
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = w.syncFile(path, f)
		}()
	}
	if path, f, err := w.file(names[0]); err != nil {
		errs[0] = err
	} else {
		errs[0] = w.syncFile(path, f)
	}
	wg.Wait()
	return errors.Join(errs...)
}

// file returns the open descriptor of name (nil when it is gone: flushed
// or collected meanwhile, so durable or no longer needed).
func (w *logFiles) file(name string) (string, *os.File, error) {
	path := filepath.Join(w.dir, name)
	if w.fsync != nil {
		return path, nil, nil
	}
	if f := w.open[name]; f != nil {
		return path, f, nil
	}
	// Read-write: fdatasync needs no more on Linux, FlushFileBuffers
	// (Windows) does.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return path, nil, nil
	}
	if err != nil {
		return path, nil, fmt.Errorf("open log file %s: %w", path, err)
	}
	if w.open == nil {
		w.open = map[string]*os.File{}
	}
	w.open[name] = f
	return path, f, nil
}

func (w *logFiles) syncFile(path string, f *os.File) error {
	if w.fsync != nil {
		return w.fsync(path)
	}
	if f == nil {
		return nil
	}
	if err := fdatasync(f); err != nil {
		return fmt.Errorf("fdatasync %s: %w", path, err)
	}
	return nil
}

// forget closes and drops what it knows of files no longer present.
func (w *logFiles) forget(present map[string]bool) {
	for name, f := range w.open {
		if !present[name] {
			f.Close()
			delete(w.open, name)
		}
	}
	for name := range w.sealed {
		if !present[name] {
			delete(w.sealed, name)
		}
	}
}

// close closes the descriptors kept open.
func (w *logFiles) close() {
	w.forget(nil)
}
