package queue

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// A power cut between checkpoints can leave Badger holding a key (in its
// memtable WAL or an SSTable) whose value-log bytes never reached the disk
// (dgraph-io/badger#1954): the value then fails to read, for ever. Open
// re-applies every journal record after the last checkpoint
// (journal_ingest.go), and every version written at or before it was
// synced; so when a re-apply reads such a value, it falls back to the
// newest readable older version of the key (none: the key was not there)
// and re-applies from that, the record's guards (an outcome's attempt
// count) seeing the state they were written against.

// errValueLost is what the test hook (Options.unreadable) makes a read of
// a lost value return.
var errValueLost = errors.New("value lost (injected by the test)")

// valueOf reads item's value.
func (s *Store) valueOf(item *badger.Item) ([]byte, error) {
	v, err := item.ValueCopy(nil)
	if err == nil && s.opts.unreadable != nil && s.opts.unreadable(item.Key(), item.Version()) {
		return nil, errValueLost
	}
	return v, err
}

// olderVersion returns the newest readable version of k older than the
// unreadable one, and writes it back as k's current value (a delete when
// the key was not there), so that k reads again whatever the re-applied
// records go on to do with it.
func (b *batch) olderVersion(k []byte, cause error) ([]byte, bool) {
	txn := b.s.db.NewTransaction(false)
	defer txn.Discard()
	it := txn.NewIterator(badger.IteratorOptions{AllVersions: true, Prefix: k})
	defer it.Close()
	for it.Seek(k); it.Valid() && bytes.Equal(it.Item().Key(), k); it.Next() {
		item := it.Item()
		if item.IsDeletedOrExpired() {
			break
		}
		v, err := b.s.valueOf(item)
		if err != nil {
			continue
		}
		b.s.log.Warn("queue value unreadable; its last readable version is applied again", "key", fmt.Sprintf("%x", k), "version", item.Version(), "err", cause)
		b.set(k, v)
		return v, true
	}
	b.s.log.Warn("queue value unreadable; it had no readable version before", "key", fmt.Sprintf("%x", k), "err", cause)
	b.del(k)
	return nil, false
}

// realign makes the state index and counters agree with d, a delivery
// whose record was just read back from an older version: they still say
// the state of the version lost. Every later record then moves them on
// from d's state, as it did the first time.
func (b *batch) realign(d *deliveryRec) {
	moved := false
	for _, st := range []State{StatePending, StateRetrying, StateDelivered, StateDead} {
		k := stateIndexKey(d.Destination, st, d.receivedAt, d.MessageID)
		if st == d.State && !d.implicit {
			continue
		}
		if _, ok, err := b.get(k); err != nil || !ok {
			continue
		}
		b.del(k)
		b.addCount(d.Destination, st, -1)
		moved = true
	}
	if !moved {
		return
	}
	b.addCount(d.Destination, d.State, 1)
	if !d.implicit {
		b.set(stateIndexKey(d.Destination, d.State, d.receivedAt, d.MessageID), nil)
	}
}
