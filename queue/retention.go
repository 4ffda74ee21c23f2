package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// sweepChunk is how many expired messages one writer request deletes, so
// a large sweep does not hold up enqueues behind one long batch.
const sweepChunk = 256

// sizeInterval is how often Size is refreshed for status and metrics.
// With storage.max_disk set, Enqueue reads it more often
// (storeSizeInterval) and after every purge or retention pass.
const sizeInterval = 5 * time.Second

func (s *Store) runMaintenance() {
	defer s.wg.Done()
	ctx := s.stopped
	gc := time.NewTicker(s.opts.GCInterval)
	defer gc.Stop()
	size := time.NewTicker(min(sizeInterval, s.opts.GCInterval))
	defer size.Stop()
	s.sampleIngest(time.Now())
	for {
		select {
		case <-ctx.Done():
			return
		case <-size.C:
			s.refreshSize()
			s.sampleIngest(time.Now())
			s.maybeReclaim(ctx)
		case <-s.reclaim.wake:
			s.maybeReclaim(ctx)
		case <-gc.C:
			if n, err := s.sweep(time.Now()); err != nil && !errors.Is(err, ErrClosed) {
				s.log.Warn("retention sweep failed", "err", err)
			} else if n > 0 {
				s.log.Info("retention sweep", "messages_deleted", n)
			}
			s.runValueLogGC(ctx)
			s.refreshSize()
			s.maybeReclaim(ctx)
		}
	}
}

// sweep deletes the messages whose deliveries all became terminal more
// than Retention before now, and returns how many. It Seeks the expiry
// index from a cursor instead of scanning messages.
func (s *Store) sweep(now time.Time) (int, error) {
	if s.opts.Retention <= 0 {
		return 0, nil
	}
	cutoff := now.Add(-s.opts.Retention)
	total := 0
	for {
		keys, err := s.expired(cutoff, sweepChunk)
		if err != nil || len(keys) == 0 {
			return total, err
		}
		n := 0
		err = s.submitJournaled(context.Background(), change{kind: recExpire, rec: encodeExpireRec(now, keys), now: now,
			apply: func(b *batch) error {
				for _, k := range keys {
					b.makeRoom()
					if b.expire(k) {
						n++
					}
				}
				return nil
			}}, true)
		if err != nil {
			return total, fmt.Errorf("retention sweep: %w", err)
		}
		total += n
		if len(keys) < sweepChunk {
			return total, nil
		}
	}
}

// expired returns up to max expiry keys at or before cutoff, from the
// sweep cursor, and moves the cursor to the first live key. The cursor is
// the writer's alone: maintenance asks it with a request that writes
// nothing, so no lock guards it.
func (s *Store) expired(cutoff time.Time, max int) ([][]byte, error) {
	var keys [][]byte
	err := s.submit(context.Background(), 0, func(b *batch) error {
		keys = b.expiredKeys(cutoff, max)
		return b.err
	})
	return keys, err
}

// expiredKeys reads the expiry keys for expired, as the batch sees them.
func (b *batch) expiredKeys(cutoff time.Time, max int) [][]byte {
	if b.err != nil {
		return nil
	}
	s := b.s
	prefix := []byte{pfxExpiry}
	start := s.sweepCursor
	if start == nil {
		start = prefix
	}
	it := b.txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	var keys [][]byte
	first := true
	for it.Seek(start); it.ValidForPrefix(prefix) && len(keys) < max; it.Next() {
		k := it.Item().KeyCopy(nil)
		if first {
			s.sweepCursor, first = k, false
		}
		if len(k) != 1+timeLen+idLen || readTime(k[1:]).After(cutoff) {
			break
		}
		keys = append(keys, k)
	}
	return keys
}

// lowerSweep moves the sweep cursor down to an expiry key just written.
// Called on the writer goroutine (a batch's effect), the cursor's owner.
func (s *Store) lowerSweep(k []byte) {
	if s.sweepCursor != nil && bytes.Compare(k, s.sweepCursor) < 0 {
		s.sweepCursor = k
	}
}

// expire deletes the message of expiry key k if the key is still there
// (a replay deletes it).
func (b *batch) expire(k []byte) bool {
	if _, ok, err := b.get(k); err != nil || !ok {
		return false
	}
	b.del(k)
	b.deleteMessage(string(k[1+timeLen:]))
	return true
}

// deleteMessage deletes a message, its deliveries and every index entry.
func (b *batch) deleteMessage(id string) {
	v, ok, err := b.get(messageKey(id))
	if err != nil {
		b.fail("read message", err)
		return
	}
	if !ok {
		return
	}
	m, err := decodeMessage(v, false)
	if err != nil {
		b.fail("read message", err)
		return
	}
	b.s.reclaim.deleted.Add(int64(len(v))) // an estimate: the batch may yet fail
	for _, dest := range m.Destinations {
		if d, ok := b.deliveryOf(id, dest, m); ok {
			b.deleteDelivery(d, false)
		} else {
			b.del(deliveryKey(id, dest)) // a purged marker, if any
		}
	}
	if m.IdempotencyKey != "" {
		ik := idemKey(m.Route, m.IdempotencyKey)
		if v, ok, _ := b.get(ik); ok && string(v) == id {
			b.del(ik)
		}
	}
	b.unindexKeys(m)
	b.del(messageKey(id))
}

// deleteDelivery deletes d's record and index entries. A delivery that is
// not terminal is taken out of the schedule and its chain as well. While
// its message stays (marker), a purged marker replaces the record, which
// would otherwise read as an implicit pending delivery.
func (b *batch) deleteDelivery(d *deliveryRec, marker bool) {
	b.unschedule(d)
	b.leaveChain(d)
	if !d.implicit {
		b.del(stateIndexKey(d.Destination, d.State, d.receivedAt, d.MessageID))
	}
	b.addCount(d.Destination, d.State, -1)
	if marker && d.OrderingKey == "" {
		b.set(deliveryKey(d.MessageID, d.Destination), purgedRecord)
		return
	}
	b.del(deliveryKey(d.MessageID, d.Destination))
}
