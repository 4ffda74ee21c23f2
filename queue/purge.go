package queue

import (
	"context"
	"fmt"
)

// Purge deletes the delivered or dead deliveries matching f (f.State must
// be one of those) and messages left with no delivery; returns how many
// deliveries it deleted.
func (s *Store) Purge(f Filter) (int, error) {
	if f.State != StateDelivered && f.State != StateDead {
		return 0, fmt.Errorf("purge: state must be %s or %s, not %q", StateDelivered, StateDead, f.State)
	}
	ts, err := s.targets(f)
	if err != nil {
		return 0, fmt.Errorf("purge: %w", err)
	}
	total := 0
	for _, chunk := range chunks(ts, sweepChunk) {
		n := 0
		err := s.submit(context.Background(), 0, func(b *batch) error {
			for _, t := range chunk {
				b.makeRoom()
				n += b.purgeMessage(t, f)
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("purge: %w", err)
		}
		total += n
	}
	if total > 0 {
		// A store refusing for storage.max_disk looks again now rather
		// than at the next request or tick, and again once the space
		// the purge freed is given back (reclaim.go).
		s.refreshSize()
		s.askReclaim()
	}
	return total, nil
}

// purgeMessage deletes the terminal deliveries of one message matching f,
// and the message when none is left.
func (b *batch) purgeMessage(t target, f Filter) int {
	var keep []*deliveryRec
	var all []*deliveryRec
	for _, dest := range t.dests {
		if d, ok := b.getDelivery(t.id, dest); ok {
			all = append(all, d)
		}
	}
	oldExp, hadExp := expiryOf(all)
	n := 0
	for _, d := range all {
		if !b.s.purgeable(d.State, d.Destination, f) {
			keep = append(keep, d)
			continue
		}
		b.deleteDelivery(d, true)
		n++
	}
	if n == 0 {
		return 0
	}
	newExp, hasExp := expiryOf(keep)
	if hadExp && (!hasExp || !newExp.Equal(oldExp)) {
		b.del(expiryKey(oldExp, t.id))
	}
	if len(keep) == 0 {
		b.deleteMessage(t.id)
		return n
	}
	if hasExp && (!hadExp || !newExp.Equal(oldExp)) {
		k := expiryKey(newExp, t.id)
		b.set(k, nil)
		b.after(func(error) { b.s.lowerSweep(k) })
	}
	return n
}
