package queue

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// The journal is where an Enqueue becomes durable: the ingest write-ahead
// log. Each group of Enqueues is one pwrite of its message records into a
// preallocated segment file and one fdatasync; the same records are applied
// to Badger meanwhile, and Badger's own files are synced only when a
// segment is released (and for every write that is not an Enqueue).
//
// Why not fsync Badger's files per group, as before: its WAL and value log
// are sparse mmapped files, so each fdatasync also allocates blocks and
// commits the filesystem journal (~1.9 ms under load here, against ~1 ms
// for a preallocated file), and every page it cleans faults again on the
// next write. docs/BENCHMARKS.md has the figures.
//
// Segment file "<first seq, 20 digits>.wal":
//
//	header  magic(8) salt(8) first(8) crc32c(4) pad(4)
//	record  crc32c(4) len(4) seq(8) payload(len)
//
// A record's crc covers the segment's salt, its len, seq and payload. The
// salt is new each time a file becomes a segment, so records left over from
// the file's earlier use never verify; seqs run on without gaps, so a
// replay stops at the first record that is torn, stale or zeroed.
// Released segments are renamed "spare-N.wal" and reused, so steady-state
// writes land on allocated blocks and fdatasync has no metadata to commit.
const (
	journalDir        = "journal"
	journalMagic      = "RLYJNL01"
	journalHeaderLen  = 32
	recordHeaderLen   = 16
	journalSegSize    = 8 << 20
	journalMaxSpares  = 2
	journalZeroChunk  = 1 << 20
	journalSegSuffix  = ".wal"
	journalSparePrefx = "spare-"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// journalRecord is one record read back by a replay.
type journalRecord struct {
	seq     uint64
	payload []byte
}

// segment is one journal file in use.
type segment struct {
	f     *os.File
	path  string
	salt  uint64
	first uint64 // seq of its first record (its name)
	last  uint64 // seq of its last record; 0 = none yet
	off   int64  // where the next record goes
}

// journal appends records for the journal goroutine and releases applied
// segments for the syncer.
type journal struct {
	dir     string
	segSize int64
	sync    bool

	// Owned by the journal goroutine.
	cur *segment
	seq uint64 // last seq written
	buf []byte

	mu        sync.Mutex
	sealed    []*segment // full segments not yet released, oldest first
	spares    []*segment // released or prepared files waiting for reuse
	nspare    int        // names spare files
	preparing bool       // a spare is being zero-filled (prepareSpareLocked)
	closed    bool
	prep      sync.WaitGroup
	// mayGrow says whether n more bytes fit under storage.max_disk and
	// above storage.min_free (Store.roomFor); nil = always. growing and
	// grown (nil = none) bracket the creation of a segment file, so that
	// the store counts its bytes before they show in a reading.
	mayGrow        func(n int64) bool
	growing, grown func(n int64)
}

// openJournal opens the journal directory under dir, creating it.
func openJournal(dir string, segSize int64, sync bool) (*journal, error) {
	if segSize <= 0 {
		segSize = journalSegSize
	}
	j := &journal{dir: filepath.Join(dir, journalDir), segSize: segSize, sync: sync}
	if err := os.MkdirAll(j.dir, 0o700); err != nil {
		return nil, fmt.Errorf("create journal directory: %w", err)
	}
	return j, nil
}

// segmentFiles lists the journal's segment files in seq order.
func (j *journal) segmentFiles() (segs []string, spares []string, err error) {
	entries, err := os.ReadDir(j.dir)
	if err != nil {
		return nil, nil, fmt.Errorf("list journal %s: %w", j.dir, err)
	}
	type named struct {
		name  string
		first uint64
	}
	var found []named
	for _, e := range entries {
		name := e.Name()
		base, ok := strings.CutSuffix(name, journalSegSuffix)
		if !ok || e.IsDir() {
			continue
		}
		if strings.HasPrefix(base, journalSparePrefx) {
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

// replay reads every record of every segment, in seq order, and returns
// them with the highest seq seen.
func (j *journal) replay() ([]journalRecord, uint64, error) {
	segs, _, err := j.segmentFiles()
	if err != nil {
		return nil, 0, err
	}
	var out []journalRecord
	var maxSeq uint64
	for _, name := range segs {
		b, err := os.ReadFile(filepath.Join(j.dir, name))
		if err != nil {
			return nil, 0, fmt.Errorf("read journal segment %s: %w", name, err)
		}
		for _, r := range readSegment(b) {
			out = append(out, r)
			maxSeq = max(maxSeq, r.seq)
		}
	}
	return out, maxSeq, nil
}

// readSegment returns the valid records of a segment file's bytes: it stops
// at the first record that is torn, stale (another salt) or out of seq.
func readSegment(b []byte) []journalRecord {
	if len(b) < journalHeaderLen || string(b[:8]) != journalMagic ||
		crc32.Checksum(b[:24], castagnoli) != binary.LittleEndian.Uint32(b[24:28]) {
		return nil
	}
	salt := binary.LittleEndian.Uint64(b[8:16])
	next := binary.LittleEndian.Uint64(b[16:24])
	var out []journalRecord
	for off := journalHeaderLen; len(b)-off >= recordHeaderLen; {
		h := b[off : off+recordHeaderLen]
		n := int(binary.LittleEndian.Uint32(h[4:8]))
		seq := binary.LittleEndian.Uint64(h[8:16])
		if seq != next || n > len(b)-off-recordHeaderLen {
			break
		}
		payload := b[off+recordHeaderLen : off+recordHeaderLen+n]
		if recordCRC(salt, h[4:16], payload) != binary.LittleEndian.Uint32(h[0:4]) {
			break
		}
		out = append(out, journalRecord{seq: seq, payload: payload})
		next++
		off += recordHeaderLen + n
	}
	return out
}

func recordCRC(salt uint64, lenSeq, payload []byte) uint32 {
	var s [8]byte
	binary.LittleEndian.PutUint64(s[:], salt)
	c := crc32.Update(0, castagnoli, s[:])
	c = crc32.Update(c, castagnoli, lenSeq)
	return crc32.Update(c, castagnoli, payload)
}

// restart turns every existing segment into a spare (their records are all
// in Badger and synced: the caller replayed them) and opens a new segment
// whose first seq follows after.
func (j *journal) restart(after uint64) error {
	segs, spares, err := j.segmentFiles()
	if err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.closed = false
	for _, name := range spares {
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, journalSparePrefx), journalSegSuffix))
		j.nspare = max(j.nspare, n+1)
	}
	for _, name := range append(segs, spares...) {
		path := filepath.Join(j.dir, name)
		if len(j.spares) >= journalMaxSpares {
			if err := os.Remove(path); err != nil {
				return fmt.Errorf("remove journal segment: %w", err)
			}
			continue
		}
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("open journal segment: %w", err)
		}
		sp := &segment{f: f, path: path}
		if !strings.HasPrefix(name, journalSparePrefx) {
			if err := j.renameSpare(sp); err != nil {
				f.Close()
				return err
			}
		}
		j.spares = append(j.spares, sp)
	}
	// A segment being zero-filled when the process stopped.
	tmps, _ := filepath.Glob(filepath.Join(j.dir, "*"+journalSegSuffix+".tmp"))
	for _, t := range tmps {
		os.Remove(t)
	}
	j.seq = after
	cur, err := j.newSegmentLocked(after + 1)
	if err != nil {
		return err
	}
	j.cur = cur
	j.prepareSpareLocked()
	return syncDir(j.dir)
}

