package queue

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Enqueue persists m with one pending delivery per m.Destinations and
// returns once it is durable (synced when Options.Sync). It assigns m.ID and
// m.ReceivedAt when empty. With m.IdempotencyKey set and a message of the
// same Route and key still retained, nothing is written and the existing id
// is returned with duplicate=true.
func (s *Store) Enqueue(ctx context.Context, m *Message) (id string, duplicate bool, err error) {
	if err := s.maxDiskErr(s.space.promised.Load(), 0); err != nil { // before the work of encoding
		return "", false, fmt.Errorf("enqueue: %w", s.refuse(err))
	}
	if m.ReceivedAt.IsZero() {
		m.ReceivedAt = time.Now()
	}
	if m.ID == "" {
		// From the receipt time: List walks messages in id order.
		m.ID = idAt(m.ReceivedAt)
	}
	m.Destinations = uniq(m.Destinations)
	if err := validMessage(m); err != nil {
		return "", false, fmt.Errorf("enqueue: %w", err)
	}
	// Encode here, on the caller's goroutine, to keep the writer short.
	now := time.Now()
	rec, stored := encodeEnqueueRec(now, m)
	if err := s.admit(int64(len(rec))); err != nil {
		return "", false, fmt.Errorf("enqueue: %w", err)
	}
	// Without an idempotency key the answer is known now, and the journal
	// makes it durable: Enqueue returns without waiting for Badger (reads
	// wait instead: caughtUp). With one, only the apply can tell whether
	// the message is a duplicate. The writer gets its own copy of what it
	// reads of m: the caller may reuse m once Enqueue returns.
	own := &Message{ID: m.ID, Route: m.Route, ReceivedAt: m.ReceivedAt, IdempotencyKey: m.IdempotencyKey,
		OrderingKey: m.OrderingKey, TracingID: m.TracingID, Destinations: slices.Clone(m.Destinations)}
	wait := m.IdempotencyKey != ""
	var got string
	var dup bool
	err = s.submitJournaled(ctx, change{kind: recEnqueue, rec: rec, now: now, owed: int64(len(rec)),
		apply: func(b *batch) error {
			g, d := b.enqueue(own, stored)
			if wait {
				got, dup = g, d
			}
			return nil
		}}, wait)
	if err != nil {
		return "", false, fmt.Errorf("enqueue: %w", err)
	}
	if wait {
		m.ID = got
		return got, dup, nil
	}
	return m.ID, false, nil
}

// enqueue stages m's message record, indexes and deliveries, or finds the
// message already stored under its idempotency key.
func (b *batch) enqueue(m *Message, rec []byte) (string, bool) {
	var ik []byte
	if m.IdempotencyKey != "" {
		ik = idemKey(m.Route, m.IdempotencyKey)
		// The txn sees its own pending writes: a duplicate earlier in
		// this batch is found too.
		if v, ok, err := b.get(ik); err != nil {
			b.fail("read idempotency key", err)
			return "", false
		} else if ok {
			return string(v), true
		}
		b.set(ik, []byte(m.ID))
	}
	b.set(messageKey(m.ID), rec)
	b.indexKeys(m)
	for _, dest := range m.Destinations {
		d := &deliveryRec{
			Delivery: Delivery{
				MessageID: m.ID, Destination: dest, State: StatePending,
				UpdatedAt: b.now, OrderingKey: m.OrderingKey,
			},
			receivedAt: m.ReceivedAt,
			siblings:   m.Destinations,
		}
		b.addCount(dest, StatePending, 1)
		if m.OrderingKey == "" {
			// Implicit: the schedule entry alone (implicit.go).
			b.schedule(d, m.ReceivedAt)
			continue
		}
		if b.joinChain(d) {
			b.schedule(d, m.ReceivedAt)
		}
		b.set(stateIndexKey(dest, StatePending, d.receivedAt, d.MessageID), nil)
		b.putDelivery(d)
	}
	return m.ID, false
}

func (b *batch) putDelivery(d *deliveryRec) {
	b.set(deliveryKey(d.MessageID, d.Destination), encodeDelivery(d))
}

