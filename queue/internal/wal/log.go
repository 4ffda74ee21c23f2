package wal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// DefaultSegmentSize is the size a segment file is preallocated to.
const DefaultSegmentSize = 8 << 20

// maxKeptBuf caps the write buffer kept between groups.
const maxKeptBuf = 16 << 20

// Options configure a Log.
type Options struct {
	// SegmentSize is each segment file's preallocated size (0 =
	// DefaultSegmentSize). A group larger than a segment grows its file.
	SegmentSize int64
	// Sync makes Sync fdatasync; without it records reach the page cache
	// only.
	Sync bool
	// MayGrow says whether n more bytes fit on disk (nil = always); only
	// the spare made ahead of need asks. Growing and Grown (nil = none)
	// bracket the creation of a segment file, so the caller can count its
	// bytes before they show in a reading of the disk.
	MayGrow        func(n int64) bool
	Growing, Grown func(n int64)
}

// Log is an open write-ahead log.
type Log struct {
	dir  string
	opts Options

	// Owned by the writing goroutine (Write, Sync).
	cur *segment
	seq uint64 // last seq written
	buf []byte

	// checkpointed: the last checkpoint's seq as Open read it.
	checkpointed uint64

	mu        sync.Mutex
	sealed    []*segment // full segments not yet released, oldest first
	spares    []*segment // released or prepared files waiting for reuse
	nspare    int        // names spare files
	preparing bool       // a spare is being zero-filled (prepareSpareLocked)
	closed    bool
	prep      sync.WaitGroup
}

// Open opens the log in dir (creating it) and returns every valid record
// it holds, in seq order. Nothing can be written until Start.
func Open(dir string, opts Options) (*Log, []Record, error) {
	if opts.SegmentSize <= 0 {
		opts.SegmentSize = DefaultSegmentSize
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("create journal directory: %w", err)
	}
	recs, err := readAll(dir)
	if err != nil {
		return nil, nil, err
	}
	return &Log{dir: dir, opts: opts, closed: true, checkpointed: readCheckpoint(dir)}, recs, nil
}

// Start turns every existing segment into a spare (the caller has applied
// and made durable every record Open returned), records after as the last
// checkpoint, and opens a new segment whose first seq follows after.
func (l *Log) Start(after uint64) error {
	segs, spares, err := segmentFiles(l.dir)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = false
	l.numberSpares(spares)
	for _, name := range append(segs, spares...) {
		if err := l.keepOrRemove(name); err != nil {
			return err
		}
	}
	// A segment being zero-filled when the process stopped.
	tmps, _ := filepath.Glob(filepath.Join(l.dir, "*"+segSuffix+".tmp"))
	for _, t := range tmps {
		os.Remove(t)
	}
	l.seq = after
	if err := l.MarkCheckpoint(after); err != nil {
		return err
	}
	cur, err := l.newSegmentLocked(after + 1)
	if err != nil {
		return err
	}
	l.cur = cur
	l.prepareSpareLocked()
	return syncDir(l.dir)
}

// Write writes entries as the next records, in one pwrite, and returns the
// seq of the first; Sync makes them durable. A group always lands in one
// segment: when it does not fit, the current one is sealed first (Sync has
// made everything in it durable by then: the caller syncs every group).
func (l *Log) Write(entries []Entry) (first uint64, err error) {
	size := int64(0)
	for _, e := range entries {
		size += recordSize(e)
	}
	if l.cur.last != 0 && l.cur.off+size > l.opts.SegmentSize {
		if err := l.rotate(); err != nil {
			return 0, err
		}
	}
	cur := l.cur
	b := l.buf[:0]
	at := cur.off
	if cur.last == 0 {
		// The header goes with the first records: one write, one sync.
		at = 0
		b = appendSegmentHeader(b, cur.salt, cur.first)
	}
	first = l.seq + 1
	for i, e := range entries {
		b = appendRecord(b, cur.salt, first+uint64(i), e)
	}
	if cap(b) <= maxKeptBuf {
		l.buf = b
	}
	if _, err := cur.f.WriteAt(b, at); err != nil {
		return 0, fmt.Errorf("write journal %s: %w", cur.path, err)
	}
	cur.off = at + int64(len(b))
	l.seq += uint64(len(entries))
	cur.last = l.seq
	return first, nil
}

// Sync fdatasyncs what Write wrote (nothing without Options.Sync).
func (l *Log) Sync() error {
	if !l.opts.Sync {
		return nil
	}
	if err := fdatasync(l.cur.f); err != nil {
		return fmt.Errorf("sync journal %s: %w", l.cur.path, err)
	}
	return nil
}

// Syncs reports whether Sync fdatasyncs (Options.Sync).
func (l *Log) Syncs() bool { return l.opts.Sync }

// rotate seals the current segment and starts the next.
func (l *Log) rotate() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	next, err := l.newSegmentLocked(l.seq + 1)
	if err != nil {
		return err
	}
	l.prepareSpareLocked()
	if err := syncDir(l.dir); err != nil {
		next.f.Close()
		return err
	}
	l.sealed = append(l.sealed, l.cur)
	l.cur = next
	return nil
}

// Checkpoint releases the sealed segments whose records are all ≤ applied:
// it calls syncStore first (nil = the caller's store is durable already),
// so that what the released records said is durable elsewhere before they
// go, then records applied as the last checkpoint (MarkCheckpoint).
func (l *Log) Checkpoint(applied uint64, syncStore func() error) error {
	upto := l.releasable(applied)
	if upto == 0 {
		return nil
	}
	if syncStore != nil {
		if err := syncStore(); err != nil {
			return fmt.Errorf("checkpoint journal: %w", err)
		}
	}
	// Before the release: a record released is one the file covers.
	if err := l.MarkCheckpoint(applied); err != nil {
		return err
	}
	return l.release(upto)
}

// releasable returns the last seq of the newest sealed segment whose
// records are all ≤ applied; 0 = nothing to release.
func (l *Log) releasable(applied uint64) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var upto uint64
	for _, sg := range l.sealed {
		if sg.last > applied {
			break
		}
		upto = sg.last
	}
	return upto
}

// release turns sealed segments whose records are all ≤ upto into spares.
func (l *Log) release(upto uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var errs []error
	for len(l.sealed) > 0 && l.sealed[0].last <= upto {
		sg := l.sealed[0]
		l.sealed = l.sealed[1:]
		if len(l.spares) >= maxSpares {
			sg.f.Close()
			if err := os.Remove(sg.path); err != nil {
				errs = append(errs, fmt.Errorf("remove journal segment: %w", err))
			}
			continue
		}
		if err := l.renameSpare(sg); err != nil {
			sg.f.Close()
			errs = append(errs, err)
			continue
		}
		l.spares = append(l.spares, sg)
	}
	return errors.Join(errs...)
}

// SegmentSize is the size segment files are preallocated to.
func (l *Log) SegmentSize() int64 { return l.opts.SegmentSize }

// Close closes every file, after the spare being prepared (if any) is done.
// Safe to call twice; Start opens the log again.
func (l *Log) Close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.prep.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, sg := range append(append(l.sealed, l.spares...), l.cur) {
		if sg != nil {
			sg.f.Close()
		}
	}
	l.sealed, l.spares, l.cur = nil, nil, nil
}