// roomFor reports whether one more segment fits under storage.max_disk and
// above storage.min_free. Only the spare made ahead of time asks: a
// rotation with no spare makes its segment anyway, out of the min_free
// margin and past max_disk (the one segment it may overshoot by), since
// refusing it would stop ingest until something else released a segment.
func (j *journal) roomFor() bool { return j.mayGrow == nil || j.mayGrow(j.segSize) }

// prepareSpareLocked zero-fills a spare segment in the background when none
// is waiting, so that the next rotation finds one: a segment created at
// rotation is 8 MiB of zeroes and an fdatasync written on the journal
// goroutine, a stall of tens of ms for every Enqueue behind it. Until
// segments are released, a fresh store has no other spare. If this fails
// (a full disk), rotation creates the segment itself and reports the error.
func (j *journal) prepareSpareLocked() {
	if j.preparing || j.closed || len(j.spares) > 0 || !j.roomFor() {
		return
	}
	j.preparing = true
	path := filepath.Join(j.dir, fmt.Sprintf("%s%d%s", journalSparePrefx, j.nspare, journalSegSuffix))
	j.nspare++
	j.prep.Add(1)
	go func() {
		defer j.prep.Done()
		f, err := j.createSegment(path)
		j.mu.Lock()
		defer j.mu.Unlock()
		j.preparing = false
		switch {
		case err != nil:
		case j.closed:
			f.Close() // a spare for the next Open
		case len(j.spares) >= journalMaxSpares:
			f.Close()
			os.Remove(path)
		default:
			j.spares = append(j.spares, &segment{f: f, path: path})
		}
	}()
}

// renameSpare gives a released segment a spare name, so no replay reads it.
func (j *journal) renameSpare(sp *segment) error {
	path := filepath.Join(j.dir, fmt.Sprintf("%s%d%s", journalSparePrefx, j.nspare, journalSegSuffix))
	j.nspare++
	if err := os.Rename(sp.path, path); err != nil {
		return fmt.Errorf("release journal segment: %w", err)
	}
	sp.path = path
	return nil
}

// newSegmentLocked makes the segment whose first record is seq: a spare
// renamed, or a new file of segSize zeroes (allocated, so that later
// fdatasyncs have no metadata to write). The caller syncs the directory.
func (j *journal) newSegmentLocked(first uint64) (*segment, error) {
	path := filepath.Join(j.dir, fmt.Sprintf("%020d%s", first, journalSegSuffix))
	var f *os.File
	if n := len(j.spares); n > 0 {
		sp := j.spares[n-1]
		j.spares = j.spares[:n-1]
		if err := os.Rename(sp.path, path); err != nil {
			sp.f.Close()
			return nil, fmt.Errorf("reuse journal segment: %w", err)
		}
		f = sp.f
	} else {
		var err error
		if f, err = j.createSegment(path); err != nil {
			return nil, err
		}
	}
	return &segment{f: f, path: path, salt: rand.Uint64(), first: first, off: journalHeaderLen}, nil
}

