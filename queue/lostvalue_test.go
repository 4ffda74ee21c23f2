package queue

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// A power cut between checkpoints can keep Badger's keys, and its claim of
// the last journal record applied, while losing the value-log bytes of
// what it wrote since (dgraph-io/badger#1954). Open must re-apply every
// record after the last checkpoint, reading each lost delivery from its
// last version before it, and come back to exactly the state of a store
// that never stopped.
func TestLostDeliveryValuesAfterACheckpointComeBackFromTheJournal(t *testing.T) {
	dir := t.TempDir()
	sync := func(o *Options) { o.Sync = true }
	s := openTest(t, dir, sync)
	churn(t, s, 0)
	retried(t, s, 0)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, dir, sync) // Open syncs Badger and records a checkpoint
	cpPath := filepath.Join(dir, journalDir, "checkpoint")
	atCheckpoint, err := os.ReadFile(cpPath)
	if err != nil {
		t.Fatal(err)
	}
	synced := s.db.MaxVersion()
	churn(t, s, 1)
	retried(t, s, 1)
	// A last commit that writes no delivery: Badger gives a pending
	// write the version the reopened store reads at, which is this one,
	// so only versions below it are made unreadable.
	if err := s.SetPaused("z", true); err != nil {
		t.Fatal(err)
	}
	want := dumpState(t, s)
	written := s.db.MaxVersion()
	poisoned, older := lostDeliveries(t, s.db, synced)
	if older == 0 {
		t.Fatal("no delivery written before the checkpoint was rewritten after it: the test proves nothing")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// The power cut: Badger keeps every key and its claimed journal seq
	// (a clean Close made them all durable), but each delivery value
	// written after the checkpoint is lost, and the last checkpoint the
	// journal recorded is Open's.
	if err := os.WriteFile(cpPath, atCheckpoint, 0o600); err != nil {
		t.Fatal(err)
	}
	lost := func(o *Options) {
		o.Sync = true
		o.unreadable = func(k []byte, version uint64) bool {
			return poisoned[string(k)] && version > synced && version < written
		}
	}
	r := openTest(t, dir, lost)
	if d := diffState(want, dumpState(t, r)); d != "" {
		t.Fatalf("state after re-applying the journal differs from a store that never stopped: %s", d)
	}
	r.Close()
	if d := diffState(want, dumpState(t, openTest(t, dir, lost))); d != "" {
		t.Fatalf("state after a second open: %s", d)
	}
}

// retried gives each of a few deliveries without an ordering key one more
// attempt per round: each retried, then (round 1) delivered, dead or
// retried again, the dead replayed; so their records, written before the
// checkpoint, are written again after it.
func retried(t *testing.T, s *Store, round int) {
	t.Helper()
	if round == 0 {
		for i := 0; i < 6; i++ {
			enqueue(t, s, msg("r", "e", "f"))
		}
	}
	now := time.Now()
	for i, l := range leaseAll(t, s, "e", now.Add(time.Hour)) {
		switch {
		case round == 0 || i%3 == 2:
			complete(t, s, l, Retry, now.Add(time.Minute))
		case i%3 == 0:
			complete(t, s, l, Delivered, time.Time{})
		default:
			complete(t, s, l, Dead, time.Time{})
		}
	}
	if round == 1 {
		if _, err := s.Replay(Filter{Destination: "e", State: StateDead}, now); err != nil {
			t.Fatal(err)
		}
	}
}

// lostDeliveries returns the keys of the deliveries without an ordering
// key written after synced: those with a version at or before it (the
// older version is the fallback; older counts them), and those first
// written after it by an outcome (the fallback is the implicit delivery
// their message implies). Ordered deliveries are left out: their chain
// is not rebuilt (docs/RELIABILITY.md).
func lostDeliveries(t *testing.T, db *badger.DB, synced uint64) (keys map[string]bool, older int) {
	t.Helper()
	keys = map[string]bool{}
	err := db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{AllVersions: true, Prefix: []byte{pfxDelivery}})
		defer it.Close()
		var last []byte
		var before, after, ordered bool
		flush := func() {
			if after && !ordered {
				keys[string(last)] = true
			}
			if after && before && !ordered {
				older++
			}
		}
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			if !bytes.Equal(item.Key(), last) {
				flush()
				last, before, after, ordered = item.KeyCopy(nil), false, false, false
			}
			if item.Version() > synced {
				after = true
			} else {
				before = true
			}
			v, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			if !isPurged(v) && len(v) > 0 {
				d, err := decodeDelivery(string(last[1:1+idLen]), string(last[1+idLen:]), v)
				ordered = ordered || (err == nil && d.OrderingKey != "")
			}
		}
		flush()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys, older
}

// A clean Close syncs Badger and records a checkpoint of every record: the
// next Open applies none again (a kill or power cut re-applies from the
// last checkpoint instead, as above).
func TestCleanCloseIsACheckpoint(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, func(o *Options) { o.Sync = true })
	for i := 0; i < 5; i++ {
		enqueue(t, s, msg("r", "a"))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var logged lockedBuffer
	openTest(t, dir, func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logged, nil))
	})
	if got := logged.String(); !strings.Contains(got, `msg="journal replayed" records=5 applied=0`) {
		t.Fatalf("after a clean close Open should re-apply none of the 5 records; it logged:\n%s", got)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
