package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/relayd/relayd/queue/internal/wal"
)

// Options configure a Store.
type Options struct {
	Dir string
	// Sync fsyncs each group-committed batch before its callers return.
	Sync bool
	// Retention is how long delivered and dead deliveries are kept.
	Retention time.Duration
	// MaxDisk caps the store's size in bytes (0 = none); Enqueue then
	// returns ErrFull.
	MaxDisk int64
	// MinFree is the free space (bytes) Enqueue leaves on the store's
	// filesystem: below it Enqueue returns ErrFull (0 = no check). Why:
	// Badger writes through mmap, and a write to an mmap page the full
	// filesystem cannot back is SIGBUS, a crash. The reserve also covers
	// what no request controls: value-log and WAL growth, memtable flushes,
	// compactions, and deliveries' outcomes, which are still accepted so
	// the queue can drain.
	MinFree int64
	// GCInterval is how often retention and value-log GC run (0 = 1m).
	GCInterval time.Duration
	// Logger gets the queue's lines as they are: the caller adds what
	// names the component.
	Logger *slog.Logger
	// OnGroupCommit, when set, is told of every journal group commit that
	// held Enqueues: how many (callbacks per fsync) and how long its fsync
	// took (0 without Sync).
	// It runs on the journal goroutine, so it must be cheap (metrics).
	OnGroupCommit func(records int, fsync time.Duration)

	// Test hooks: a smaller memtable (to force WAL rotations) and a
	// replacement for the WAL fsync (to observe it).
	memTableSize int64
	walFsync     func(path string) error
	journalSeg   int64                 // journal segment size
	failApply    func(seq uint64) bool // fails the apply of a journal record
	// unreadable makes a version of a key fail to read, as a value whose
	// value-log bytes a power cut lost (lostvalue.go).
	unreadable func(key []byte, version uint64) bool
}

// Store is the durable queue.
type Store struct {
	opts Options
	log  *slog.Logger
	db   *badger.DB
	wal  logFiles // used by the writer goroutine only

	journal        *wal.Log
	jreqs          chan *journalReq // Enqueue → journal goroutine
	jdone          chan struct{}    // closed when the journal goroutine ends
	journalApplied uint64           // highest journal seq applied; writer (load, before)
	journalWritten atomic.Uint64    // highest journal seq written
	journalBroken  atomic.Bool      // a journaled write failed to apply
	journalStarted bool             // Open got as far as starting the journal
	applied        struct {         // highest journal seq the writer is done with
		mu   sync.Mutex
		cond *sync.Cond
		seq  atomic.Uint64
		done bool // the writer has exited
	}
	synced struct { // highest journal seq whose group's fdatasync is done
		mu   sync.Mutex
		cond *sync.Cond
		seq  uint64
	}

	// mu guards closed: readers and submitters hold it shared, Close
	// exclusively, so nothing touches Badger once it is closing.
	mu     sync.RWMutex
	closed bool
	reqs   chan *request
	// stopped ends when Close begins: maintenance stops, and a value-log
	// GC in progress is abandoned.
	stopped context.Context
	stop    context.CancelFunc
	wg      sync.WaitGroup
	once    sync.Once
	cerr    error

	destsMu sync.Mutex
	dests   map[string]*destState

	// counts are the per-destination counters, one set: what Counts
	// shows and, plus a batch's changes, what the writer persists. Only
	// the writer changes them (settle, under countsMu, once the batch's
	// records are durable); others read them under countsMu.
	countsMu sync.Mutex
	counts   map[string]storedCounts

	// paused maps each paused destination to its reason ("" = operator).
	// The writer alone changes it (a pause record's effect), replacing
	// the map, never changing one published: readers load it unlocked.
	paused atomic.Pointer[map[string]string]

	seq      uint64 // ordering-chain sequence; writer only
	leaseSeq atomic.Uint64
	space    space // the store's size and free disk, for MaxDisk and MinFree
	lastErr  atomic.Pointer[error]

	sweepCursor []byte // expiry keys below it are deleted; writer only

	reclaim reclaimState // giving the disk back after deletions (reclaim.go)
}

