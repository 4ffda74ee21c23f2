package queue

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestReopenKeepsState(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, nil)
	ids := make([]string, 4)
	for i := range ids {
		ids[i] = enqueue(t, s, msg("r", "a", "b"))
	}
	ls := leaseAll(t, s, "a", time.Now())
	if len(ls) != 4 {
		t.Fatalf("leased %d, want 4", len(ls))
	}
	retryAt := time.Now().Add(time.Hour)
	complete(t, s, ls[0], Delivered, time.Time{})
	complete(t, s, ls[1], Dead, time.Time{})
	complete(t, s, ls[2], Retry, retryAt)
	// ls[3] stays in flight: a restart forgets the lease.
	if err := s.SetPaused("b", true); err != nil {
		t.Fatal(err)
	}
	before := s.Counts()
	m0, d0, _ := s.Get(ids[0])
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}

	s = openTest(t, dir, nil)
	want := map[string]Counts{
		"a": {Pending: 1, Retrying: 1, Dead: 1, Delivered: 1},
		"b": {Pending: 4},
	}
	if got := s.Counts(); !equalCounts(got, want) || before["a"].Delivering != 1 {
		t.Fatalf("counts after reopen %+v (before %+v), want %+v", got, before, want)
	}
	if p := s.Paused(); len(p) != 1 || !p["b"] {
		t.Fatalf("paused after reopen: %v", p)
	}
	m1, d1, err := s.Get(ids[0])
	if err != nil || string(m1.Body) != string(m0.Body) || !m1.ReceivedAt.Equal(m0.ReceivedAt) || len(d1) != len(d0) {
		t.Fatalf("message after reopen: %+v %v", m1, err)
	}
	got := leaseAll(t, s, "a", time.Now())
	if err := sameIDs(leasedIDs(got), ids[3:4]); err != nil {
		t.Fatalf("due after reopen: %v", err)
	}
	if got := leaseAll(t, s, "a", retryAt); len(got) != 1 || got[0].Message.ID != ids[2] {
		t.Fatalf("retry after reopen: %v", leasedIDs(got))
	}
	if got := leaseAll(t, s, "b", time.Now()); len(got) != 4 {
		t.Fatalf("b after reopen: %d leased", len(got))
	}
}

// TestCrashKeepsAcknowledged copies the store's files while it is open, as
// a crash (kill -9) leaves them, and opens the copy: every acknowledged
// message is due again, leased or not.
func TestCrashKeepsAcknowledged(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, func(o *Options) { o.Sync = true })
	const n = 200
	var wg sync.WaitGroup
	ids := make(chan string, n)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n / 8 {
				id, _, err := s.Enqueue(context.Background(), msg("r", "d"))
				if err != nil {
					t.Error(err)
					return
				}
				ids <- id
			}
		}()
	}
	wg.Wait()
	close(ids)
	if got := leaseAll(t, s, "d", time.Now()); len(got) != n {
		t.Fatalf("leased %d, want %d", len(got), n)
	}
	crashed := t.TempDir()
	copyDir(t, dir, crashed)

	c := openTest(t, crashed, nil)
	got := map[string]bool{}
	for _, l := range leaseAll(t, c, "d", time.Now()) {
		got[l.Message.ID] = true
	}
	for id := range ids {
		if !got[id] {
			t.Fatalf("acknowledged %s not due after crash", id)
		}
	}
	if len(got) != n {
		t.Fatalf("due after crash: %d, want %d", len(got), n)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() || e.Name() == "LOCK" {
			continue
		}
		src, err := os.Open(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		dst, err := os.Create(filepath.Join(to, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(dst, src); err != nil {
			t.Fatal(err)
		}
		src.Close()
		dst.Close()
	}
}

func TestClose(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				id, _, err := s.Enqueue(context.Background(), msg("r", "d"))
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked = append(acked, id)
				mu.Unlock()
			}
		}()
	}
	waitFor(t, "some enqueues", func() bool { mu.Lock(); defer mu.Unlock(); return len(acked) > 50 })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if _, _, err := s.Enqueue(context.Background(), msg("r", "d")); !errors.Is(err, ErrClosed) {
		t.Fatalf("enqueue after close: %v", err)
	}
	if _, err := s.Lease("d", time.Now(), 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("lease after close: %v", err)
	}
	if err := s.Writable(); !errors.Is(err, ErrClosed) {
		t.Fatalf("writable after close: %v", err)
	}
	s = openTest(t, dir, nil)
	for _, id := range acked {
		if _, _, err := s.Get(id); err != nil {
			t.Fatalf("acknowledged %s lost: %v", id, err)
		}
	}
	if c := s.Counts()["d"]; c.Pending != int64(len(acked)) {
		t.Fatalf("pending %d, acknowledged %d", c.Pending, len(acked))
	}
}

func TestMaxDisk(t *testing.T) {
	s := openTest(t, "", func(o *Options) { o.MaxDisk = 1 })
	if s.Size() <= 0 {
		t.Fatalf("size %d", s.Size())
	}
	if _, _, err := s.Enqueue(context.Background(), msg("r", "d")); !errors.Is(err, ErrFull) {
		t.Fatalf("enqueue over max_disk: %v", err)
	}
	if err := s.Writable(); !errors.Is(err, ErrFull) {
		t.Fatalf("writable over max_disk: %v", err)
	}

	// Under the cap until the store grows past it.
	dir := t.TempDir()
	g := openTest(t, dir, nil)
	g.journal.WaitSpare() // a fresh store's next journal segment, made in the background
	g.refreshSize()
	base := g.Size()
	g.Close()
	g = openTest(t, dir, func(o *Options) { o.MaxDisk = base + 256<<10 })
	if err := g.Writable(); err != nil {
		t.Fatalf("writable under the cap: %v", err)
	}
	big := msg("r", "d")
	big.Body = make([]byte, 64<<10)
	for i := 0; ; i++ {
		_, _, err := g.Enqueue(context.Background(), big)
		big.ID = ""
		if errors.Is(err, ErrFull) {
			break
		}
		if err != nil || i > 1000 {
			t.Fatalf("enqueue %d: %v (size %d)", i, err, g.Size())
		}
		g.refreshSize()
	}
}

func TestInvalidMessage(t *testing.T) {
	s := openTest(t, "", nil)
	cases := map[string]*Message{
		"no destination": msg("r"),
		"bad id":         {ID: "UPPER", Destinations: []string{"d"}},
		"nul in dest":    msg("r", "a\x00b"),
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			if _, _, err := s.Enqueue(context.Background(), m); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func equalCounts(a, b map[string]Counts) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
