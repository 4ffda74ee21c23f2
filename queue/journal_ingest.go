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

// recEnqueue is the journal record of an Enqueue: the message as encoded
// for Badger (encode.go).
const recEnqueue wal.Kind = 1

// journalReq is one Enqueue on its way through the journal: its record,
// the request that applies it to Badger, and the journal's answer.
type journalReq struct {
	rec     []byte
	apply   *request
	durable chan error
}

// submitJournaled hands an Enqueue to the journal goroutine and waits until
// its record is durable in the journal (synced when Options.Sync), and,
// with waitApply, until the writer has applied it to Badger too (the two
// overlap: the journal syncs while the writer applies). Once handed over
// it waits even if ctx ends: the record may already be on disk.
func (s *Store) submitJournaled(ctx context.Context, rec []byte, waitApply bool, apply func(b *batch) error) error {
	jr := &journalReq{
		rec:     rec,
		apply:   &request{apply: apply, bytes: len(rec), done: make(chan error, 1), journaled: true},
		durable: make(chan error, 1),
	}
	if err := handOver(s, ctx, s.jreqs, jr); err != nil {
		s.space.settled.Add(int64(len(rec))) // admitted, never written
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
			entries = append(entries, wal.Entry{Kind: recEnqueue, Payload: r.rec})
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
			s.space.settled.Add(int64(r.apply.bytes)) // never written
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
	if s.opts.OnGroupCommit != nil {
		var took time.Duration
		if s.journal.Syncs() {
			took = time.Since(start)
		}
		s.opts.OnGroupCommit(len(group), took)
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

// replayJournal applies, at Open, every journal record Badger lacks: an
// Enqueue acknowledged once its record was synced, and Badger's own files
// are synced only when a segment is released. A record is applied when its
// message is missing (unless the journal seq persisted with the applied
// records says it was applied and has been removed since: purged or
// expired) or its value is unreadable. Then every segment becomes a spare.
func (s *Store) replayJournal(recs []wal.Record) error {
	applied := s.journalApplied
	var maxSeq uint64
	var todo []*Message
	var todoRecs [][]byte
	err := s.db.View(func(txn *badger.Txn) error {
		for _, r := range recs {
			maxSeq = max(maxSeq, r.Seq)
			if r.Kind != recEnqueue {
				s.log.Error("journal record of an unknown kind; skipped", "seq", r.Seq, "kind", r.Kind)
				continue
			}
			m, err := decodeMessage(r.Payload, false)
			if err != nil || !ValidID(m.ID) {
				s.log.Error("journal record unreadable; skipped", "seq", r.Seq, "err", err)
				continue
			}
			item, err := txn.Get(messageKey(m.ID))
			switch {
			case err == badger.ErrKeyNotFound:
				if r.Seq <= applied {
					continue
				}
			case err != nil:
				return fmt.Errorf("read message %s: %w", m.ID, err)
			default:
				if item.Value(func([]byte) error { return nil }) == nil {
					continue
				}
			}
			todo = append(todo, m)
			todoRecs = append(todoRecs, r.Payload)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("replay journal: %w", err)
	}
	for i := 0; i < len(todo); i += maxBatchRequests {
		ms, rs := todo[i:min(i+maxBatchRequests, len(todo))], todoRecs[i:min(i+maxBatchRequests, len(todo))]
		err := s.submit(context.Background(), 0, func(b *batch) error {
			for k, m := range ms {
				b.enqueue(m, rs[k])
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("replay journal: %w", err)
		}
	}
	// Persist the seq reached, and sync Badger (the syncer syncs after
	// any write that is not an Enqueue): a record in Badger after a crash
	// may still be only in the page cache.
	last := max(maxSeq, applied)
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
