package queue

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/relayd/relayd/queue/internal/wal"
)

// The journal (package wal) is where an Enqueue becomes durable: each group
// of Enqueues is one pwrite of its records and one fdatasync, while the
// writer applies the same records to Badger; Badger's own files are synced
// only at a checkpoint, when a segment is released (and for every write
// that is not an Enqueue). Why not fsync Badger's files per group:
// docs/BENCHMARKS.md.
const journalDir = "journal"

// journalReq is one write on its way through the journal: its record, the
// request that applies it to Badger, and the journal's answer.
type journalReq struct {
	kind    wal.Kind
	rec     []byte
	apply   *request
	durable chan error
}

// change is one durable change: its journal record, the time it is made at
// (what the apply writes as now, again when Open re-applies it), the bytes
// admitted for it against the disk limits (space.go; Enqueue only), and
// its apply.
type change struct {
	kind  wal.Kind
	rec   []byte
	now   time.Time
	owed  int64
	apply func(b *batch) error
}

// submitJournaled hands a change to the journal goroutine and waits until
// its record is durable in the journal (synced when Options.Sync), and,
// with waitApply, until the writer has applied it to Badger too (the two
// overlap: the journal syncs while the writer applies). Once handed over
// it waits even if ctx ends: the record may already be on disk.
func (s *Store) submitJournaled(ctx context.Context, c change, waitApply bool) error {
	jr := &journalReq{
		kind: c.kind,
		rec:  c.rec,
		apply: &request{apply: c.apply, bytes: len(c.rec), done: make(chan error, 1), journaled: true,
			now: c.now, owed: c.owed},
		durable: make(chan error, 1),
	}
	if err := handOver(s, ctx, s.jreqs, jr); err != nil {
		s.space.settled.Add(c.owed) // admitted, never written
		return err
	}
	if err := <-jr.durable; err != nil {
		return err
	}
	if waitApply {
		return <-jr.apply.done
	}
	return nil
}

// caughtUp waits until the writer has applied every journal record written
// so far, so that a read sees every Enqueue that returned before it.
func (s *Store) caughtUp() {
	target := s.journalWritten.Load()
	if s.applied.seq.Load() >= target {
		return
	}
	s.applied.mu.Lock()
	for s.applied.seq.Load() < target && !s.applied.done {
		s.applied.cond.Wait()
	}
	s.applied.mu.Unlock()
}

// appliedTo records that the writer has applied (or failed to apply) the
// journal records up to seq, and wakes the reads waiting for them.
func (s *Store) appliedTo(seq uint64) {
	s.applied.mu.Lock()
	if seq > s.applied.seq.Load() {
		s.applied.seq.Store(seq)
	}
	s.applied.cond.Broadcast()
	s.applied.mu.Unlock()
}

// writerDone releases every read still waiting: nothing more is applied.
func (s *Store) writerDone() {
	s.applied.mu.Lock()
	s.applied.done = true
	s.applied.cond.Broadcast()
	s.applied.mu.Unlock()
}

// syncedTo records that the journal's fdatasync of every record up to seq
// is done (or failed: its callers get the error).
func (s *Store) syncedTo(seq uint64) {
	s.synced.mu.Lock()
	s.synced.seq = max(s.synced.seq, seq)
	s.synced.cond.Broadcast()
	s.synced.mu.Unlock()
}

// waitSynced waits until the journal's fdatasync covers seq, so that the
// writer shows a change (effects, answers, reads) only once it is durable.
// It costs the writer nothing: the journal hands it the next group only
// after this one's fdatasync.
func (s *Store) waitSynced(seq uint64) {
	s.synced.mu.Lock()
	for s.synced.seq < seq {
		s.synced.cond.Wait()
	}
	s.synced.mu.Unlock()
}

// runJournal writes each group of waiting Enqueues to the journal, passes
// them to the writer, and syncs the journal while the writer applies them.
// It closes jdone once jreqs is closed and everything is passed on.
func (s *Store) runJournal() {
	defer close(s.jdone)
	var group []*journalReq
	var entries []wal.Entry
	for jr := range s.jreqs {
		group = gather(group[:0], jr, s.jreqs, func(r *journalReq) int { return len(r.rec) })
		entries = entries[:0]
		for _, r := range group {
			entries = append(entries, wal.Entry{Kind: r.kind, Payload: r.rec})
		}
		s.journalGroup(group, entries)
		clear(group)
		clear(entries)
	}
}

func (s *Store) journalGroup(group []*journalReq, entries []wal.Entry) {
	first, err := s.journal.Write(entries)
	if err != nil {
		err = fmt.Errorf("queue journal: %w", err)
		s.lastErr.Store(&err)
		s.log.Error("journal write failed", "err", err, "requests", len(group))
		for _, r := range group {
			s.space.settled.Add(r.apply.owed) // never written
			r.apply.done <- err
			r.durable <- err
		}
		return
	}
	s.journalWritten.Store(first + uint64(len(group)) - 1)
	for i, r := range group {
		r.apply.seq = first + uint64(i)
		s.reqs <- r.apply
	}
	start := time.Now()
	err = s.journal.Sync()
	s.syncedTo(first + uint64(len(group)) - 1)
	if s.opts.OnGroupCommit != nil {
		s.reportGroup(group, start)
	}
	if err != nil {
		err = fmt.Errorf("queue journal: %w", err)
		s.lastErr.Store(&err)
		s.log.Error("journal sync failed", "err", err, "requests", len(group))
	}
	for _, r := range group {
		r.durable <- err
	}
}

