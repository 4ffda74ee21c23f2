package queue

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"
)

const defaultListLimit = 100

// List returns messages matching f, newest first, at most f.Limit.
func (s *Store) List(f Filter) ([]Summary, error) {
	s.caughtUp()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultListLimit
	}
	txn := s.db.NewTransaction(false)
	defer txn.Discard()
	out, err := s.find(txn, f, limit)
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	return out, nil
}

// find returns the messages matching f (bodies left out), newest first, at
// most limit (0 = all). With a key it walks that key's entries in the key
// index (keyindex.go); else with a destination or state the
// (dest, state, received-time) index of each stream it names, merged;
// otherwise the message records, in id order. All backwards from f.Before.
func (s *Store) find(txn *badger.Txn, f Filter, limit int) ([]Summary, error) {
	if f.State != "" && statesFor(f.State) == nil {
		return nil, fmt.Errorf("unknown state %q", f.State)
	}
	var out []Summary
	switch {
	case len(f.IDs) > 0:
		seen := map[string]bool{}
		for _, id := range f.IDs {
			if seen[id] || !ValidID(id) {
				continue
			}
			seen[id] = true
			sum, ok, err := s.summary(txn, id, f)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, sum)
			}
		}
	case f.Key != "":
		// One Seek into the key index; matches checks the rest of f
		// (and the key itself: a long key is indexed by its hash).
		got, err := s.walkIDs(txn, keyIndexPrefix(f.Key), f, limit)
		if err != nil {
			return nil, err
		}
		out = got
	case f.Destination != "" || f.State != "":
		for _, dest := range s.destsFor(f) {
			for _, st := range statesFor(f.State) {
				got, err := s.walk(txn, stateIndexPrefix(dest, st), f, limit, nil)
				if err != nil {
					return nil, err
				}
				out = append(out, got...)
				if st != StatePending {
					continue
				}
				// Implicit pending deliveries have no state-index entry;
				// their schedule entry is at their receipt time, so the
				// schedule index walks them newest first too.
				got, err = s.walk(txn, schedulePrefix(dest), f, limit, func(id string) (bool, error) {
					_, found, err := txnGet(txn, deliveryKey(id, dest))
					return !found, err
				})
				if err != nil {
					return nil, err
				}
				out = append(out, got...)
			}
		}
	default:
		got, err := s.walkIDs(txn, []byte{pfxMessage}, f, limit)
		if err != nil {
			return nil, err
		}
		out = got
	}
	return newestFirst(out, limit), nil
}

// walk iterates one time-keyed index (prefix, at, id) backwards from
// f.Before down to f.Since and returns up to limit matching messages; only,
// when set, skips the ids it rejects.
func (s *Store) walk(txn *badger.Txn, prefix []byte, f Filter, limit int, only func(id string) (bool, error)) ([]Summary, error) {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, Reverse: true})
	defer it.Close()
	seek := append(append([]byte(nil), prefix...), bytes.Repeat([]byte{0xff}, timeLen+1)...)
	if !f.Before.IsZero() {
		seek = putTime(append([]byte(nil), prefix...), f.Before)
	}
	var out []Summary
	for it.Seek(seek); it.ValidForPrefix(prefix); it.Next() {
		k := it.Item().Key()
		if len(k) != len(prefix)+timeLen+idLen {
			continue
		}
		if at := readTime(k[len(prefix):]); !f.Since.IsZero() && at.Before(f.Since) {
			break
		}
		id := string(k[len(prefix)+timeLen:])
		if only != nil {
			if ok, err := only(id); err != nil {
				return nil, err
			} else if !ok {
				continue
			}
		}
		sum, ok, err := s.summary(txn, id, f)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, sum)
			if limit > 0 && len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

