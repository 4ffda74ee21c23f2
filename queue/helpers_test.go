package queue

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// openTest opens a store in dir (a new temp dir when empty) and closes it
// at the end of the test.
func openTest(t testing.TB, dir string, mod func(*Options)) *Store {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	o := Options{Dir: dir, Sync: false, Retention: time.Hour, GCInterval: time.Hour}
	if mod != nil {
		mod(&o)
	}
	s, err := Open(o)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func msg(route string, dests ...string) *Message {
	return &Message{
		Route: route, Method: "POST", Path: "/hook", Query: "a=1",
		Headers:      []Header{{Name: "Content-Type", Value: "application/json"}, {Name: "X-A", Value: "1"}},
		Body:         []byte(`{"status":"CREATED","tracing_id":"t-1"}`),
		RemoteAddr:   "127.0.0.1:5555",
		Destinations: dests,
	}
}

func enqueue(t testing.TB, s *Store, m *Message) string {
	t.Helper()
	id, dup, err := s.Enqueue(context.Background(), m)
	if err != nil || dup {
		t.Fatalf("enqueue: id=%q dup=%v err=%v", id, dup, err)
	}
	return id
}

// leaseAll leases everything of dest due at now.
func leaseAll(t testing.TB, s *Store, dest string, now time.Time) []*Lease {
	t.Helper()
	ls, err := s.Lease(dest, now, 1<<20)
	if err != nil {
		t.Fatalf("lease %s: %v", dest, err)
	}
	return ls
}

func leasedIDs(ls []*Lease) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Message.ID
	}
	return out
}

func complete(t testing.TB, s *Store, l *Lease, r Result, next time.Time) {
	t.Helper()
	o := Outcome{Result: r, NextAttemptAt: next, Attempt: Attempt{At: time.Now(), Duration: time.Millisecond, Status: 200}}
	if err := s.Complete(l, o); err != nil {
		t.Fatalf("complete %s: %v", l.Message.ID, err)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func deliveryOf(t testing.TB, s *Store, id, dest string) *Delivery {
	t.Helper()
	_, ds, err := s.Get(id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	for _, d := range ds {
		if d.Destination == dest {
			return d
		}
	}
	t.Fatalf("message %s has no delivery to %s", id, dest)
	return nil
}

func sameIDs(a, b []string) error {
	if len(a) != len(b) {
		return fmt.Errorf("got %v, want %v", a, b)
	}
	for i := range a {
		if a[i] != b[i] {
			return fmt.Errorf("got %v, want %v", a, b)
		}
	}
	return nil
}
