package wal

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Released segments are renamed "spare-N.wal" and reused, so steady-state
// writes land on allocated blocks and fdatasync has no metadata to commit.
const (
	segSuffix   = ".wal"
	sparePrefix = "spare-"
	maxSpares   = 2
	zeroChunk   = 1 << 20
)

// segment is one segment file in use.
type segment struct {
	f     *os.File
	path  string
	salt  uint64
	first uint64 // seq of its first record (its name)
	last  uint64 // seq of its last record; 0 = none yet
	off   int64  // where the next record goes
}

// segmentFiles lists the directory's segment files in seq order, and its
// spares.
func segmentFiles(dir string) (segs []string, spares []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("list journal %s: %w", dir, err)
	}
	type named struct {
		name  string
		first uint64
	}
	var found []named
	for _, e := range entries {
		name := e.Name()
		base, ok := strings.CutSuffix(name, segSuffix)
		if !ok || e.IsDir() {
			continue
		}
		if strings.HasPrefix(base, sparePrefix) {
			spares = append(spares, name)
			continue
		}
		if first, err := strconv.ParseUint(base, 10, 64); err == nil {
			found = append(found, named{name, first})
		}
	}
	slices.SortFunc(found, func(a, b named) int { return cmp.Compare(a.first, b.first) })
	for _, n := range found {
		segs = append(segs, n.name)
	}
	return segs, spares, nil
}

// readAll reads every record of every segment of dir, in seq order.
func readAll(dir string) ([]Record, error) {
	segs, _, err := segmentFiles(dir)
	if err != nil {
		return nil, err
	}
	var out []Record
	for _, name := range segs {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read journal segment %s: %w", name, err)
		}
		out = append(out, ReadSegment(b)...)
	}
	return out, nil
}

// createZeroed creates path as size zeroes, synced, through a temporary
// name so that a crash leaves no short segment behind.
func createZeroed(path string, size int64) (*os.File, error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create journal segment: %w", err)
	}
	zero := make([]byte, min(size, zeroChunk))
	for off := int64(0); off < size && err == nil; off += int64(len(zero)) {
		_, err = f.Write(zero[:min(int64(len(zero)), size-off)])
	}
	if err == nil {
		err = fdatasync(f)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("create journal segment: %w", err)
	}
	return f, nil
}

func newSalt() uint64 { return rand.Uint64() }

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