// walkIDs walks keys "prefix id" (the message records, or one key's
// entries in the key index) backwards from f.Before down to f.Since and
// returns up to limit matching messages. Ids start with the millisecond of
// their receipt (idAt), so key order is receipt order to the millisecond,
// and matches decides the exact bounds. Past limit it still reads the rest
// of the last millisecond: within one, id order is random, and newestFirst
// must see all of it to cut at the right message.
func (s *Store) walkIDs(txn *badger.Txn, prefix []byte, f Filter, limit int) ([]Summary, error) {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, Reverse: true})
	defer it.Close()
	seek := append(append([]byte(nil), prefix...), bytes.Repeat([]byte{0xff}, idLen+1)...)
	if !f.Before.IsZero() {
		tp := idTime(f.Before)
		seek = append(append(append([]byte(nil), prefix...), tp[:]...), 0xff)
	}
	var since []byte
	if !f.Since.IsZero() {
		tp := idTime(f.Since)
		since = tp[:]
	}
	var out []Summary
	var last []byte // the time prefix of the last match
	for it.Seek(seek); it.ValidForPrefix(prefix); it.Next() {
		k := it.Item().Key()
		if len(k) != len(prefix)+idLen {
			continue
		}
		ms := k[len(prefix) : len(prefix)+idTimeLen]
		if since != nil && bytes.Compare(ms, since) < 0 {
			break
		}
		if limit > 0 && len(out) >= limit && !bytes.Equal(ms, last) {
			break
		}
		sum, ok, err := s.summary(txn, string(k[len(prefix):]), f)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, sum)
			last = append(last[:0], ms...)
		}
	}
	return out, nil
}

// summary reads message id without its body and reports whether it
// matches f.
func (s *Store) summary(txn *badger.Txn, id string, f Filter) (Summary, bool, error) {
	m, ds, err := s.read(txn, id, false)
	if err == ErrNotFound {
		return Summary{}, false, nil
	}
	if err != nil {
		return Summary{}, false, err
	}
	sum := Summary{Message: m, Deliveries: ds}
	return sum, s.matches(sum, f), nil
}

func (s *Store) matches(sum Summary, f Filter) bool {
	m := sum.Message
	if (f.Route != "" && m.Route != f.Route) || (f.Key != "" && !hasKey(m, f.Key)) ||
		(!f.Since.IsZero() && m.ReceivedAt.Before(f.Since)) ||
		(!f.Before.IsZero() && !m.ReceivedAt.Before(f.Before)) {
		return false
	}
	if f.Destination == "" && f.State == "" {
		return true
	}
	for _, d := range sum.Deliveries {
		if s.deliveryMatches(d.Destination, d.State, f) {
			return true
		}
	}
	return false
}

// deliveryMatches reports whether a delivery in state st (as callers see
// it: delivering when in flight) matches f's destination and state.
func (s *Store) deliveryMatches(dest string, st State, f Filter) bool {
	if f.Destination != "" && dest != f.Destination {
		return false
	}
	switch f.State {
	case "":
		return true
	case StatePaused:
		return (st == StatePending || st == StateRetrying) && s.isPaused(dest)
	default:
		return st == f.State
	}
}

// destsFor names the destinations f can match.
func (s *Store) destsFor(f Filter) []string {
	if f.Destination != "" {
		return []string{f.Destination}
	}
	s.countsMu.Lock()
	defer s.countsMu.Unlock()
	out := make([]string, 0, len(s.counts))
	for name := range s.counts {
		out = append(out, name)
	}
	return out
}

// statesFor names the stored states whose index holds deliveries in st.
func statesFor(st State) []State {
	switch st {
	case "":
		return storedStates
	case StateDelivering, StatePaused:
		return []State{StatePending, StateRetrying}
	case StatePending, StateRetrying, StateDelivered, StateDead:
		return []State{st}
	}
	return nil
}

// newestFirst sorts by received time then id, both descending, drops
// repeats and cuts to limit (0 = all).
func newestFirst(in []Summary, limit int) []Summary {
	slices.SortFunc(in, func(a, b Summary) int {
		if c := b.Message.ReceivedAt.Compare(a.Message.ReceivedAt); c != 0 {
			return c
		}
		return cmpStr(b.Message.ID, a.Message.ID)
	})
	out := in[:0]
	for i, sum := range in {
		if i > 0 && sum.Message.ID == in[i-1].Message.ID {
			continue
		}
		out = append(out, sum)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// targets finds the messages f selects for Replay or Purge and returns,
// per message, the destinations of its deliveries.
func (s *Store) targets(f Filter) ([]target, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	txn := s.db.NewTransaction(false)
	defer txn.Discard()
	sums, err := s.find(txn, f, 0)
	if err != nil {
		return nil, err
	}
	out := make([]target, len(sums))
	for i, sum := range sums {
		out[i] = target{id: sum.Message.ID}
		for _, d := range sum.Deliveries {
			out[i].dests = append(out[i].dests, d.Destination)
		}
	}
	return out, nil
}

type target struct {
	id    string
	dests []string
}
