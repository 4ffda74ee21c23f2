package queue

import (
	"bytes"
	"fmt"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// destState is the in-memory side of one destination's schedule: the
// cursor, the leases in flight and the wake channel.
//
// The cursor is a key at or below every live schedule key of dest that is
// not leased, so Lease Seeks to it instead of iterating the tombstones of
// delivered entries from the start of the prefix. Lease advances it to the
// first live, not leased key it finds; the writer lowers it, after the
// commit (and sync), to every schedule key it writes, and Release (or a failed Complete) lowers
// it to the key of the lease it gives back. mu orders the two: a Lease
// snapshot taken after the writer's lowering sees the committed key.
type destState struct {
	mu     sync.Mutex
	prefix []byte
	cursor []byte // nil: seek from prefix
	empty  bool   // no live, not leased key at or after cursor
	leases map[string]*leaseEntry
	byKind storedCounts // leases by stored state (Pending/Retrying used)
	wake   chan struct{}
}

type leaseEntry struct {
	token    uint64
	schedKey []byte
	state    State
}

func (s *Store) dest(name string) *destState {
	s.destsMu.Lock()
	defer s.destsMu.Unlock()
	ds := s.dests[name]
	if ds == nil {
		ds = &destState{prefix: schedulePrefix(name), leases: map[string]*leaseEntry{}, wake: make(chan struct{}, 1)}
		s.dests[name] = ds
	}
	return ds
}

// lower moves the cursor down to k (a schedule key just written or given
// back). Called with ds.mu held, after k is committed.
func (ds *destState) lower(k []byte) {
	if ds.empty || ds.cursor == nil || bytes.Compare(k, ds.cursor) < 0 {
		if ds.cursor != nil || ds.empty {
			ds.cursor = k
		}
		ds.empty = false
	}
}

func (ds *destState) signal() {
	select {
	case ds.wake <- struct{}{}:
	default:
	}
}

// dropLease forgets the lease of id; with giveBack its schedule key is due
// again, so the cursor is lowered to it. Called with ds.mu held.
func (ds *destState) dropLease(id string, token uint64, giveBack bool) bool {
	le := ds.leases[id]
	if le == nil || le.token != token {
		return false
	}
	delete(ds.leases, id)
	ds.byKind.add(le.state, -1)
	if giveBack {
		ds.lower(le.schedKey)
	}
	return true
}

// scan walks dest's schedule from the cursor and calls take for each live,
// not leased entry due at or before now (every entry when now is zero) until
// take returns false. It then moves the cursor to the first such entry not
// taken. Called with ds.mu held, txn begun after taking it.
func (ds *destState) scan(txn *badger.Txn, now time.Time, take func(k []byte, at time.Time, id string) bool) {
	if ds.empty {
		return
	}
	it := txn.NewIterator(badger.IteratorOptions{Prefix: ds.prefix})
	defer it.Close()
	start := ds.cursor
	if start == nil {
		start = ds.prefix
	}
	var last []byte // last key taken
	for it.Seek(start); it.ValidForPrefix(ds.prefix); it.Next() {
		k := it.Item().Key()
		at, id, ok := parseScheduleKey(k, len(ds.prefix))
		if !ok || ds.leases[id] != nil {
			continue
		}
		if (!now.IsZero() && at.After(now)) || !take(k, at, id) {
			ds.cursor = append([]byte(nil), k...)
			return
		}
		last = append(last[:0], k...)
	}
	// Every live entry past the cursor is leased or was just taken: leases
	// lower the cursor again when given back.
	ds.empty = true
	ds.cursor = nil
	if last != nil {
		ds.cursor = successor(last)
	}
}

// Lease hands out up to max deliveries of dest due at now that are not in
// flight, earliest first, and marks them in flight. It finds them with a
// Seek from a per-destination cursor, never by scanning deleted keys.
// Deliveries behind an unfinished one of the same ordering key are not due.
func (s *Store) Lease(dest string, now time.Time, max int) ([]*Lease, error) {
	s.caughtUp()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	if max <= 0 {
		return nil, nil
	}
	ds := s.dest(dest)
	type taken struct {
		key   []byte
		id    string
		token uint64
	}
	var got []taken
	ds.mu.Lock()
	// The snapshot must be taken under ds.mu: see destState.
	txn := s.db.NewTransaction(false)
	defer txn.Discard()
	ds.scan(txn, now, func(k []byte, _ time.Time, id string) bool {
		if len(got) == max {
			return false
		}
		got = append(got, taken{key: append([]byte(nil), k...), id: id, token: s.leaseSeq.Add(1)})
		return true
	})
	for _, g := range got {
		ds.leases[g.id] = &leaseEntry{token: g.token, schedKey: g.key}
	}
	ds.mu.Unlock()

	out := make([]*Lease, 0, len(got))
	for _, g := range got {
		l, err := s.readLease(txn, dest, g.id)
		if err != nil || l == nil {
			ds.mu.Lock()
			ds.dropLease(g.id, g.token, err != nil)
			ds.mu.Unlock()
			if err != nil {
				s.log.Error("lease: read delivery", "destination", dest, "id", g.id, "err", err)
			}
			continue
		}
		l.token = g.token
		ds.mu.Lock()
		le := ds.leases[g.id]
		le.state = l.Delivery.State
		ds.byKind.add(le.state, 1)
		ds.mu.Unlock()
		out = append(out, l)
	}
	return out, nil
}

// readLease reads the delivery and message of a leased entry; nil when the
// delivery is gone (a stale schedule entry).
func (s *Store) readLease(txn *badger.Txn, dest, id string) (*Lease, error) {
	v, found, err := txnGet(txn, deliveryKey(id, dest))
	if err != nil {
		return nil, err
	}
	mv, ok, err := txnGet(txn, messageKey(id))
	if err != nil {
		return nil, err
	}
	if !ok {
		if !found {
			return nil, nil // a stale schedule entry
		}
		return nil, fmt.Errorf("message %s of delivery to %s: %w", id, dest, ErrNotFound)
	}
	m, err := decodeMessage(mv, true)
	if err != nil {
		return nil, err
	}
	d, ok, err := storedDelivery(id, dest, v, found, m)
	if err != nil || !ok {
		return nil, err
	}
	del := d.Delivery
	return &Lease{Message: m, Delivery: &del, Attempt: d.AttemptCount + 1}, nil
}

// NextDue returns the earliest scheduled time of dest's deliveries not in
// flight, and false when none is scheduled.
func (s *Store) NextDue(dest string) (time.Time, bool) {
	s.caughtUp()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return time.Time{}, false
	}
	ds := s.dest(dest)
	var next time.Time
	found := false
	ds.mu.Lock()
	txn := s.db.NewTransaction(false)
	defer txn.Discard()
	ds.scan(txn, time.Time{}, func(_ []byte, at time.Time, _ string) bool {
		next, found = at, true
		return false
	})
	ds.mu.Unlock()
	return next, found
}

