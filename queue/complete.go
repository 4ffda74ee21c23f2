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
