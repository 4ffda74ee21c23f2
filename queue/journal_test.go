package queue

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

func openTestJournal(t *testing.T, segSize int64) *journal {
	t.Helper()
	j, err := openJournal(t.TempDir(), segSize, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.restart(0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(j.close)
	return j
}

func writeGroups(t *testing.T, j *journal, groups, perGroup int) [][]byte {
	t.Helper()
	var all [][]byte
	for g := 0; g < groups; g++ {
		var ps [][]byte
		for i := 0; i < perGroup; i++ {
			ps = append(ps, fmt.Appendf(nil, "record %d.%d %s", g, i, bytes.Repeat([]byte{'x'}, g*7%50)))
		}
		if _, err := j.write(ps); err != nil {
			t.Fatal(err)
		}
		if err := j.flush(); err != nil {
			t.Fatal(err)
		}
		all = append(all, ps...)
	}
	return all
}

func checkReplay(t *testing.T, j *journal, want [][]byte, firstSeq uint64) {
	t.Helper()
	recs, _, err := j.replay()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(want) {
		t.Fatalf("replayed %d records, want %d", len(recs), len(want))
	}
	for i, r := range recs {
		if r.seq != firstSeq+uint64(i) || !bytes.Equal(r.payload, want[i]) {
			t.Fatalf("record %d: seq %d %q, want seq %d %q", i, r.seq, r.payload, firstSeq+uint64(i), want[i])
		}
	}
}

func TestJournalReplaysEveryRecordAcrossSegments(t *testing.T) {
	j := openTestJournal(t, 4<<10)
	want := writeGroups(t, j, 100, 5)
	if len(j.sealed) < 3 {
		t.Fatalf("%d sealed segments: the test needs rotations", len(j.sealed))
	}
	checkReplay(t, j, want, 1)
}

// A crash may leave a torn last write: replay keeps every record before it.
func TestJournalStopsAtATornRecord(t *testing.T) {
	cases := []struct {
		name string
		tear func(b []byte, lastStart int) []byte
	}{
		{"cut short", func(b []byte, last int) []byte { return b[:last+recordHeaderLen+3] }},
		{"payload byte flipped", func(b []byte, last int) []byte { b[last+recordHeaderLen] ^= 1; return b }},
		{"zeroed", func(b []byte, last int) []byte { clear(b[last:]); return b }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := openTestJournal(t, 1<<20)
			want := writeGroups(t, j, 3, 4)
			path := j.cur.path
			b, _ := os.ReadFile(path)
			last := int(j.cur.off) - recordHeaderLen - len(want[len(want)-1])
			if err := os.WriteFile(path, c.tear(b, last), 0o600); err != nil {
				t.Fatal(err)
			}
			checkReplay(t, j, want[:len(want)-1], 1)
		})
	}
}

// Released segments are reused: what they held before must never replay,
// even where an old record sits exactly where the next new one would, with
// the seq it would have (seqs restart when Badger lost its journal seq).
func TestJournalNeverReplaysARecycledSegmentsOldRecords(t *testing.T) {
	j := openTestJournal(t, 1<<20)
	same := func(n int) [][]byte {
		var ps [][]byte
		for i := 0; i < n; i++ {
			ps = append(ps, []byte("same-size record"))
		}
		return ps
	}
	if _, err := j.write(same(10)); err != nil {
		t.Fatal(err)
	}
	old, err := os.Stat(j.cur.path)
	if err != nil {
		t.Fatal(err)
	}
	j.close()
	// Leave the old segment as the only file to reuse: no prepared spare.
	spares, _ := filepath.Glob(filepath.Join(j.dir, journalSparePrefx+"*"))
	for _, p := range spares {
		os.Remove(p)
	}
	if err := j.restart(0); err != nil {
		t.Fatal(err)
	}
	if now, err := os.Stat(j.cur.path); err != nil || !os.SameFile(old, now) {
		t.Fatalf("the new segment should reuse the old file (%v)", err)
	}
	want := same(2)
	if _, err := j.write(want); err != nil {
		t.Fatal(err)
	}
	checkReplay(t, j, want, 1)
}

// A fresh journal has no released segment to reuse: it zero-fills the next
// one in the background, so that a rotation renames a ready file instead of
// writing 8 MiB of zeroes while every Enqueue waits.
func TestJournalPreparesTheNextSegmentInTheBackground(t *testing.T) {
	j := openTestJournal(t, 64<<10)
	ready := func() os.FileInfo {
		t.Helper()
		j.prep.Wait()
		j.mu.Lock()
		defer j.mu.Unlock()
		if len(j.spares) != 1 {
			t.Fatalf("%d spare segments ready, want 1", len(j.spares))
		}
		fi, err := os.Stat(j.spares[0].path)
		if err != nil || fi.Size() != 64<<10 {
			t.Fatalf("spare segment: %v (size %d)", err, fi.Size())
		}
		return fi
	}
	for rotation := 1; rotation <= 3; rotation++ {
		spare := ready()
		for len(j.sealed) < rotation {
			writeGroups(t, j, 1, 20)
		}
		cur, err := os.Stat(j.cur.path)
		if err != nil || !os.SameFile(spare, cur) {
			t.Fatalf("rotation %d did not take the prepared segment (%v)", rotation, err)
		}
	}
	ready()
}

// An acknowledged Enqueue is durable by its journal record alone: with
// Badger's files lost (as a power cut may lose what Badger had not synced),
// Open applies every record again, body and all.
func TestOpenAppliesJournalRecordsBadgerLost(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, func(o *Options) { o.Sync = true })
	var ids []string
	for i := 0; i < 50; i++ {
		m := msg("r", "a", "b")
		m.Body = bytes.Repeat([]byte{byte('a' + i%26)}, 300+i)
		ids = append(ids, enqueue(t, s, m))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	lost := t.TempDir()
	if err := os.CopyFS(filepath.Join(lost, journalDir), os.DirFS(filepath.Join(dir, journalDir))); err != nil {
		t.Fatal(err)
	}
	r := openTest(t, lost, func(o *Options) { o.Sync = true })
	for i, id := range ids {
		m, ds, err := r.Get(id)
		if err != nil {
			t.Fatalf("message %d after replay: %v", i, err)
		}
		if !bytes.Equal(m.Body, bytes.Repeat([]byte{byte('a' + i%26)}, 300+i)) || len(ds) != 2 {
			t.Fatalf("message %d after replay: body %d bytes, %d deliveries", i, len(m.Body), len(ds))
		}
	}
	if c := r.Counts(); c["a"].Pending != 50 || c["b"].Pending != 50 {
		t.Fatalf("counts after replay: %+v", c)
	}
	// Replayed once: a second open applies nothing twice.
	r.Close()
	r = openTest(t, lost, nil)
	if c := r.Counts(); c["a"].Pending != 50 {
		t.Fatalf("counts after a second open: %+v", c)
	}
}

// A message applied, delivered and purged must not come back from a
// journal record that is still kept.
func TestOpenDoesNotResurrectPurgedMessages(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, func(o *Options) { o.Sync = true })
	gone := enqueue(t, s, msg("r", "d"))
	kept := enqueue(t, s, msg("r", "d"))
	for _, l := range leaseAll(t, s, "d", time.Now().Add(time.Hour)) {
		if l.Message.ID == gone {
			complete(t, s, l, Delivered, time.Time{})
		} else {
			s.Release(l)
		}
	}
	if n, err := s.Purge(Filter{State: StateDelivered}); err != nil || n != 1 {
		t.Fatalf("purge: %d, %v", n, err)
	}
	s.Close()
	r := openTest(t, dir, nil)
	if _, _, err := r.Get(gone); !errors.Is(err, ErrNotFound) {
		t.Fatalf("purged message after reopen: %v", err)
	}
	if _, _, err := r.Get(kept); err != nil {
		t.Fatalf("kept message after reopen: %v", err)
	}
	if _, _, err := r.Enqueue(context.Background(), msg("r", "d")); err != nil {
		t.Fatal(err)
	}
}

