package wal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func openTestLog(t *testing.T, segSize int64) *Log {
	t.Helper()
	l, recs, err := Open(t.TempDir(), Options{SegmentSize: segSize, Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 0 {
		t.Fatalf("a new log holds %d records", len(recs))
	}
	if err := l.Start(0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l
}

func entries(ps ...[]byte) []Entry {
	var es []Entry
	for i, p := range ps {
		es = append(es, Entry{Kind: Kind(1 + i%3), Payload: p})
	}
	return es
}

func writeGroups(t *testing.T, l *Log, groups, perGroup int) []Entry {
	t.Helper()
	var all []Entry
	for g := 0; g < groups; g++ {
		var ps [][]byte
		for i := 0; i < perGroup; i++ {
			ps = append(ps, fmt.Appendf(nil, "record %d.%d %s", g, i, bytes.Repeat([]byte{'x'}, g*7%50)))
		}
		es := entries(ps...)
		if _, err := l.Write(es); err != nil {
			t.Fatal(err)
		}
		if err := l.Sync(); err != nil {
			t.Fatal(err)
		}
		all = append(all, es...)
	}
	return all
}

func checkReplay(t *testing.T, l *Log, want []Entry, firstSeq uint64) {
	t.Helper()
	recs, err := readAll(l.dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(want) {
		t.Fatalf("read %d records, want %d", len(recs), len(want))
	}
	for i, r := range recs {
		if r.Seq != firstSeq+uint64(i) || r.Kind != want[i].Kind || !bytes.Equal(r.Payload, want[i].Payload) {
			t.Fatalf("record %d: seq %d kind %d %q, want seq %d kind %d %q", i, r.Seq, r.Kind, r.Payload,
				firstSeq+uint64(i), want[i].Kind, want[i].Payload)
		}
	}
}

func TestLogReadsEveryRecordAcrossSegments(t *testing.T) {
	l := openTestLog(t, 4<<10)
	want := writeGroups(t, l, 100, 5)
	if len(l.sealed) < 3 {
		t.Fatalf("%d sealed segments: the test needs rotations", len(l.sealed))
	}
	checkReplay(t, l, want, 1)
}

// Open returns what the segments hold; Start after it turns them into
// spares, so a second Open finds nothing to apply again.
func TestOpenReturnsRecordsAndStartRetiresThem(t *testing.T) {
	dir := t.TempDir()
	l, _, err := Open(dir, Options{SegmentSize: 4 << 10, Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Start(0); err != nil {
		t.Fatal(err)
	}
	want := writeGroups(t, l, 20, 5)
	l.Close()
	l, recs, err := Open(dir, Options{SegmentSize: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(want) || recs[len(recs)-1].Seq != uint64(len(want)) {
		t.Fatalf("Open returned %d records, want %d", len(recs), len(want))
	}
	if err := l.Start(uint64(len(want))); err != nil {
		t.Fatal(err)
	}
	got := writeGroups(t, l, 1, 1)
	l.Close()
	_, recs, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Seq != uint64(len(want))+1 || !bytes.Equal(recs[0].Payload, got[0].Payload) {
		t.Fatalf("after Start: %d records (first %+v), want only the one written after", len(recs), recs)
	}
}

// A crash may leave a torn last write: a read keeps every record before it.
func TestLogStopsAtATornRecord(t *testing.T) {
	cases := []struct {
		name string
		tear func(b []byte, lastStart int) []byte
	}{
		{"cut short", func(b []byte, last int) []byte { return b[:last+recordHeaderLen+3] }},
		{"payload byte flipped", func(b []byte, last int) []byte { b[last+recordHeaderLen+1] ^= 1; return b }},
		{"kind byte flipped", func(b []byte, last int) []byte { b[last+recordHeaderLen] ^= 1; return b }},
		{"zeroed", func(b []byte, last int) []byte { clear(b[last:]); return b }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := openTestLog(t, 1<<20)
			want := writeGroups(t, l, 3, 4)
			path := l.cur.path
			b, _ := os.ReadFile(path)
			last := int(l.cur.off - recordSize(want[len(want)-1]))
			if err := os.WriteFile(path, c.tear(b, last), 0o600); err != nil {
				t.Fatal(err)
			}
			checkReplay(t, l, want[:len(want)-1], 1)
		})
	}
}

// Released segments are reused: what they held before must never be read,
// even where an old record sits exactly where the next new one would, with
// the seq it would have (seqs restart when the caller lost its seq).
func TestLogNeverReadsARecycledSegmentsOldRecords(t *testing.T) {
	l := openTestLog(t, 1<<20)
	same := func(n int) []Entry {
		var ps [][]byte
		for i := 0; i < n; i++ {
			ps = append(ps, []byte("same-size record"))
		}
		return entries(ps...)
	}
	if _, err := l.Write(same(10)); err != nil {
		t.Fatal(err)
	}
	old, err := os.Stat(l.cur.path)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	// Leave the old segment as the only file to reuse: no prepared spare.
	spares, _ := filepath.Glob(filepath.Join(l.dir, sparePrefix+"*"))
	for _, p := range spares {
		os.Remove(p)
	}
	if err := l.Start(0); err != nil {
		t.Fatal(err)
	}
	if now, err := os.Stat(l.cur.path); err != nil || !os.SameFile(old, now) {
		t.Fatalf("the new segment should reuse the old file (%v)", err)
	}
	want := same(2)
	if _, err := l.Write(want); err != nil {
		t.Fatal(err)
	}
	checkReplay(t, l, want, 1)
}

// A fresh log has no released segment to reuse: it zero-fills the next
// one in the background, so that a rotation renames a ready file instead of
// writing 8 MiB of zeroes while every write waits.
func TestLogPreparesTheNextSegmentInTheBackground(t *testing.T) {
	l := openTestLog(t, 64<<10)
	ready := func() os.FileInfo {
		t.Helper()
		if n := l.WaitSpare(); n != 1 {
			t.Fatalf("%d spare segments ready, want 1", n)
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		fi, err := os.Stat(l.spares[0].path)
		if err != nil || fi.Size() != 64<<10 {
			t.Fatalf("spare segment: %v (size %d)", err, fi.Size())
		}
		return fi
	}
	for rotation := 1; rotation <= 3; rotation++ {
		spare := ready()
		for len(l.sealed) < rotation {
			writeGroups(t, l, 1, 20)
		}
		cur, err := os.Stat(l.cur.path)
		if err != nil || !os.SameFile(spare, cur) {
			t.Fatalf("rotation %d did not take the prepared segment (%v)", rotation, err)
		}
	}
	ready()
}

// Checkpoint releases only segments whose every record is applied, and
// only after the caller's store is synced.
func TestCheckpointReleasesAppliedSegmentsAfterTheStoreSync(t *testing.T) {
	l := openTestLog(t, 4<<10)
	writeGroups(t, l, 80, 5)
	if len(l.sealed) < 3 {
		t.Fatalf("%d sealed segments: the test needs rotations", len(l.sealed))
	}
	mid := l.sealed[1].last
	synced := 0
	if err := l.Checkpoint(mid-1, func() error { synced++; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(l.sealed) == 0 || l.sealed[0].last != mid || synced != 1 {
		t.Fatalf("up to %d applied: the first segment only should go (the second is not all applied), after one sync (%d)", mid-1, synced)
	}
	failed := errors.New("store sync failed")
	if err := l.Checkpoint(mid, func() error { return failed }); !errors.Is(err, failed) {
		t.Fatalf("checkpoint with a failed store sync: %v", err)
	}
	if l.sealed[0].last != mid {
		t.Fatal("a segment was released although the store sync failed")
	}
	if err := l.Checkpoint(mid, nil); err != nil {
		t.Fatal(err)
	}
	if len(l.sealed) == 0 || l.sealed[0].first != mid+1 {
		t.Fatalf("after a checkpoint at %d the oldest sealed segment should start at %d", mid, mid+1)
	}
	recs, _ := readAll(l.dir)
	if recs[0].Seq != mid+1 {
		t.Fatalf("after a checkpoint at %d a read starts at %d", mid, recs[0].Seq)
	}
}

// A body larger than a segment (max_body_size may allow it) goes into a
// segment of its own, grown past its preallocated size.
func TestLogTakesARecordLargerThanASegment(t *testing.T) {
	l := openTestLog(t, 4<<10)
	want := writeGroups(t, l, 3, 2)
	big := bytes.Repeat([]byte("big"), 10<<10)
	for _, g := range [][]Entry{entries(big), entries([]byte("after"))} {
		if _, err := l.Write(g); err != nil {
			t.Fatal(err)
		}
		if err := l.Sync(); err != nil {
			t.Fatal(err)
		}
		want = append(want, g...)
	}
	checkReplay(t, l, want, 1)
}

// A spare being zero-filled when the process died is left as a .tmp file;
// the next Start removes it rather than keep 8 MiB nobody uses.
func TestStartRemovesAHalfWrittenSpare(t *testing.T) {
	l := openTestLog(t, 64<<10)
	l.Close()
	tmp := filepath.Join(l.dir, sparePrefix+"7"+segSuffix+".tmp")
	if err := os.WriteFile(tmp, make([]byte, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := l.Start(0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("half-written spare still there: %v", err)
	}
}

// The last checkpoint's seq survives the process, so a store that claims
// more than it has (a power cut kept its keys, not their values) is
// re-applied from the checkpoint; one not reached (a failed store sync) is
// not recorded, and a torn file reads as none (re-apply everything).
func TestCheckpointSeqIsKeptAcrossOpens(t *testing.T) {
	l := openTestLog(t, 4<<10)
	writeGroups(t, l, 80, 5)
	mid := l.sealed[1].last
	if err := l.Checkpoint(mid, func() error { return errors.New("store sync failed") }); err == nil {
		t.Fatal("a checkpoint whose store sync failed succeeded")
	}
	reopened := func() uint64 {
		t.Helper()
		r, _, err := Open(l.dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return r.Checkpointed()
	}
	if got := reopened(); got != 0 {
		t.Fatalf("after a failed checkpoint the log records %d, want 0 (Start's)", got)
	}
	if err := l.Checkpoint(mid, nil); err != nil {
		t.Fatal(err)
	}
	if got := reopened(); got != mid {
		t.Fatalf("checkpoint at %d, reopened: %d", mid, got)
	}
	path := filepath.Join(l.dir, checkpointFile)
	b, _ := os.ReadFile(path)
	b[0] ^= 1
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := reopened(); got != 0 {
		t.Fatalf("a torn checkpoint file reads as %d, want 0", got)
	}
}
