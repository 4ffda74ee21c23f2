package metrics

import (
	"sync"
	"testing"
	"time"

	"github.com/relayd/relayd/relay"
)

// TestRecentCountsTheMetricsEvents: the status page's hour is fed by the
// same calls as the Prometheus counters: an accepted callback (not a
// duplicate nor a refusal), a delivered attempt, and every other outcome
// as failed.
func TestRecentCountsTheMetricsEvents(t *testing.T) {
	m := New(Options{})
	m.SetRoutes([]string{"eq"})
	m.SetDestinations([]string{"billing"})
	m.Request("eq", 202, time.Millisecond)
	m.Request("eq", 202, time.Millisecond)
	m.Request("eq", 200, time.Millisecond) // duplicate: nothing new
	m.Request("", 404, 0)
	m.Request("gone-route", 202, 0) // a route removed by a reload still counts
	m.Attempted("billing", relay.OutcomeDelivered, time.Millisecond, false)
	for _, o := range []string{relay.OutcomeRetry, relay.OutcomeTimeout, relay.OutcomeDead, relay.OutcomeRefusedRedirect} {
		m.Attempted("billing", o, time.Millisecond, o == relay.OutcomeDead)
	}
	r := m.Recent()
	if len(r.Accepted) != RecentMinutes || len(r.Delivered) != RecentMinutes || len(r.Failed) != RecentMinutes {
		t.Fatalf("lengths %d %d %d, want %d each", len(r.Accepted), len(r.Delivered), len(r.Failed), RecentMinutes)
	}
	last := RecentMinutes - 1
	// A minute may have turned between the calls and Recent: sum the last two.
	sum := func(s []int64) int64 { return s[last] + s[last-1] }
	if a, d, f := sum(r.Accepted), sum(r.Delivered), sum(r.Failed); a != 3 || d != 1 || f != 4 {
		t.Errorf("accepted %d delivered %d failed %d, want 3 1 4", a, d, f)
	}
}

// TestRecentRing: each minute lands in its own bucket, oldest first; a
// bucket reused an hour later starts from 0, and minutes older than the
// hour are not shown.
func TestRecentRing(t *testing.T) {
	var r recent
	t0 := time.Unix(1_800_000_000/60*60, 0) // a minute boundary
	r.add(recentAccepted, t0)
	r.add(recentAccepted, t0.Add(59*time.Second))
	r.add(recentFailed, t0.Add(time.Minute))
	r.add(recentDelivered, t0.Add(5*time.Minute))

	s := r.snapshot(t0.Add(5*time.Minute + 30*time.Second))
	last := RecentMinutes - 1
	if !s.End.Equal(t0.Add(5 * time.Minute)) {
		t.Errorf("End %v, want %v", s.End, t0.Add(5*time.Minute))
	}
	if s.Accepted[last-5] != 2 || s.Failed[last-4] != 1 || s.Delivered[last] != 1 {
		t.Errorf("accepted %v\nfailed %v\ndelivered %v", s.Accepted, s.Failed, s.Delivered)
	}

	// An hour on, t0's bucket is reused: its old count is gone.
	later := t0.Add(RecentMinutes * time.Minute)
	r.add(recentAccepted, later)
	s = r.snapshot(later)
	if s.Accepted[last] != 1 {
		t.Errorf("reused bucket: accepted %d, want 1 (the old minute's 2 dropped)", s.Accepted[last])
	}
	if s.Failed[0] != 1 { // the oldest minute of the hour ending at later
		t.Errorf("minute t0+1 is still in the hour: failed %v", s.Failed)
	}
	// Two hours on nothing was counted: every minute shows 0.
	s = r.snapshot(t0.Add(2 * RecentMinutes * time.Minute))
	for i := range RecentMinutes {
		if s.Accepted[i]+s.Failed[i]+s.Delivered[i] != 0 {
			t.Fatalf("minute %d not 0 after two idle hours: %v %v %v", i, s.Accepted, s.Failed, s.Delivered)
		}
	}
}

// TestRecentConcurrent: adds from many goroutines across a minute's turn
// lose nothing (run with -race).
func TestRecentConcurrent(t *testing.T) {
	var r recent
	t0 := time.Unix(1_800_000_000/60*60, 0)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				at := t0.Add(time.Duration(i%2) * time.Minute)
				r.add(g%recentKinds, at)
			}
		}()
	}
	wg.Wait()
	s := r.snapshot(t0.Add(time.Minute))
	var total int64
	for _, series := range [][]int64{s.Accepted, s.Delivered, s.Failed} {
		total += series[RecentMinutes-1] + series[RecentMinutes-2]
	}
	if total != 8000 {
		t.Errorf("counted %d, want 8000", total)
	}
}
