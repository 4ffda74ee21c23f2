package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Group commit: every write is a request to the one writer goroutine, which
// takes all requests waiting (up to these caps), applies them in one Badger
// transaction, commits, syncs once, and answers them all.
const (
	maxBatchRequests = 256
	maxBatchBytes    = 4 << 20
)

// request is one caller's write. apply stages its writes in the batch; an
// error it returns fails only this request and must come before any write.
type request struct {
	apply func(b *batch) error
	bytes int
	done  chan error
	// journaled: a change whose record is in the journal (seq), which
	// makes it durable; its batch needs no Badger sync. now is the time
	// the record says it was made at; owed, the bytes admitted for it
	// (space.go).
	journaled  bool
	recovering bool // Open's re-apply (lostvalue.go)
	seq        uint64
	now        time.Time
	owed       int64
}

// submit hands apply to the writer and waits until its batch is committed
// (and synced when Options.Sync). Once handed over it waits for the answer
// even if ctx ends: the write may already be on disk.
func (s *Store) submit(ctx context.Context, bytes int, apply func(b *batch) error) error {
	return s.submitRequest(ctx, &request{apply: apply, bytes: bytes, done: make(chan error, 1)})
}

func (s *Store) submitRequest(ctx context.Context, req *request) error {
	if err := handOver(s, ctx, s.reqs, req); err != nil {
		return err
	}
	return <-req.done
}

