package queue

import (
	"context"
	"errors"
	"fmt"
	"time"
)

var errNotLeased = errors.New("lease not held")

// Complete records l's attempt and outcome (group-committed) and releases
// the lease. Delivered and Dead end the delivery and promote the next one of
// its ordering key; Retry schedules it at o.NextAttemptAt.
func (s *Store) Complete(l *Lease, o Outcome) error {
	if l == nil || l.Delivery == nil {
		return fmt.Errorf("complete: %w", errNotLeased)
	}
	id, dest := l.Delivery.MessageID, l.Delivery.Destination
	ds := s.dest(dest)
	ds.mu.Lock()
	le := ds.leases[id]
	ds.mu.Unlock()
	if le == nil || le.token != l.token {
		return fmt.Errorf("complete %s/%s: %w", id, dest, errNotLeased)
	}
	r := &outcomeRec{id: id, dest: dest, attempt: l.Attempt, outcome: o, now: time.Now()}
	err := s.submitJournaled(context.Background(), change{kind: recOutcome, rec: encodeOutcomeRec(r), now: r.now,
		apply: func(b *batch) error {
			// The lease ends after the commit whatever happens: on failure
			// its schedule entry is still on disk and due again.
			b.after(func(err error) {
				ds.mu.Lock()
				ds.dropLease(id, l.token, err != nil)
				ds.mu.Unlock()
				if err != nil {
					ds.signal()
				}
			})
			return b.complete(r, l.Message)
		}}, true)
	if errors.Is(err, ErrClosed) {
		ds.mu.Lock()
		ds.dropLease(id, l.token, true)
		ds.mu.Unlock()
	}
	if err != nil {
		return fmt.Errorf("complete %s/%s: %w", id, dest, err)
	}
	return nil
}

// complete applies an outcome: only to the attempt after the last one
// stored, so that applying its record again changes nothing.
func (b *batch) complete(r *outcomeRec, m *Message) error {
	o := r.outcome
	d, ok := b.deliveryOf(r.id, r.dest, m)
	if !ok {
		if b.err != nil {
			return b.err
		}
		return ErrNotFound
	}
	if d.State.Terminal() {
		return fmt.Errorf("delivery is already %s", d.State)
	}
	if d.AttemptCount != r.attempt-1 {
		return fmt.Errorf("attempt %d: the delivery has %d recorded", r.attempt, d.AttemptCount)
	}
	b.unschedule(d)
	if d.ScheduleStart.IsZero() {
		d.ScheduleStart = o.Attempt.At // the schedule starts at its first attempt
	}
	d.addAttempt(o.Attempt)
	d.UpdatedAt = b.now
	switch o.Result {
	case Retry:
		at := o.NextAttemptAt
		if at.IsZero() {
			at = b.now
		}
		b.setState(d, StateRetrying)
		b.schedule(d, at)
		b.putDelivery(d)
	case Delivered, Dead:
		st := StateDelivered
		if o.Result == Dead {
			st = StateDead
		}
		b.setState(d, st)
		b.leaveChain(d)
		b.putDelivery(d)
		b.setExpiry(d, time.Time{}, false)
	default:
		return fmt.Errorf("unknown result %d", o.Result)
	}
	return nil
}

// schedule puts d in the schedule index at at. The caller writes d.
func (b *batch) schedule(d *deliveryRec, at time.Time) {
	d.NextAttemptAt = at
	k := scheduleKey(d.Destination, at, d.MessageID)
	b.set(k, nil)
	b.scheduled(d.Destination, k)
}

// unschedule takes d out of the schedule index. The caller writes d.
func (b *batch) unschedule(d *deliveryRec) {
	if d.NextAttemptAt.IsZero() {
		return
	}
	b.del(scheduleKey(d.Destination, d.NextAttemptAt, d.MessageID))
	d.NextAttemptAt = time.Time{}
}

// joinChain appends d to its ordering chain and reports whether it is the
// chain's head (nothing unfinished before it), so due now.
func (b *batch) joinChain(d *deliveryRec) bool {
	prefix := chainPrefix(d.Destination, d.OrderingKey)
	_, busy := b.firstKey(prefix)
	b.s.seq++
	b.seqDirty = true
	d.chainSeq = b.s.seq
	b.set(chainKey(d.Destination, d.OrderingKey, d.chainSeq, d.MessageID), nil)
	return !busy
}

// leaveChain takes a finished d out of its ordering chain and schedules
// the new head now, if it is not scheduled yet. The caller writes d.
func (b *batch) leaveChain(d *deliveryRec) {
	if d.chainSeq == 0 {
		return
	}
	b.del(chainKey(d.Destination, d.OrderingKey, d.chainSeq, d.MessageID))
	d.chainSeq = 0
	b.promote(d.Destination, d.OrderingKey)
}

// promote schedules the head of (dest, okey)'s chain if it is waiting.
func (b *batch) promote(dest, okey string) {
	prefix := chainPrefix(dest, okey)
	k, ok := b.firstKey(prefix)
	if !ok || len(k) != len(prefix)+8+idLen {
		return
	}
	id := string(k[len(prefix)+8:])
	next, ok := b.getDelivery(id, dest)
	if !ok || !next.NextAttemptAt.IsZero() || next.State.Terminal() {
		return
	}
	b.schedule(next, b.now)
	b.putDelivery(next)
}

// expiryOf is when the message of ds became all terminal, if it is.
func expiryOf(ds []*deliveryRec) (time.Time, bool) {
	var last time.Time
	for _, d := range ds {
		if !d.State.Terminal() {
			return time.Time{}, false
		}
		if d.UpdatedAt.After(last) {
			last = d.UpdatedAt
		}
	}
	return last, len(ds) > 0
}

// setExpiry writes the message's expiry key when all its deliveries are
// terminal, replacing the one it had before (old, hadOld).
func (b *batch) setExpiry(d *deliveryRec, old time.Time, hadOld bool) {
	at, ok := expiryOf(b.messageDeliveries(d))
	if hadOld && (!ok || !at.Equal(old)) {
		b.del(expiryKey(old, d.MessageID))
	}
	if ok && (!hadOld || !at.Equal(old)) {
		k := expiryKey(at, d.MessageID)
		b.set(k, nil)
		b.after(func(error) { b.s.lowerSweep(k) })
	}
}
