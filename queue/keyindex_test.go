package queue

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// keyFixture enqueues 300 messages one millisecond apart, each with an
// idempotency key, an ordering key and a tracing id of its own, among
// them: a task key (idempotency), an instance guid (ordering key of two
// messages, on two routes), a tracing id shared by three, and a message
// whose three keys are one value.
type keyFixture struct {
	s                          *Store
	base                       time.Time
	task, inst0, inst1, same   string
	trace                      []string
	long, longTwin, longWanted string
}

func newKeyFixture(t *testing.T, dir string, mod func(*Options)) *keyFixture {
	t.Helper()
	s := openTest(t, dir, mod)
	fx := &keyFixture{s: s, base: time.Now().Add(-time.Hour).Truncate(time.Second)}
	long := strings.Repeat("x", maxIndexedKey+40)
	for i := range 300 {
		m := msg("r", "a")
		m.ReceivedAt = fx.base.Add(time.Duration(i) * time.Millisecond)
		m.IdempotencyKey = fmt.Sprintf("task-%03d", i)
		m.TracingID = fmt.Sprintf("trace-%03d", i)
		switch i {
		case 10:
			m.OrderingKey = "inst-guid"
		case 20:
			m.Route, m.OrderingKey = "r2", "inst-guid"
		case 30, 40, 50:
			m.TracingID = "shared-trace"
		case 60:
			m.IdempotencyKey, m.OrderingKey, m.TracingID = "all-one", "all-one", "all-one"
		case 70:
			m.TracingID = long + "A" // same first 256 bytes as 71's
		case 71:
			m.TracingID = long + "B"
		}
		id := enqueue(t, s, m)
		switch i {
		case 5:
			fx.task = id
		case 10:
			fx.inst0 = id
		case 20:
			fx.inst1 = id
		case 30, 40, 50:
			fx.trace = append(fx.trace, id)
		case 60:
			fx.same = id
		case 70:
			fx.longWanted = id
		case 71:
			fx.longTwin = id
		}
	}
	fx.long = long + "A"
	return fx
}

func listIDs(t *testing.T, s *Store, f Filter) []string {
	t.Helper()
	got, err := s.List(f)
	if err != nil {
		t.Fatalf("list %+v: %v", f, err)
	}
	var ids []string
	for _, sum := range got {
		ids = append(ids, sum.Message.ID)
	}
	return ids
}

