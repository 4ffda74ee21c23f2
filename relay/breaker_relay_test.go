package relay

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relayd/relayd/queue"
)

// An outage with a backlog: once the breaker opens, the destination gets
// one probe per cooldown and nothing else; held deliveries spend no
// attempt; after recovery everything is delivered and the breaker closes.
func TestBreakerHoldsBacklogDuringOutage(t *testing.T) {
	t.Parallel()
	var failing atomic.Bool
	failing.Store(true)
	s := newSink(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		if failing.Load() {
			w.WriteHeader(503)
		}
	})
	store := openStore(t, "")
	dest := testDest("billing", s.URL)
	dest.Concurrency = 4
	dest.Retry.InitialInterval, dest.Retry.MaxInterval = 20*time.Millisecond, 80*time.Millisecond
	r := New(store, quiet)
	events, stop := r.Subscribe(4096)
	defer stop()
	var ids []string
	for range 50 {
		ids = append(ids, enqueueTo(t, store, "billing"))
	}
	startRelayed(t, r, dest)

	// Count breaker openings until the outage has seen 6 re-openings
	// (6 failed probes), then until the breaker closes after recovery.
	opened, closed := 0, false
	for !closed {
		select {
		case ev := <-events:
			switch ev.Result {
			case ResultBreakerOpen:
				if ev.NextAttemptAt.IsZero() || ev.MessageID != "" {
					t.Fatalf("breaker-open event %+v: want a next probe time and no message", ev)
				}
				if opened++; opened == 7 {
					st := statusOf(r, "billing")
					if st.State != StateBackingOff || st.ConsecutiveFailures < specBreakerFailures || st.NextProbeAt.IsZero() {
						t.Fatalf("during the outage: %+v", st)
					}
					failing.Store(false)
				}
			case ResultBreakerClosed:
				closed = opened >= 7
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("after %d openings no more events", opened)
		}
	}
	reopened := opened - 1
	for _, id := range ids {
		waitState(t, store, id, "billing", queue.StateDelivered)
	}
	// Before the first opening at most threshold + concurrency-1 requests
	// were out; after it, one per re-opening plus the successful probe.
	// The 50 backlog deliveries are the rest.
	failed := 0
	for _, id := range ids {
		failed += delivery(t, store, id, "billing").AttemptCount - 1
	}
	if limit := specBreakerFailures + dest.Concurrency - 1 + reopened + 1; failed > limit {
		t.Fatalf("%d failed requests reached the destination during the outage (%d re-openings), want at most %d", failed, reopened, limit)
	}
	if n := s.count(); n != failed+len(ids) {
		t.Fatalf("sink saw %d requests, attempts recorded %d: an attempt was spent without a request or the reverse", n, failed+len(ids))
	}
	waitFor(t, "breaker closed", func() bool { return statusOf(r, "billing").State == StateActive })
	if st := statusOf(r, "billing"); !st.NextProbeAt.IsZero() || st.ConsecutiveFailures != 0 {
		t.Fatalf("after recovery: %+v", st)
	}
}

// startRelayed applies dests to r and starts it, closed at the end of t.
func startRelayed(t *testing.T, r *Relay, dests ...Destination) {
	t.Helper()
	if err := r.Apply(dests); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if err := r.Start(t.Context()); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = r.Close(ctx)
	})
}