// Wake returns a channel that receives (without blocking the sender) when a
// delivery of dest is newly scheduled: enqueue, replay, ordering promotion.
func (s *Store) Wake(dest string) <-chan struct{} { return s.dest(dest).wake }

// Release gives l back without recording an attempt (shutdown, pause): it
// is due again at once.
func (s *Store) Release(l *Lease) {
	if l == nil || l.Delivery == nil {
		return
	}
	ds := s.dest(l.Delivery.Destination)
	ds.mu.Lock()
	ok := ds.dropLease(l.Delivery.MessageID, l.token, true)
	ds.mu.Unlock()
	if ok {
		ds.signal()
	}
}

// leased reports whether dest's delivery of id is in flight.
func (s *Store) leased(dest, id string) bool {
	ds := s.dest(dest)
	ds.mu.Lock()
	defer ds.mu.Unlock()
	return ds.leases[id] != nil
}

// scheduled registers, for after the commit, a schedule key written for
// dest: the cursor is lowered to it and the destination woken.
func (b *batch) scheduled(dest string, k []byte) {
	ds := b.s.dest(dest)
	b.after(func(error) {
		ds.mu.Lock()
		ds.lower(k)
		ds.mu.Unlock()
		ds.signal()
	})
}

func txnGet(txn *badger.Txn, k []byte) ([]byte, bool, error) {
	item, err := txn.Get(k)
	if err == badger.ErrKeyNotFound {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("queue read: %w", err)
	}
	v, err := item.ValueCopy(nil)
	if err != nil {
		return nil, false, fmt.Errorf("queue read value: %w", err)
	}
	return v, true, nil
}
