package relay

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/relayd/relayd/queue"
)

// Time paused does not count against max_elapsed: a delivery whose
// schedule began before a pause longer than max_elapsed, and one queued
// during it, are both retried after resume rather than dead at once.
func TestMaxElapsedNotSpentWhilePaused(t *testing.T) {
	t.Parallel()
	s := newSink(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(503) })
	store := openStore(t, "")
	dest := testDest("billing", s.URL)
	dest.BreakerFailures = 1000 // this test is about the pause alone
	dest.Retry.InitialInterval, dest.Retry.MaxInterval = 50*time.Millisecond, 50*time.Millisecond
	dest.Retry.MaxElapsed = 500 * time.Millisecond
	r := startRelay(t, store, dest)

	before := enqueueTo(t, store, "billing")
	waitFor(t, "a first attempt", func() bool { return delivery(t, store, before, "billing").AttemptCount >= 1 })
	if err := r.Pause("billing"); err != nil {
		t.Fatal(err)
	}
	during := enqueueTo(t, store, "billing")
	pausedAt := time.Now()
	attemptsBefore := delivery(t, store, before, "billing").AttemptCount
	time.Sleep(2 * dest.Retry.MaxElapsed) // the pause itself is what is tested
	if err := r.Resume("billing"); err != nil {
		t.Fatal(err)
	}
	for name, id := range map[string]string{"scheduled before the pause": before, "queued during it": during} {
		d := waitState(t, store, id, "billing", queue.StateDead)
		var after int
		for _, a := range d.Attempts {
			if a.At.After(pausedAt) {
				after++
			}
		}
		if id == before {
			after = d.AttemptCount - attemptsBefore
		}
		// 500ms of schedule at 50ms intervals: about 10 attempts.
		if after < 3 {
			t.Errorf("delivery %s: %d attempts after resume (of %d), want several: the pause was counted", name, after, d.AttemptCount)
		}
	}
}

// A delivery that waited long in the queue (received an hour ago, say
// behind a pause before a restart, so no held span is remembered) gets its
// whole max_elapsed from its first attempt.
func TestMaxElapsedCountsFromFirstAttempt(t *testing.T) {
	t.Parallel()
	s := newSink(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(503) })
	store := openStore(t, "")
	m := eqCallback()
	m.ID, m.Destinations = "", []string{"billing"}
	m.ReceivedAt = time.Now().Add(-time.Hour)
	id, _, err := store.Enqueue(t.Context(), m)
	if err != nil {
		t.Fatal(err)
	}
	dest := testDest("billing", s.URL)
	dest.BreakerFailures = 1000
	dest.Retry.InitialInterval, dest.Retry.MaxInterval = 50*time.Millisecond, 50*time.Millisecond
	dest.Retry.MaxElapsed = 300 * time.Millisecond
	startRelay(t, store, dest)
	d := waitState(t, store, id, "billing", queue.StateDead)
	if d.AttemptCount < 3 {
		t.Fatalf("%d attempts before dead, want several: max_elapsed counted from receipt", d.AttemptCount)
	}
}

// A destination still paused when relay starts (the pause persisted across
// a restart) holds its deliveries from the start on: that time does not
// count against max_elapsed either.
func TestMaxElapsedNotSpentWhilePausedAcrossRestart(t *testing.T) {
	t.Parallel()
	s := newSink(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(503) })
	store := openStore(t, "")
	dest := testDest("billing", s.URL)
	dest.BreakerFailures = 1000
	dest.Retry.InitialInterval, dest.Retry.MaxInterval = 50*time.Millisecond, 50*time.Millisecond
	dest.Retry.MaxElapsed = 500 * time.Millisecond
	first := startRelay(t, store, dest)
	id := enqueueTo(t, store, "billing")
	waitFor(t, "a first attempt", func() bool { return delivery(t, store, id, "billing").AttemptCount >= 1 })
	if err := first.Pause("billing"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := first.Close(ctx); err != nil {
		t.Fatal(err)
	}
	attemptsBefore := delivery(t, store, id, "billing").AttemptCount

	second := startRelay(t, store, dest)  // the restart: paused from the store
	time.Sleep(2 * dest.Retry.MaxElapsed) // the pause itself is what is tested
	if err := second.Resume("billing"); err != nil {
		t.Fatal(err)
	}
	d := waitState(t, store, id, "billing", queue.StateDead)
	if after := d.AttemptCount - attemptsBefore; after < 3 {
		t.Fatalf("%d attempts after resume, want several: the pause after the restart was counted", after)
	}
}
