package queue

import (
	"fmt"
	"time"
)

// Replay starts a fresh retry schedule, due now, for the deliveries matching
// f (any state but in flight) and returns how many. It is safe while
// deliveries run: each delivery is re-checked by the writer.
func (s *Store) Replay(f Filter, now time.Time) (int, error) {
	n, err := s.changeTargets(recReplay, f, now)
	if err != nil {
		return n, fmt.Errorf("replay: %w", err)
	}
	return n, nil
}

// replayMessage replays the deliveries of one message matching f.
func (b *batch) replayMessage(t target, f Filter, now time.Time) int {
	var all []*deliveryRec
	for _, dest := range t.dests {
		if d, ok := b.getDelivery(t.id, dest); ok {
			all = append(all, d)
		}
	}
	oldExp, hadExp := expiryOf(all)
	n := 0
	for _, d := range all {
		if !b.s.replayable(d.Destination, d.MessageID, d.State, f) {
			continue
		}
		b.replay(d, now)
		n++
	}
	b.moveExpiry(t.id, oldExp, hadExp, all)
	return n
}

// replay gives d a fresh schedule due at now, keeping its attempts: its
// ScheduleStart is cleared, so max_elapsed counts from the next attempt. An
// ordered delivery stays behind the unfinished ones of its key: a finished
// one joins the end of its chain, a waiting one keeps its place.
func (b *batch) replay(d *deliveryRec, now time.Time) {
	wasTerminal := d.State.Terminal()
	wasHead := !d.NextAttemptAt.IsZero()
	b.unschedule(d)
	b.setState(d, StatePending)
	d.ScheduleStart, d.UpdatedAt = time.Time{}, b.now // starts at the next attempt
	switch {
	case d.OrderingKey == "":
		b.schedule(d, now)
	case wasTerminal:
		if b.joinChain(d) {
			b.schedule(d, now)
		}
	case wasHead:
		b.schedule(d, now)
	}
	b.putDelivery(d)
}
