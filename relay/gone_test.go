package relay

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/relayd/relayd/queue"
)

// A 410 pauses the destination with reason gone and keeps the delivery
// queued with the one attempt made; the pause survives a new relay on the
// store; resume sends it (and what arrived meanwhile).
func TestGonePausesDestination(t *testing.T) {
	t.Parallel()
	var gone atomic.Bool
	gone.Store(true)
	s := newSink(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		if gone.Load() {
			w.WriteHeader(http.StatusGone)
		}
	})
	store := openStore(t, "")
	dest := testDest("billing", s.URL)
	dest.FailingAfter = 1
	r := startRelay(t, store, dest)
	id := enqueueTo(t, store, "billing")
	// Paused in memory first, then persisted.
	waitFor(t, "pause persisted", func() bool { return len(store.PauseReasons()) == 1 })

	st := statusOf(r, "billing")
	if st.Reason != ReasonGone || store.PauseReasons()["billing"] != ReasonGone {
		t.Fatalf("reason shown %q, persisted %q; want gone", st.Reason, store.PauseReasons()["billing"])
	}
	d := waitState(t, store, id, "billing", queue.StateRetrying)
	if d.AttemptCount != 1 || d.Attempts[0].Status != 410 || !strings.Contains(d.Attempts[0].Error, "gone: paused") {
		t.Fatalf("recorded %d attempts %+v; want one 410 saying gone: paused", d.AttemptCount, d.Attempts)
	}
	later := enqueueTo(t, store, "billing")
	r2 := New(store, quiet) // as after a restart
	if err := r2.Apply([]Destination{dest}); err != nil {
		t.Fatal(err)
	}
	if st := statusOf(r2, "billing"); st.State != StatePaused || st.Reason != ReasonGone {
		t.Fatalf("a new relay shows %q (%q), want paused (gone)", st.State, st.Reason)
	}
	if n := s.count(); n != 1 {
		t.Fatalf("a destination paused as gone got %d requests, want 1", n)
	}

	gone.Store(false)
	if err := r.Resume("billing"); err != nil {
		t.Fatal(err)
	}
	waitState(t, store, id, "billing", queue.StateDelivered)
	waitState(t, store, later, "billing", queue.StateDelivered)
	if st := statusOf(r, "billing"); st.State != StateActive || st.Reason != "" || len(store.PauseReasons()) != 0 {
		t.Fatalf("after resume: %q (%q), persisted %v", st.State, st.Reason, store.PauseReasons())
	}
	if err := r.Pause("billing"); err != nil {
		t.Fatal(err)
	}
	if st := statusOf(r, "billing"); st.State != StatePaused || st.Reason != "" {
		t.Fatalf("the operator's pause shows %q (%q), want paused with no reason", st.State, st.Reason)
	}
}
