package relay

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/relayd/relayd/queue"
)

var quiet = slog.New(slog.DiscardHandler)

// openStore opens a real store in a temp dir, closed at the end of the test
// (after any relay started later, cleanups run in reverse).
func openStore(t testing.TB, dir string) *queue.Store {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	s, err := queue.Open(queue.Options{Dir: dir, Retention: time.Hour, GCInterval: time.Hour, Logger: quiet})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// startRelay applies dests and starts a relay on store, closed at the end
// of the test.
func startRelay(t testing.TB, store *queue.Store, dests ...Destination) *Relay {
	t.Helper()
	r := New(store, quiet)
	if err := r.Apply(dests); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = r.Close(ctx)
	})
	return r
}

// enqueueTo persists an eq_callback message for dests and returns its id.
func enqueueTo(t testing.TB, store *queue.Store, dests ...string) string {
	t.Helper()
	m := eqCallback()
	m.ID = ""
	m.Destinations = dests
	id, _, err := store.Enqueue(context.Background(), m)
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return id
}

// delivery returns id's delivery to dest.
func delivery(t testing.TB, store *queue.Store, id, dest string) *queue.Delivery {
	t.Helper()
	_, ds, err := store.Get(id)
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

// waitState waits until id's delivery to dest is in state.
func waitState(t *testing.T, store *queue.Store, id, dest string, state queue.State) *queue.Delivery {
	t.Helper()
	var d *queue.Delivery
	waitFor(t, "delivery "+string(state), func() bool {
		d = delivery(t, store, id, dest)
		return d.State == state
	})
	return d
}

func statusOf(r *Relay, name string) DestinationStatus {
	for _, st := range r.Destinations() {
		if st.Name == name {
			return st
		}
	}
	return DestinationStatus{}
}