// reportGroup tells Options.OnGroupCommit of a group that held callbacks
// (Enqueues): how many, and how long its fsync took.
func (s *Store) reportGroup(group []*journalReq, syncStart time.Time) {
	n := 0
	for _, r := range group {
		if r.kind == recEnqueue {
			n++
		}
	}
	if n == 0 {
		return
	}
	var took time.Duration
	if s.journal.Syncs() {
		took = time.Since(syncStart)
	}
	s.opts.OnGroupCommit(n, took)
}

// replayJournal re-applies, at Open, every journal record Badger may lack,
// in order: Badger's own files are synced only at a checkpoint, and a power
// cut can lose what it wrote since, even the value of a key it keeps
// (lostvalue.go). So every record after the last checkpoint the journal
// recorded is applied again, not only those after the last one Badger
// claims (keyJournal, written with each record's writes, unsynced); a
// clean Close records a checkpoint of everything. Every record is
// idempotent (records.go): one Badger holds already changes nothing. An
// Enqueue at or before it is applied again only if its message value is
// unreadable. Then every segment becomes a spare.
func (s *Store) replayJournal(recs []wal.Record) error {
	// The lower of the two: Badger's claim is lower when its files were
	// lost or restored from a copy.
	applied := min(s.journalApplied, s.journal.Checkpointed())
	var last uint64
	var todo []wal.Record
	err := s.db.View(func(txn *badger.Txn) error {
		for _, r := range recs {
			last = max(last, r.Seq)
			if r.Seq > applied {
				todo = append(todo, r)
				continue
			}
			lost, err := s.enqueueLost(txn, r)
			if err != nil {
				return err
			}
			if lost {
				todo = append(todo, r)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("replay journal: %w", err)
	}
	if err := s.applyRecords(todo); err != nil {
		return fmt.Errorf("replay journal: %w", err)
	}
	// Persist the seq reached, and sync Badger (the writer syncs after
	// any write that is not journaled): a record in Badger after a crash
	// may still be only in the page cache.
	last = max(last, applied)
	err = s.submit(context.Background(), 0, func(b *batch) error {
		b.journalSeq, b.journalDirty = last, true
		return nil
	})
	if err != nil {
		return fmt.Errorf("replay journal: %w", err)
	}
	if len(recs) > 0 {
		s.log.Info("journal replayed", "records", len(recs), "applied", len(todo))
	}
	return s.journal.Start(last)
}

// enqueueLost reports whether r is an Enqueue whose message Badger has
// kept the key of but not a readable value.
func (s *Store) enqueueLost(txn *badger.Txn, r wal.Record) (bool, error) {
	if r.Kind != recEnqueue {
		return false, nil
	}
	_, msg, err := decodeEnqueueRec(r.Payload)
	var m *Message
	if err == nil {
		m, err = decodeMessage(msg, false)
	}
	if err != nil || !ValidID(m.ID) {
		s.log.Error("journal record unreadable; skipped", "seq", r.Seq, "err", err)
		return false, nil
	}
	item, err := txn.Get(messageKey(m.ID))
	switch {
	case err == badger.ErrKeyNotFound:
		return false, nil // purged or expired since
	case err != nil:
		return false, fmt.Errorf("read message %s: %w", m.ID, err)
	}
	return item.Value(func([]byte) error { return nil }) != nil, nil
}

// applyRecords applies recs in order, many to a batch. A pause record ends
// its batch: a later record's filter may read the paused set, which
// changes once the batch is committed.
func (s *Store) applyRecords(recs []wal.Record) error {
	for len(recs) > 0 {
		n := 0
		for n < len(recs) && n < maxBatchRequests {
			n++
			if recs[n-1].Kind == recPause {
				break
			}
		}
		group := recs[:n]
		recs = recs[n:]
		err := s.submitRequest(context.Background(), &request{recovering: true, done: make(chan error, 1), apply: func(b *batch) error {
			start := b.now
			for _, r := range group {
				b.makeRoom()
				b.now = start
				if err := b.applyRecord(r.Kind, r.Payload); err != nil {
					s.log.Debug("journal record applied again: no change", "seq", r.Seq, "kind", r.Kind, "err", err)
				}
			}
			return b.err
		}})
		if err != nil {
			return err
		}
	}
	return nil
}

// openJournal opens the journal under the store directory, its segment
// files counted against the disk limits (space.go), and returns the
// records it holds.
func (s *Store) openJournal() ([]wal.Record, error) {
	j, recs, err := wal.Open(filepath.Join(s.opts.Dir, journalDir), wal.Options{
		SegmentSize: s.opts.journalSeg,
		Sync:        s.opts.Sync,
		MayGrow:     s.roomFor,
		Growing:     s.segmentGrowing,
		Grown:       s.segmentGrown,
	})
	s.journal = j
	return recs, err
}

// segmentGrowing counts a journal segment being created as promised;
// segmentGrown settles it once it is on disk (or was not made).
func (s *Store) segmentGrowing(n int64) { s.space.promised.Add(n) }
func (s *Store) segmentGrown(n int64)   { s.space.settled.Add(n) }
