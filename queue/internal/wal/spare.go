package wal

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// numberSpares makes new spare names follow the ones found.
func (l *Log) numberSpares(spares []string) {
	for _, name := range spares {
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, sparePrefix), segSuffix))
		l.nspare = max(l.nspare, n+1)
	}
}

// keepOrRemove keeps the file name as a spare, or removes it when there
// are enough spares. Called with mu held.
func (l *Log) keepOrRemove(name string) error {
	path := filepath.Join(l.dir, name)
	if len(l.spares) >= maxSpares {
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("remove journal segment: %w", err)
		}
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("open journal segment: %w", err)
	}
	sp := &segment{f: f, path: path}
	if !strings.HasPrefix(name, sparePrefix) {
		if err := l.renameSpare(sp); err != nil {
			f.Close()
			return err
		}
	}
	l.spares = append(l.spares, sp)
	return nil
}

// roomFor reports whether one more segment fits on disk. Only the spare
// made ahead of time asks: a rotation with no spare makes its segment
// anyway, since refusing it would stop every write until something else
// released a segment.
func (l *Log) roomFor() bool {
	return l.opts.MayGrow == nil || l.opts.MayGrow(l.opts.SegmentSize)
}

// prepareSpareLocked zero-fills a spare segment in the background when none
// is waiting, so that the next rotation finds one: a segment created at
// rotation is 8 MiB of zeroes and an fdatasync written on the writing
// goroutine, a stall of tens of ms for every write behind it. If this
// fails (a full disk), rotation creates the segment itself and reports the
// error.
func (l *Log) prepareSpareLocked() {
	if l.preparing || l.closed || len(l.spares) > 0 || !l.roomFor() {
		return
	}
	l.preparing = true
	path := filepath.Join(l.dir, fmt.Sprintf("%s%d%s", sparePrefix, l.nspare, segSuffix))
	l.nspare++
	l.prep.Add(1)
	go func() {
		defer l.prep.Done()
		f, err := l.createSegment(path)
		l.mu.Lock()
		defer l.mu.Unlock()
		l.preparing = false
		switch {
		case err != nil:
		case l.closed:
			f.Close() // a spare for the next Open
		case len(l.spares) >= maxSpares:
			f.Close()
			os.Remove(path)
		default:
			l.spares = append(l.spares, &segment{f: f, path: path})
		}
	}()
}

// WaitSpare waits until the spare being prepared in the background, if
// any, is ready (or failed), and returns how many spares are waiting.
func (l *Log) WaitSpare() int {
	l.prep.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.spares)
}

// renameSpare gives a released segment a spare name, so no Open reads it.
func (l *Log) renameSpare(sp *segment) error {
	path := filepath.Join(l.dir, fmt.Sprintf("%s%d%s", sparePrefix, l.nspare, segSuffix))
	l.nspare++
	if err := os.Rename(sp.path, path); err != nil {
		return fmt.Errorf("release journal segment: %w", err)
	}
	sp.path = path
	return nil
}

// newSegmentLocked makes the segment whose first record is seq: a spare
// renamed, or a new file of SegmentSize zeroes (allocated, so that later
// fdatasyncs have no metadata to write). The caller syncs the directory.
func (l *Log) newSegmentLocked(first uint64) (*segment, error) {
	path := filepath.Join(l.dir, fmt.Sprintf("%020d%s", first, segSuffix))
	var f *os.File
	if n := len(l.spares); n > 0 {
		sp := l.spares[n-1]
		l.spares = l.spares[:n-1]
		if err := os.Rename(sp.path, path); err != nil {
			sp.f.Close()
			return nil, fmt.Errorf("reuse journal segment: %w", err)
		}
		f = sp.f
	} else {
		var err error
		if f, err = l.createSegment(path); err != nil {
			return nil, err
		}
	}
	return &segment{f: f, path: path, salt: newSalt(), first: first, off: headerLen}, nil
}

// createSegment creates a segment file of SegmentSize zeroes, counted by
// the caller (Growing, Grown) while it is written.
func (l *Log) createSegment(path string) (*os.File, error) {
	if l.opts.Growing != nil {
		l.opts.Growing(l.opts.SegmentSize)
	}
	f, err := createZeroed(path, l.opts.SegmentSize)
	if l.opts.Grown != nil {
		l.opts.Grown(l.opts.SegmentSize) // created (shows in the next reading) or removed
	}
	return f, err
}
