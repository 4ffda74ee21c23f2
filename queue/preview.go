package queue

import "fmt"

// Preview is what a Replay or Purge with the same filter would change if
// run now: how many deliveries, and the ids of the first (newest) few of
// their messages. Nothing is written to compute it.
type Preview struct {
	Count  int
	Sample []string
}

// ReplayPreview is Replay(f) without writing: the same targets and the same
// test per delivery (replayable), so a dry run and the real run agree on a
// queue that did not change in between.
func (s *Store) ReplayPreview(f Filter, samples int) (Preview, error) {
	return s.preview(f, samples, func(d *Delivery) bool {
		return s.replayable(d.Destination, d.MessageID, d.State, f)
	})
}

// PurgePreview is Purge(f) without writing.
func (s *Store) PurgePreview(f Filter, samples int) (Preview, error) {
	if f.State != StateDelivered && f.State != StateDead {
		return Preview{}, fmt.Errorf("purge: state must be %s or %s, not %q", StateDelivered, StateDead, f.State)
	}
	return s.preview(f, samples, func(d *Delivery) bool { return s.purgeable(d.State, d.Destination, f) })
}

func (s *Store) preview(f Filter, samples int, counts func(*Delivery) bool) (Preview, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return Preview{}, ErrClosed
	}
	txn := s.db.NewTransaction(false)
	defer txn.Discard()
	sums, err := s.find(txn, f, 0)
	if err != nil {
		return Preview{}, fmt.Errorf("preview: %w", err)
	}
	p := Preview{Sample: []string{}}
	for _, sum := range sums {
		n := 0
		for _, d := range sum.Deliveries {
			if counts(d) {
				n++
			}
		}
		if n > 0 && len(p.Sample) < samples {
			p.Sample = append(p.Sample, sum.Message.ID)
		}
		p.Count += n
	}
	return p, nil
}

// replayable reports whether Replay(f) replays a delivery in state st: one
// in flight is left to finish.
func (s *Store) replayable(dest, id string, st State, f Filter) bool {
	return st != StateDelivering && !s.leased(dest, id) && s.deliveryMatches(dest, st, f)
}

// purgeable reports whether Purge(f) deletes a delivery in state st.
func (s *Store) purgeable(st State, dest string, f Filter) bool {
	return st.Terminal() && s.deliveryMatches(dest, st, f)
}