// keyEntries returns every key-index entry in the store.
func keyEntries(t *testing.T, s *Store) [][]byte {
	t.Helper()
	var out [][]byte
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{pfxKey}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			out = append(out, it.Item().KeyCopy(nil))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestListByKeyFindsEveryKindOfKey(t *testing.T) {
	fx := newKeyFixture(t, "", nil)
	s := fx.s
	cases := []struct {
		name string
		f    Filter
		want []string
	}{
		{"idempotency key", Filter{Key: "task-005"}, []string{fx.task}},
		{"ordering key, newest first", Filter{Key: "inst-guid"}, []string{fx.inst1, fx.inst0}},
		{"tracing id", Filter{Key: "shared-trace"}, []string{fx.trace[2], fx.trace[1], fx.trace[0]}},
		{"one value in all three keys", Filter{Key: "all-one"}, []string{fx.same}},
		{"key over 256 bytes", Filter{Key: fx.long}, []string{fx.longWanted}},
		{"unknown key", Filter{Key: "task-999"}, nil},
		{"a prefix of a key is not the key", Filter{Key: "task-00"}, nil},
		{"key and route", Filter{Key: "inst-guid", Route: "r2"}, []string{fx.inst1}},
		{"key and limit", Filter{Key: "shared-trace", Limit: 2}, []string{fx.trace[2], fx.trace[1]}},
		{"key and since", Filter{Key: "shared-trace", Since: fx.base.Add(40 * time.Millisecond)}, []string{fx.trace[2], fx.trace[1]}},
		{"key and before", Filter{Key: "shared-trace", Before: fx.base.Add(50 * time.Millisecond)}, []string{fx.trace[1], fx.trace[0]}},
		{"key and dest", Filter{Key: "inst-guid", Destination: "a"}, []string{fx.inst1, fx.inst0}},
		{"key and other dest", Filter{Key: "inst-guid", Destination: "b"}, nil},
		{"key and state", Filter{Key: "task-005", State: StatePending}, []string{fx.task}},
		{"key and other state", Filter{Key: "task-005", State: StateDead}, nil},
		{"key and ids", Filter{Key: "task-005", IDs: []string{fx.task, fx.inst0}}, []string{fx.task}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := listIDs(t, s, tc.f); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// Every entry is small however long the key, and one per distinct key.
func TestKeyIndexEntriesAreBoundedAndDistinct(t *testing.T) {
	fx := newKeyFixture(t, "", nil)
	entries := keyEntries(t, fx.s)
	// Two keys (task, trace) per message, one more for the two with an
	// ordering key, one less for message 60, whose three keys are one.
	want := 300*2 + 2 - 1
	if len(entries) != want {
		t.Fatalf("%d key-index entries, want %d", len(entries), want)
	}
	for _, k := range entries {
		if len(k) > 1+2+maxIndexedKey+idLen {
			t.Fatalf("key-index entry of %d bytes", len(k))
		}
	}
	// Keys that share their first 256 bytes are still told apart by the
	// index, not only by the check of each message read.
	if bytes.Equal(keyIndexPrefix(fx.long), keyIndexPrefix(fx.long[:len(fx.long)-1]+"B")) {
		t.Fatal("two long keys share one key-index prefix")
	}
}

func TestKeyIndexGoesWithItsMessage(t *testing.T) {
	t.Run("purge", func(t *testing.T) {
		s := openTest(t, "", nil)
		m := msg("r", "a")
		m.IdempotencyKey, m.TracingID = "task-1", "trace-1"
		id := enqueue(t, s, m)
		kept := msg("r", "a")
		kept.TracingID = "trace-1"
		keptID := enqueue(t, s, kept)
		for _, l := range leaseAll(t, s, "a", time.Now()) {
			if l.Message.ID == id {
				complete(t, s, l, Dead, time.Time{})
			} else {
				s.Release(l)
			}
		}
		if n, err := s.Purge(Filter{State: StateDead}); err != nil || n != 1 {
			t.Fatalf("purge: %d %v", n, err)
		}
		if got := listIDs(t, s, Filter{Key: "trace-1"}); !slices.Equal(got, []string{keptID}) {
			t.Fatalf("after purge, trace-1 finds %v, want only %s", got, keptID)
		}
		if got := len(keyEntries(t, s)); got != 1 {
			t.Fatalf("%d key-index entries after purge, want 1 (the kept message's)", got)
		}
	})
	t.Run("retention", func(t *testing.T) {
		s := openTest(t, "", nil)
		m := msg("r", "a")
		m.IdempotencyKey, m.OrderingKey, m.TracingID = "task-1", "inst-1", "trace-1"
		enqueue(t, s, m)
		for _, l := range leaseAll(t, s, "a", time.Now()) {
			complete(t, s, l, Delivered, time.Time{})
		}
		if n, err := s.sweep(time.Now().Add(2 * time.Hour)); err != nil || n != 1 {
			t.Fatalf("sweep: %d %v", n, err)
		}
		if got := keyEntries(t, s); len(got) != 0 {
			t.Fatalf("%d key-index entries after retention, want 0", len(got))
		}
	})
}

// Badger's files may lose what the journal holds (a crash before Badger
// synced): the replay that applies the message again writes its index
// entries again.
func TestJournalReplayRebuildsTheKeyIndex(t *testing.T) {
	dir := t.TempDir()
	fx := newKeyFixture(t, dir, func(o *Options) { o.Sync = true })
	if err := fx.s.Close(); err != nil {
		t.Fatal(err)
	}
	lost := t.TempDir()
	if err := os.CopyFS(filepath.Join(lost, journalDir), os.DirFS(filepath.Join(dir, journalDir))); err != nil {
		t.Fatal(err)
	}
	r := openTest(t, lost, nil)
	for key, want := range map[string][]string{
		"task-005":     {fx.task},
		"inst-guid":    {fx.inst1, fx.inst0},
		"shared-trace": {fx.trace[2], fx.trace[1], fx.trace[0]},
		fx.long:        {fx.longWanted},
	} {
		if got := listIDs(t, r, Filter{Key: key}); !slices.Equal(got, want) {
			t.Fatalf("after replay, key %.20q finds %v, want %v", key, got, want)
		}
	}
	if got, want := len(keyEntries(t, r)), len(keyEntries(t, openTest(t, dir, nil))); got != want {
		t.Fatalf("after replay %d key-index entries, the original store %d", got, want)
	}
}