// Open opens (creating if needed) the store in opts.Dir and starts its
// writer and maintenance goroutines.
func Open(opts Options) (*Store, error) {
	if opts.Dir == "" {
		return nil, fmt.Errorf("open queue: no directory")
	}
	if opts.GCInterval <= 0 {
		opts.GCInterval = time.Minute
	}
	// The caller names the component (daemon: component=queue); adding it
	// here too would repeat the key on every line.
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := makePrivateDir(opts.Dir); err != nil {
		return nil, fmt.Errorf("open queue %q: %w", opts.Dir, err)
	}
	bo := badgerOptions(opts.Dir, log)
	if opts.memTableSize > 0 {
		bo.MemTableSize = opts.memTableSize
	}
	db, err := badger.Open(bo)
	if err != nil {
		return nil, fmt.Errorf("open queue %q: %w", opts.Dir, err)
	}
	// After badger.Open: it has created the files it needs to start.
	if err := tightenModes(opts.Dir); err != nil {
		db.Close()
		return nil, fmt.Errorf("open queue %q: %w", opts.Dir, err)
	}
	s := &Store{
		opts: opts, log: log, db: db,
		reqs:   make(chan *request, 2*maxBatchRequests), // a whole journal group while the writer waits for its sync
		jreqs:  make(chan *journalReq, maxBatchRequests),
		jdone:  make(chan struct{}),
		dests:  map[string]*destState{},
		counts: map[string]storedCounts{},
	}
	s.reclaim.wake = make(chan struct{}, 1)
	s.applied.cond = sync.NewCond(&s.applied.mu)
	s.synced.cond = sync.NewCond(&s.synced.mu)
	s.stopped, s.stop = context.WithCancel(context.Background())
	if err := s.load(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open queue %q: %w", opts.Dir, err)
	}
	recs, err := s.openJournal()
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open queue %q: %w", opts.Dir, err)
	}
	s.refreshFree()
	s.refreshSize()
	s.space.checked.Store(time.Now().UnixNano())
	s.wal = logFiles{dir: opts.Dir, fsync: opts.walFsync}
	s.wg.Add(2)
	go s.runWriter()
	go s.runMaintenance()
	if err := s.replayJournal(recs); err != nil {
		close(s.jdone)
		s.Close()
		return nil, fmt.Errorf("open queue %q: %w", opts.Dir, err)
	}
	s.journalStarted = true
	s.refreshSize() // with the journal's segment
	go s.runJournal()
	return s, nil
}

// load reads the persisted counters, paused set and sequence.
func (s *Store) load() error {
	paused := map[string]string{}
	s.paused.Store(&paused)
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: false})
		defer it.Close()
		for _, pfx := range []byte{pfxCounts, pfxPaused} {
			p := []byte{pfx}
			for it.Seek(p); it.ValidForPrefix(p); it.Next() {
				name := string(it.Item().Key()[1:])
				v, err := it.Item().ValueCopy(nil)
				if err != nil {
					return fmt.Errorf("read %q record of %s: %w", pfx, name, err)
				}
				if pfx == pfxPaused {
					paused[name] = string(v) // a record from before reasons is empty
					continue
				}
				c, err := decodeCounts(v)
				if err != nil {
					return fmt.Errorf("counts of %s: %w", name, err)
				}
				s.counts[name] = c
			}
		}
		v, ok, err := txnGet(txn, keySeq)
		if ok {
			s.seq = readSeq(v)
		}
		if err != nil {
			return err
		}
		v, ok, err = txnGet(txn, keyJournal)
		if ok {
			s.journalApplied = readSeq(v)
		}
		return err
	})
}

// Close stops the writer after flushing pending requests and closes Badger.
// Safe to call twice.
func (s *Store) Close() error {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.jreqs)
		s.stop()
		s.mu.Unlock()
		<-s.jdone     // the journal has passed every Enqueue on
		close(s.reqs) // the writer answers what is queued, then exits
		s.wg.Wait()
		s.markClean()
		s.wal.close()
		s.journal.Close()
		if err := s.db.Close(); err != nil {
			s.cerr = fmt.Errorf("close queue: %w", err)
		}
	})
	return s.cerr
}