// Enqueue returns once the journal holds the record, possibly before Badger
// does: a read right after must still see it.
func TestReadsSeeEveryEnqueueThatReturned(t *testing.T) {
	s := openTest(t, "", func(o *Options) { o.Sync = true })
	errs := make(chan error, 32)
	for w := 0; w < 32; w++ {
		go func() {
			for i := 0; i < 40; i++ {
				id, _, err := s.Enqueue(context.Background(), msg("r", "d"))
				if err == nil {
					_, _, err = s.Get(id)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for w := 0; w < 32; w++ {
		if err := <-errs; err != nil {
			t.Fatalf("read after enqueue: %v", err)
		}
	}
	if n := s.Counts()["d"].Pending; n != 32*40 {
		t.Fatalf("counts show %d pending of %d enqueued", n, 32*40)
	}
}

// Whatever a segment file holds after a crash or a disk fault, reading it
// must not panic and must return only a gapless run of verified records.
func FuzzReadSegment(f *testing.F) {
	j, err := openJournal(f.TempDir(), 1<<20, false)
	if err != nil {
		f.Fatal(err)
	}
	if err := j.restart(41); err != nil {
		f.Fatal(err)
	}
	if _, err := j.write([][]byte{[]byte("one"), {}, []byte("three")}); err != nil {
		f.Fatal(err)
	}
	valid, _ := os.ReadFile(j.cur.path)
	valid = valid[:j.cur.off]
	j.close()
	if len(readSegment(valid)) != 3 {
		f.Fatal("the seed segment does not read back")
	}
	f.Add(valid)
	f.Add(valid[:journalHeaderLen+5])
	f.Add([]byte(journalMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs := readSegment(b)
		for i := 1; i < len(recs); i++ {
			if recs[i].seq != recs[i-1].seq+1 {
				t.Fatalf("records %d and %d: seq %d then %d", i-1, i, recs[i-1].seq, recs[i].seq)
			}
		}
		if len(recs) > 0 && recs[0].seq != binary.LittleEndian.Uint64(b[16:24]) {
			t.Fatalf("first record seq %d, segment says %d", recs[0].seq, binary.LittleEndian.Uint64(b[16:24]))
		}
	})
}

// An Enqueue acknowledged by the journal whose apply to Badger then fails
// lives only in the journal: later batches must not let its segment go,
// nor record it as applied, so the next Open brings it back.
func TestAcknowledgedEnqueueThatFailedToApplyIsReplayed(t *testing.T) {
	dir := t.TempDir()
	var fail atomic.Uint64
	s := openTest(t, dir, func(o *Options) {
		o.Sync = true
		o.journalSeg = 4 << 10 // rotations, so segments are up for release
		o.failApply = func(seq uint64) bool { return seq == fail.Load() }
	})
	enqueue(t, s, msg("r", "d"))
	fail.Store(s.journalWritten.Load() + 1)
	lost := enqueue(t, s, msg("r", "d")) // acknowledged: the journal has it
	var later []string
	for i := 0; i < 60; i++ {
		later = append(later, enqueue(t, s, msg("r", "d")))
	}
	if s.Writable() == nil {
		t.Fatal("healthy after an acknowledged Enqueue failed to apply")
	}
	if _, _, err := s.Get(lost); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the failed apply is in Badger after all (%v): the test proves nothing", err)
	}
	s.Close()
	r := openTest(t, dir, nil)
	for _, id := range append(later, lost) {
		if _, _, err := r.Get(id); err != nil {
			t.Fatalf("acknowledged message %s after reopen: %v", id, err)
		}
	}
}

// A body larger than a segment (max_body_size may allow it) goes into a
// segment of its own, grown past its preallocated size.
func TestJournalTakesARecordLargerThanASegment(t *testing.T) {
	j := openTestJournal(t, 4<<10)
	want := writeGroups(t, j, 3, 2)
	big := bytes.Repeat([]byte("big"), 10<<10)
	for _, g := range [][][]byte{{big}, {[]byte("after")}} {
		if _, err := j.write(g); err != nil {
			t.Fatal(err)
		}
		if err := j.flush(); err != nil {
			t.Fatal(err)
		}
		want = append(want, g...)
	}
	checkReplay(t, j, want, 1)
}

// A spare being zero-filled when the process died is left as a .tmp file;
// the next Open removes it rather than keep 8 MiB nobody uses.
func TestJournalRestartRemovesAHalfWrittenSpare(t *testing.T) {
	j := openTestJournal(t, 64<<10)
	j.close()
	tmp := filepath.Join(j.dir, journalSparePrefx+"7"+journalSegSuffix+".tmp")
	if err := os.WriteFile(tmp, make([]byte, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := j.restart(0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("half-written spare still there: %v", err)
	}
}
