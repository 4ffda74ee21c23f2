package queue

import (
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"
)

// The paused set and the sweep cursor have one owner, the writer: pauses,
// deliveries (which write expiry keys, lowering the cursor) and retention
// sweeps run on their own goroutines while another reads the paused set
// and lists paused deliveries, and (under -race) nothing races; every
// delivered message is swept, and the paused set ends as written.
func TestWriterOwnsPausedSetAndSweepCursor(t *testing.T) {
	s := openTest(t, "", nil)
	const rounds = 40
	var wg sync.WaitGroup
	wg.Add(4)
	go func() { // pauses and resumes, as the operator and relay do
		defer wg.Done()
		for i := 0; i < rounds; i++ {
			dest := fmt.Sprintf("p%d", i%4)
			if err := s.PauseFor(dest, "gone"); err != nil {
				t.Error(err)
			}
			if i%4 != 3 {
				if err := s.SetPaused(dest, false); err != nil {
					t.Error(err)
				}
			}
		}
	}()
	go func() { // readers of the paused set
		defer wg.Done()
		for i := 0; i < rounds; i++ {
			_ = s.Paused()
			_ = s.PauseReasons()
			if _, err := s.List(Filter{State: StatePaused}); err != nil {
				t.Error(err)
			}
		}
	}()
	delivered := make(chan struct{})
	go func() { // deliveries, as relay makes them
		defer wg.Done()
		defer close(delivered)
		for i := 0; i < rounds; i++ {
			enqueue(t, s, msg("r", "a"))
			for _, l := range leaseAll(t, s, "a", time.Now()) {
				complete(t, s, l, Delivered, time.Time{})
			}
		}
	}()
	go func() { // retention sweeps, as maintenance runs them
		defer wg.Done()
		for {
			if _, err := s.sweep(time.Now().Add(2 * time.Hour)); err != nil {
				t.Error(err)
			}
			select {
			case <-delivered:
				return
			default:
			}
		}
	}()
	wg.Wait()
	if _, err := s.sweep(time.Now().Add(2 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.List(Filter{Destination: "a"}); err != nil || len(got) != 0 {
		t.Fatalf("after the last sweep %d deliveries of a are left (%v), want 0", len(got), err)
	}
	if want := map[string]string{"p3": "gone"}; !maps.Equal(s.PauseReasons(), want) {
		t.Fatalf("paused %q, want %q", s.PauseReasons(), want)
	}
}
