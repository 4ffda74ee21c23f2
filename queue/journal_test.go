package queue

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

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