// handOver sends v on ch unless the store is closed or ctx ends first.
// Close takes mu exclusively before it closes ch, so no send races it.
func handOver[T any](s *Store, ctx context.Context, ch chan<- T, v T) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	select {
	case ch <- v:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runWriter is the apply goroutine: it takes every request waiting,
// applies them in one batch, commits, syncs Badger when the batch holds a
// write the journal does not (Open's re-apply), then runs the batch's
// effects on in-memory state and answers. A journaled batch needs no sync:
// its records are durable already, and Badger is synced at checkpoints.
func (s *Store) runWriter() {
	defer s.wg.Done()
	defer s.writerDone()
	for req := range s.reqs {
		reqs := gather(make([]*request, 0, 16), req, s.reqs, func(r *request) int { return r.bytes })
		s.settle(s.runBatch(reqs))
	}
}

// gather appends first and then whatever else is waiting on ch, up to the
// batch caps, without waiting for more.
func gather[T any](group []T, first T, ch <-chan T, size func(T) int) []T {
	group = append(group, first)
	bytes := size(first)
	for len(group) < maxBatchRequests && bytes < maxBatchBytes {
		select {
		case v, ok := <-ch:
			if !ok {
				return group
			}
			group = append(group, v)
			bytes += size(v)
		default:
			return group
		}
	}
	return group
}

// committedBatch is a batch the writer has committed (or failed), to settle.
type committedBatch struct {
	reqs    []*request
	errs    []error // per request
	err     error   // of the whole batch
	effects []func(err error)
	deltas  []map[string]*storedCounts // committed counter changes
	wrote   bool
	// needSync: it holds writes that are not journaled Enqueues, durable
	// only once Badger's files are synced.
	needSync bool
	// journalSeq: every journal record up to it is applied (0 = no news),
	// so its segment may be released once Badger is synced. journalDone:
	// the highest record this batch is done with, applied or failed (for
	// reads waiting in caughtUp).
	journalSeq, journalDone uint64
}

func (s *Store) runBatch(reqs []*request) *committedBatch {
	b := s.newBatch()
	errs := make([]error, len(reqs))
	needSync := false
	var done uint64
	var written int64 // bytes admitted for journaled records, for space.settled
	for _, r := range reqs {
		if r.journaled {
			done = max(done, r.seq)
			written += r.owed
		}
	}
	start := b.now
	for i, r := range reqs {
		if b.err != nil {
			break
		}
		b.makeRoom()
		if !r.journaled {
			needSync = true
		}
		if r.journaled && s.opts.failApply != nil && s.opts.failApply(r.seq) {
			b.fail("apply", errors.New("injected by the test"))
		}
		b.now, b.recovering = start, r.recovering
		if !r.now.IsZero() {
			b.now = r.now
		}
		errs[i] = r.apply(b)
		// After the apply: a txn committed in its middle (a large purge)
		// must not claim the record applied, or Open would skip its rest.
		if r.journaled && !s.journalBroken.Load() {
			b.journalSeq, b.journalDirty = max(b.journalSeq, r.seq), true
		}
	}
	err := b.finish()
	// Written to Badger now, or failed and never will be: either way no
	// longer owed against storage.min_free (space.go).
	s.space.settled.Add(written)
	if err != nil && done > 0 {
		// Journaled writes failed to apply (an Enqueue acknowledged
		// already): the journal alone holds them. Claim no more journal
		// progress (no keyJournal, no segment released) until a restart
		// re-applies them.
		s.journalBroken.Store(true)
	}
	cb := &committedBatch{reqs: reqs, errs: errs, err: err, effects: b.effects, deltas: b.deltas, wrote: b.committed,
		needSync: needSync && b.committed, journalDone: done}
	if !s.journalBroken.Load() {
		cb.journalSeq = b.journalSeq
	}
	return cb
}

// settle syncs a committed batch when it needs it, runs its effects and
// answers its requests, then checkpoints the journal.
func (s *Store) settle(cb *committedBatch) {
	if cb.journalDone > 0 {
		s.waitSynced(cb.journalDone)
	}
	var syncErr error
	synced := false
	if cb.needSync && s.opts.Sync {
		syncErr, synced = s.syncBadger(), true
	}
	err := cb.err
	if err == nil && cb.needSync {
		err = syncErr
	}
	if err != nil {
		s.lastErr.Store(&err)
		s.log.Error("queue write failed", "err", err, "requests", len(cb.reqs))
	} else if cb.wrote && s.lastErr.Load() != nil {
		s.lastErr.Store(nil)
	}
	if cb.err == nil {
		s.journalApplied = max(s.journalApplied, cb.journalSeq)
	}
	// Counters and leases change together under countsMu, so Counts
	// never shows a delivery both in flight and finished.
	s.countsMu.Lock()
	for _, d := range cb.deltas {
		s.showCounts(d)
	}
	for _, fx := range cb.effects {
		fx(err)
	}
	s.countsMu.Unlock()
	for i, r := range cb.reqs {
		if err != nil {
			r.done <- err
		} else {
			r.done <- cb.errs[i]
		}
	}
	if cb.journalDone > 0 {
		s.appliedTo(cb.journalDone) // after the effects: reads see the wake-ups' state
	}
	s.checkpoint(synced && syncErr == nil)
}

// syncBadger makes every committed Badger write durable.
func (s *Store) syncBadger() error {
	if err := s.wal.sync(); err != nil {
		return fmt.Errorf("queue sync: %w", err)
	}
	return nil
}

// checkpoint releases the journal segments whose records are all applied,
// once Badger holds them durably: synced says this group's sync, which
// came after every batch applied so far, has done it already.
func (s *Store) checkpoint(synced bool) {
	var syncBadger func() error
	if !synced && s.opts.Sync {
		syncBadger = s.syncBadger
	}
	if err := s.journal.Checkpoint(s.journalApplied, syncBadger); err != nil {
		s.lastErr.Store(&err)
		s.log.Error("queue checkpoint failed", "err", err)
	}
}

// batch is the writer's open transaction plus what it changed: counter
// deltas not yet committed, and effects on in-memory state (cursors,
// leases, wake-ups) to run once the batch is synced or has failed.
type batch struct {
	s         *Store
	txn       *badger.Txn
	now       time.Time
	count     int64 // entries in txn, for makeRoom
	size      int64 // estimated bytes in txn
	committed bool  // a txn of this batch was committed
	delta     map[string]*storedCounts
	// unshown sums the counter changes this batch has committed, which
	// settle adds to s.counts (deltas) once the batch is done.
	unshown  map[string]storedCounts
	seqDirty bool
	// journalSeq is the highest journal seq applied in this batch,
	// persisted (keyJournal) with its writes when journalDirty.
	journalSeq   uint64
	journalDirty bool
	effects      []func(err error)
	deltas       []map[string]*storedCounts // committed, to show once synced
	err          error
	// recovering: the batch re-applies journal records at Open, where a
	// value that fails to read falls back to an older version
	// (lostvalue.go); restored says the last get did.
	recovering, restored bool
}

func (s *Store) newBatch() *batch {
	return &batch{s: s, txn: s.db.NewTransaction(true), now: time.Now(), delta: map[string]*storedCounts{}}
}

// after registers fx to run once the batch has committed (err nil) or
// failed, always after the commit so readers never see the old state and
// the new in-memory state at once.
func (b *batch) after(fx func(err error)) { b.effects = append(b.effects, fx) }

// makeRoom commits early when the txn is three quarters full, so that a
// request's writes normally land in one txn (atomic); ErrTxnTooBig in the
// middle of a request is still handled by set, at the price of atomicity.
func (b *batch) makeRoom() {
	if b.count*4 >= b.s.db.MaxBatchCount()*3 || b.size*4 >= b.s.db.MaxBatchSize()*3 {
		b.commitTxn()
	}
}

func (b *batch) fail(what string, err error) {
	if b.err == nil {
		b.err = fmt.Errorf("queue %s: %w", what, err)
	}
}

// reserve commits when the txn is nearly full, keeping room for the
// counters commitTxn adds; only a giant request (a message with thousands
// of destinations) gets here in its middle.
func (b *batch) reserve() {
	if b.count*10 >= b.s.db.MaxBatchCount()*9 || b.size*10 >= b.s.db.MaxBatchSize()*9 {
		b.commitTxn()
	}
}

func (b *batch) set(k, v []byte) {
	if b.err != nil {
		return
	}
	if b.reserve(); b.err != nil {
		return
	}
	err := b.txn.Set(k, v)
	if errors.Is(err, badger.ErrTxnTooBig) {
		b.commitTxn()
		if b.err != nil {
			return
		}
		err = b.txn.Set(k, v)
	}
	if err != nil {
		b.fail("write", err)
		return
	}
	b.count++
	b.size += int64(len(k)) + 16
	if len(v) < 128 {
		b.size += int64(len(v))
	}
}

func (b *batch) del(k []byte) {
	if b.err != nil {
		return
	}
	if b.reserve(); b.err != nil {
		return
	}
	err := b.txn.Delete(k)
	if errors.Is(err, badger.ErrTxnTooBig) {
		b.commitTxn()
		if b.err != nil {
			return
		}
		err = b.txn.Delete(k)
	}
	if err != nil {
		b.fail("delete", err)
		return
	}
	b.count++
	b.size += int64(len(k)) + 16
}

// get reads k as the txn sees it (its own pending writes included).
func (b *batch) get(k []byte) ([]byte, bool, error) {
	if b.err != nil {
		return nil, false, b.err
	}
	item, err := b.txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("queue read: %w", err)
	}
	v, err := b.s.valueOf(item)
	if err != nil && b.recovering {
		v, ok := b.olderVersion(k, err)
		b.restored = true
		return v, ok, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("queue read value: %w", err)
	}
	return v, true, nil
}