// getDelivery reads a delivery as the txn sees it, reading its message
// when it has no record (an implicit one).
func (b *batch) getDelivery(id, dest string) (*deliveryRec, bool) {
	return b.deliveryOf(id, dest, nil)
}

// deliveryOf is getDelivery with the message already at hand (nil: read
// it if needed).
func (b *batch) deliveryOf(id, dest string, m *Message) (*deliveryRec, bool) {
	b.restored = false
	v, found, err := b.get(deliveryKey(id, dest))
	if err != nil {
		b.fail("read delivery", err)
		return nil, false
	}
	restored := b.restored
	if !found && m == nil {
		mv, ok, err := b.get(messageKey(id))
		if err != nil {
			b.fail("read message", err)
			return nil, false
		}
		if !ok {
			return nil, false
		}
		if m, err = decodeMessage(mv, false); err != nil {
			b.fail("read message", err)
			return nil, false
		}
	}
	d, ok, err := storedDelivery(id, dest, v, found, m)
	if err != nil {
		b.fail("read delivery", err)
	}
	if ok && restored {
		b.realign(d)
	}
	return d, ok
}

// messageDeliveries reads every delivery still stored of a message, given
// one of them (which lists its siblings and says when it was received).
func (b *batch) messageDeliveries(d *deliveryRec) []*deliveryRec {
	m := &Message{ID: d.MessageID, ReceivedAt: d.receivedAt, Destinations: d.siblings, OrderingKey: d.OrderingKey}
	out := make([]*deliveryRec, 0, len(d.siblings))
	for _, name := range d.siblings {
		if name == d.Destination {
			out = append(out, d)
			continue
		}
		if o, ok := b.deliveryOf(d.MessageID, name, m); ok {
			out = append(out, o)
		}
	}
	return out
}

// NewID returns a message id: 32 characters [0-9a-z]. The first 10 are the
// current unix milliseconds in base 36, so ids sort by time; the rest come
// from crypto/rand (22 characters, ~113 bits).
func NewID() string { return idAt(time.Now()) }

const idAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

// idTime is the id prefix of t: its unix milliseconds in base 36, 10
// characters (times before 1970 count as 1970).
func idTime(t time.Time) [idTimeLen]byte {
	var out [idTimeLen]byte
	ms := uint64(max(t.UnixMilli(), 0))
	for i := idTimeLen - 1; i >= 0; i-- {
		out[i] = idAlphabet[ms%36]
		ms /= 36
	}
	return out
}

// idAt returns a new id whose time is t's.
func idAt(t time.Time) string {
	var out [idLen]byte
	tp := idTime(t)
	copy(out[:], tp[:])
	bp := idBufs.Get().(*[64]byte)
	defer idBufs.Put(bp)
	n := idTimeLen
	for n < idLen {
		rand.Read(bp[:])
		for _, c := range bp {
			// 252 = 7×36: rejecting the rest keeps every character
			// equally likely.
			if c < 252 && n < idLen {
				out[n] = idAlphabet[c%36]
				n++
			}
		}
	}
	return string(out[:])
}

const idTimeLen = 10

var idBufs = sync.Pool{New: func() any { return new([64]byte) }}

// ValidID reports whether id has the form NewID returns.
func ValidID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func validDest(name string) error {
	if name == "" || strings.IndexByte(name, 0) >= 0 {
		return fmt.Errorf("invalid destination name %q", name)
	}
	return nil
}

func validMessage(m *Message) error {
	if !ValidID(m.ID) {
		return fmt.Errorf("invalid message id %q", m.ID)
	}
	if len(m.Destinations) == 0 {
		return errors.New("message has no destination")
	}
	for _, d := range m.Destinations {
		if err := validDest(d); err != nil {
			return err
		}
	}
	return nil
}

func uniq(names []string) []string {
	for i := 1; i < len(names); i++ {
		for j := 0; j < i; j++ {
			if names[i] == names[j] {
				out := append([]string(nil), names[:i]...)
				for _, n := range names[i:] {
					dup := false
					for _, o := range out {
						dup = dup || o == n
					}
					if !dup {
						out = append(out, n)
					}
				}
				return out
			}
		}
	}
	return names
}