// markClean records a clean stop as a checkpoint of every record applied:
// Badger synced first, so the next Open applies none of them again. Not
// after a failed write: the next Open re-applies from the last checkpoint.
func (s *Store) markClean() {
	if !s.journalStarted || s.journalBroken.Load() || s.lastErr.Load() != nil {
		return
	}
	if s.opts.Sync {
		if err := s.syncBadger(); err != nil {
			s.log.Error("queue sync at close failed", "err", err)
			return
		}
	}
	if err := s.journal.MarkCheckpoint(s.journalApplied); err != nil {
		s.log.Error("queue checkpoint at close failed", "err", err)
	}
}

// Writable reports whether the store can accept writes (healthz).
func (s *Store) Writable() error {
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	if p := s.lastErr.Load(); p != nil {
		return fmt.Errorf("last queue write: %w", *p)
	}
	if s.journalBroken.Load() {
		return errors.New("an acknowledged write failed to reach the queue's index; the journal keeps it and a restart applies it")
	}
	return s.fullErr()
}

// Counts returns, per destination name that has deliveries, its counts.
func (s *Store) Counts() map[string]Counts {
	s.caughtUp()
	s.countsMu.Lock()
	defer s.countsMu.Unlock()
	out := make(map[string]Counts, len(s.counts))
	for name, c := range s.counts {
		out[name] = Counts{Pending: c.Pending, Retrying: c.Retrying, Dead: c.Dead, Delivered: c.Delivered}
	}
	// Deliveries in flight are stored as pending or retrying; show them as
	// delivering instead.
	for name, c := range out {
		ds := s.dest(name)
		ds.mu.Lock()
		c.Pending -= ds.byKind.Pending
		c.Retrying -= ds.byKind.Retrying
		c.Delivering = ds.byKind.Pending + ds.byKind.Retrying
		ds.mu.Unlock()
		if c == (Counts{}) {
			delete(out, name)
			continue
		}
		out[name] = c
	}
	return out
}

// showCounts adds a committed txn's counter deltas to what Counts shows.
// Called with countsMu held.
func (s *Store) showCounts(delta map[string]*storedCounts) {
	for dest, d := range delta {
		s.counts[dest] = s.counts[dest].plus(d)
	}
}

// SetPaused persists whether dest is paused (by the operator: no reason).
func (s *Store) SetPaused(dest string, paused bool) error {
	return s.setPaused(dest, paused, "")
}

// PauseFor persists dest as paused for reason ("gone": it answered 410);
// the reason survives a restart and is cleared by SetPaused(dest, false).
func (s *Store) PauseFor(dest, reason string) error { return s.setPaused(dest, true, reason) }

func (s *Store) setPaused(dest string, paused bool, reason string) error {
	if err := validDest(dest); err != nil {
		return err
	}
	r := pauseRec{dest: dest, paused: paused, reason: reason}
	err := s.submitJournaled(context.Background(), change{kind: recPause, rec: encodePauseRec(r),
		apply: func(b *batch) error {
			b.setPaused(r)
			return nil
		}}, true)
	if err != nil {
		return fmt.Errorf("set paused %s: %w", dest, err)
	}
	return nil
}

// Paused returns the persisted paused destinations.
func (s *Store) Paused() map[string]bool {
	paused := *s.paused.Load()
	out := make(map[string]bool, len(paused))
	for k := range paused {
		out[k] = true
	}
	return out
}

// PauseReasons returns the persisted paused destinations with the reason
// each was paused for ("" = by the operator).
func (s *Store) PauseReasons() map[string]string {
	return maps.Clone(*s.paused.Load())
}

// setPaused stages a pause record's write, and its effect on the paused
// set once committed.
func (b *batch) setPaused(r pauseRec) {
	if r.paused {
		b.set(pausedKey(r.dest), []byte(r.reason))
	} else {
		b.del(pausedKey(r.dest))
	}
	s := b.s
	b.after(func(err error) {
		if err != nil {
			return
		}
		paused := maps.Clone(*s.paused.Load())
		if r.paused {
			paused[r.dest] = r.reason
		} else {
			delete(paused, r.dest)
		}
		s.paused.Store(&paused)
		if !r.paused {
			s.dest(r.dest).signal()
		}
	})
}

func (s *Store) isPaused(dest string) bool {
	_, ok := (*s.paused.Load())[dest]
	return ok
}
