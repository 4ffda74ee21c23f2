package queue

import "time"

// The index helpers: every write of the schedule, ordering-chain, state and
// expiry indexes goes through these, so each index changes in one place.

// setState moves d to st, keeping the state index and counters in step. An
// implicit d gets its state-index entry now (the caller writes its record).
func (b *batch) setState(d *deliveryRec, st State) {
	if d.State == st && !d.implicit {
		return
	}
	if !d.implicit {
		b.del(stateIndexKey(d.Destination, d.State, d.receivedAt, d.MessageID))
	}
	if d.State != st {
		b.addCount(d.Destination, d.State, -1)
		b.addCount(d.Destination, st, 1)
	}
	d.State, d.implicit = st, false
	b.set(stateIndexKey(d.Destination, st, d.receivedAt, d.MessageID), nil)
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
	b.moveExpiry(d.MessageID, old, hadOld, b.messageDeliveries(d))
}

// moveExpiry is the expiry rule, written once: a message expires
// Retention after the last of its deliveries ds became terminal, and has
// no expiry key while one is not. It replaces the key the message had
// (old, hadOld) by the one ds give now, if they differ.
func (b *batch) moveExpiry(id string, old time.Time, hadOld bool, ds []*deliveryRec) {
	at, ok := expiryOf(ds)
	if hadOld && (!ok || !at.Equal(old)) {
		b.del(expiryKey(old, id))
	}
	if ok && (!hadOld || !at.Equal(old)) {
		k := expiryKey(at, id)
		b.set(k, nil)
		b.after(func(error) { b.s.lowerSweep(k) })
	}
}
