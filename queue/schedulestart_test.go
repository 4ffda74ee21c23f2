package queue

import (
	"testing"
	"time"
)

// The retry schedule starts at a delivery's first attempt, not at receipt,
// and a replay starts a fresh one at the next attempt.
func TestScheduleStartsAtFirstAttempt(t *testing.T) {
	s := openTest(t, "", nil)
	m := msg("r", "a")
	m.ReceivedAt = time.Now().Add(-time.Hour) // queued behind a long pause
	id := enqueue(t, s, m)
	if d := deliveryOf(t, s, id, "a"); !d.ScheduleStart.IsZero() {
		t.Fatalf("before any attempt ScheduleStart = %v, want zero", d.ScheduleStart)
	}
	first := time.Now().Add(-time.Minute).Round(0)
	attempt := func(at time.Time, r Result) {
		t.Helper()
		ls := leaseAll(t, s, "a", time.Now())
		if len(ls) != 1 {
			t.Fatalf("leased %d, want 1", len(ls))
		}
		if err := s.Complete(ls[0], Outcome{Result: r, NextAttemptAt: time.Now(), Attempt: Attempt{At: at, Status: 503}}); err != nil {
			t.Fatal(err)
		}
	}
	attempt(first, Retry)
	attempt(first.Add(time.Second), Retry)
	if d := deliveryOf(t, s, id, "a"); !d.ScheduleStart.Equal(first) {
		t.Fatalf("after two attempts ScheduleStart = %v, want the first attempt %v", d.ScheduleStart, first)
	}
	attempt(first.Add(2*time.Second), Dead)
	if n, err := s.Replay(Filter{IDs: []string{id}}, time.Now()); err != nil || n != 1 {
		t.Fatalf("replay: %d %v", n, err)
	}
	if d := deliveryOf(t, s, id, "a"); !d.ScheduleStart.IsZero() {
		t.Fatalf("after replay ScheduleStart = %v, want zero until the next attempt", d.ScheduleStart)
	}
	again := time.Now().Round(0)
	attempt(again, Retry)
	if d := deliveryOf(t, s, id, "a"); !d.ScheduleStart.Equal(again) {
		t.Fatalf("after replay and an attempt ScheduleStart = %v, want %v", d.ScheduleStart, again)
	}
}
