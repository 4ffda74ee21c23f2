package queue

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/relayd/relayd/queue/internal/wal"
)

// dumpState is everything a store holds, as text: every Badger key and
// value (messages, deliveries, every index, counters, sequences, paused
// set), then the counts and pause reasons callers see.
func dumpState(t testing.TB, s *Store) string {
	t.Helper()
	s.caughtUp()
	var b strings.Builder
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := s.valueOf(it.Item())
			if err != nil {
				return fmt.Errorf("value of %x: %w", it.Item().Key(), err)
			}
			fmt.Fprintf(&b, "%s = %s\n", hex.EncodeToString(it.Item().Key()), hex.EncodeToString(v))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	counts := s.Counts()
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range counts {
			if !yield(k) {
				return
			}
		}
	})
	for _, name := range names {
		fmt.Fprintf(&b, "counts %s %+v\n", name, counts[name])
	}
	fmt.Fprintf(&b, "paused %v\n", s.PauseReasons())
	return b.String()
}

// diffState names the first line where two dumps differ.
func diffState(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d (%d lines vs %d):\n want %s\n  got %s", i, len(w), len(g), a, b)
		}
	}
	return ""
}

// copyBadger copies the store's Badger files (not its journal) from src to
// dst, which it empties of them first.
func copyBadger(t testing.TB, src, dst string) {
	t.Helper()
	entries, err := os.ReadDir(dst)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != journalDir {
			if err := os.RemoveAll(filepath.Join(dst, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if strings.HasPrefix(rel, journalDir+string(filepath.Separator)) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// journalRecords reads the records the store's journal holds now.
func journalRecords(t testing.TB, s *Store) []wal.Record {
	t.Helper()
	_, recs, err := wal.Open(filepath.Join(s.opts.Dir, journalDir), wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// lastRecord is the newest journal record of kind.
func lastRecord(t testing.TB, s *Store, kind wal.Kind) wal.Record {
	t.Helper()
	recs := journalRecords(t, s)
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].Kind == kind {
			r := recs[i]
			r.Payload = bytes.Clone(r.Payload)
			return r
		}
	}
	t.Fatalf("no journal record of kind %d", kind)
	return wal.Record{}
}
