package queue

import (
	"fmt"
	"time"
)

// Purge deletes the delivered or dead deliveries matching f (f.State must
// be one of those) and messages left with no delivery; returns how many
// deliveries it deleted.
func (s *Store) Purge(f Filter) (int, error) {
	if f.State != StateDelivered && f.State != StateDead {
		return 0, fmt.Errorf("purge: state must be %s or %s, not %q", StateDelivered, StateDead, f.State)
	}
	total, err := s.changeTargets(recPurge, f, time.Time{})
	if err != nil {
		return total, fmt.Errorf("purge: %w", err)
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
	b.moveExpiry(t.id, oldExp, hadExp, keep)
	if len(keep) == 0 {
		b.deleteMessage(t.id)
	}
	return n
}