// createSegment creates a segment file of segSize zeroes, counted by the
// store (growing, grown) while it is written.
func (j *journal) createSegment(path string) (*os.File, error) {
	if j.growing != nil {
		j.growing(j.segSize)
	}
	f, err := createZeroed(path, j.segSize)
	if j.grown != nil {
		j.grown(j.segSize) // created (shows in the next reading) or removed
	}
	return f, err
}

func createZeroed(path string, size int64) (*os.File, error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create journal segment: %w", err)
	}
	zero := make([]byte, min(size, journalZeroChunk))
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

// write writes payloads as the next records and returns the seq of the
// first; flush makes them durable. A group always lands in one segment:
// when it does not fit, the current one is sealed first (flush has synced
// everything in it by then: the journal goroutine flushes every write).
func (j *journal) write(payloads [][]byte) (first uint64, err error) {
	size := int64(0)
	for _, p := range payloads {
		size += recordHeaderLen + int64(len(p))
	}
	if j.cur.last != 0 && j.cur.off+size > j.segSize {
		if err := j.rotate(); err != nil {
			return 0, err
		}
	}
	cur := j.cur
	b := j.buf[:0]
	at := cur.off
	if cur.last == 0 {
		// The header goes with the first records: one write, one sync.
		at = 0
		b = appendSegmentHeader(b, cur.salt, cur.first)
	}
	first = j.seq + 1
	for i, p := range payloads {
		var h [recordHeaderLen]byte
		binary.LittleEndian.PutUint32(h[4:8], uint32(len(p)))
		binary.LittleEndian.PutUint64(h[8:16], first+uint64(i))
		binary.LittleEndian.PutUint32(h[0:4], recordCRC(cur.salt, h[4:16], p))
		b = append(append(b, h[:]...), p...)
	}
	if cap(b) <= 4*maxBatchBytes {
		j.buf = b
	}
	if _, err := cur.f.WriteAt(b, at); err != nil {
		return 0, fmt.Errorf("write journal %s: %w", cur.path, err)
	}
	cur.off = at + int64(len(b))
	j.seq += uint64(len(payloads))
	cur.last = j.seq
	return first, nil
}

// flush fdatasyncs what write wrote (nothing without Options.Sync).
func (j *journal) flush() error {
	if !j.sync {
		return nil
	}
	if err := fdatasync(j.cur.f); err != nil {
		return fmt.Errorf("sync journal %s: %w", j.cur.path, err)
	}
	return nil
}

func appendSegmentHeader(b []byte, salt, first uint64) []byte {
	start := len(b)
	b = append(b, journalMagic...)
	b = binary.LittleEndian.AppendUint64(b, salt)
	b = binary.LittleEndian.AppendUint64(b, first)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli))
	return binary.LittleEndian.AppendUint32(b, 0)
}

// rotate seals the current segment and starts the next.
func (j *journal) rotate() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	next, err := j.newSegmentLocked(j.seq + 1)
	if err != nil {
		return err
	}
	j.prepareSpareLocked()
	if err := syncDir(j.dir); err != nil {
		next.f.Close()
		return err
	}
	j.sealed = append(j.sealed, j.cur)
	j.cur = next
	return nil
}

// releasable returns the last seq of the newest sealed segment, if all its
// records are applied (seq ≤ applied); 0 = nothing to release.
func (j *journal) releasable(applied uint64) uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	var upto uint64
	for _, sg := range j.sealed {
		if sg.last > applied {
			break
		}
		upto = sg.last
	}
	return upto
}

// release turns sealed segments whose records are all ≤ upto into spares;
// the caller has synced Badger after applying them.
func (j *journal) release(upto uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	var errs []error
	for len(j.sealed) > 0 && j.sealed[0].last <= upto {
		sg := j.sealed[0]
		j.sealed = j.sealed[1:]
		if len(j.spares) >= journalMaxSpares {
			sg.f.Close()
			if err := os.Remove(sg.path); err != nil {
				errs = append(errs, fmt.Errorf("remove journal segment: %w", err))
			}
			continue
		}
		if err := j.renameSpare(sg); err != nil {
			sg.f.Close()
			errs = append(errs, err)
			continue
		}
		j.spares = append(j.spares, sg)
	}
	return errors.Join(errs...)
}

func (j *journal) close() {
	j.mu.Lock()
	j.closed = true
	j.mu.Unlock()
	j.prep.Wait()
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, sg := range append(append(j.sealed, j.spares...), j.cur) {
		if sg != nil {
			sg.f.Close()
		}
	}
	j.sealed, j.spares, j.cur = nil, nil, nil
}

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
