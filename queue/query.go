package queue

import (
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Get returns a message and all its deliveries (in-flight ones shown as
// StateDelivering). ErrNotFound when unknown.
func (s *Store) Get(id string) (*Message, []*Delivery, error) {
	s.caughtUp()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, nil, ErrClosed
	}
	if !ValidID(id) {
		return nil, nil, fmt.Errorf("get %q: %w", id, ErrNotFound)
	}
	txn := s.db.NewTransaction(false)
	defer txn.Discard()
	m, ds, err := s.read(txn, id, true)
	if err != nil {
		return nil, nil, fmt.Errorf("get %s: %w", id, err)
	}
	return m, ds, nil
}

// read reads a message and its deliveries as callers see them.
func (s *Store) read(txn *badger.Txn, id string, withBody bool) (*Message, []*Delivery, error) {
	v, ok, err := txnGet(txn, messageKey(id))
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, ErrNotFound
	}
	m, err := decodeMessage(v, withBody)
	if err != nil {
		return nil, nil, err
	}
	ds := make([]*Delivery, 0, len(m.Destinations))
	for _, dest := range m.Destinations {
		v, found, err := txnGet(txn, deliveryKey(id, dest))
		if err != nil {
			return nil, nil, err
		}
		r, ok, err := storedDelivery(id, dest, v, found, m)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			continue // purged
		}
		d := r.Delivery
		if !d.State.Terminal() && s.leased(dest, id) {
			d.State = StateDelivering
		}
		ds = append(ds, &d)
	}
	return m, ds, nil
}