// firstKey returns the first key with prefix as the txn sees it.
func (b *batch) firstKey(prefix []byte) ([]byte, bool) {
	if b.err != nil {
		return nil, false
	}
	it := b.txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	it.Seek(prefix)
	if !it.ValidForPrefix(prefix) {
		return nil, false
	}
	return it.Item().KeyCopy(nil), true
}

func (b *batch) addCount(dest string, st State, n int64) {
	c := b.delta[dest]
	if c == nil {
		c = &storedCounts{}
		b.delta[dest] = c
	}
	c.add(st, n)
}

// commitTxn writes the counters and sequence changed in this txn, commits,
// merges the counters into memory, and opens the next txn.
func (b *batch) commitTxn() {
	if b.err != nil {
		return
	}
	for dest, d := range b.delta {
		// The writer alone changes s.counts (in settle): it reads them
		// without countsMu.
		u := b.unshown[dest]
		stored := b.s.counts[dest].plus(&u).plus(d)
		if err := b.txn.Set(countsKey(dest), encodeCounts(stored)); err != nil {
			b.fail("write counts", err)
		}
	}
	if b.seqDirty && b.err == nil {
		var v [8]byte
		putSeq(v[:], b.s.seq)
		if err := b.txn.Set(keySeq, v[:]); err != nil {
			b.fail("write sequence", err)
		}
	}
	if b.journalDirty && b.err == nil {
		var v [8]byte
		putSeq(v[:], b.journalSeq)
		if err := b.txn.Set(keyJournal, v[:]); err != nil {
			b.fail("write journal seq", err)
		}
	}
	if b.err == nil {
		if err := b.txn.Commit(); err != nil {
			b.fail("commit", err)
		}
	}
	b.txn.Discard()
	if b.err != nil {
		return
	}
	b.committed = true
	delta := b.delta
	for dest, d := range delta {
		if b.unshown == nil {
			b.unshown = map[string]storedCounts{}
		}
		b.unshown[dest] = b.unshown[dest].plus(d)
	}
	b.deltas = append(b.deltas, delta)
	b.delta = map[string]*storedCounts{}
	b.seqDirty, b.journalDirty = false, false
	b.count, b.size = 0, 0
	b.txn = b.s.db.NewTransaction(true)
}

// finish commits the last txn; settle syncs when needed.
func (b *batch) finish() error {
	if b.err == nil && (b.count > 0 || len(b.delta) > 0 || b.seqDirty || b.journalDirty) {
		b.commitTxn()
	}
	b.txn.Discard()
	return b.err
}
