package ingress

import (
	"testing"
	"time"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestRateLog(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	r := newRateLog(5, 5, clock.now)

	// The burst passes, then lines are held back and counted.
	for i := range 5 {
		if ok, n := r.allow("no_route"); !ok || n != 0 {
			t.Fatalf("line %d of the burst: allow=%v suppressed=%d, want true 0", i, ok, n)
		}
	}
	for i := range 123 {
		if ok, _ := r.allow("no_route"); ok {
			t.Fatalf("line %d after the burst was allowed", i)
		}
	}
	// Another reason has its own bucket.
	if ok, n := r.allow("unauthorized"); !ok || n != 0 {
		t.Fatalf("other reason: allow=%v suppressed=%d", ok, n)
	}
	// Time refills at rate: 200ms buys one line, which reports the count once.
	clock.advance(199 * time.Millisecond)
	if ok, _ := r.allow("no_route"); ok {
		t.Fatal("allowed before a token was earned")
	}
	clock.advance(time.Millisecond)
	if ok, n := r.allow("no_route"); !ok || n != 124 {
		t.Fatalf("after 200ms: allow=%v suppressed=%d, want true 124", ok, n)
	}
	if ok, _ := r.allow("no_route"); ok {
		t.Fatal("second line allowed on one earned token")
	}
	clock.advance(200 * time.Millisecond)
	if ok, n := r.allow("no_route"); !ok || n != 1 {
		t.Fatalf("the count was not restarted: allow=%v suppressed=%d, want true 1", ok, n)
	}
	// A long quiet spell refills to the burst, not beyond.
	clock.advance(time.Hour)
	for i := range 5 {
		if ok, _ := r.allow("no_route"); !ok {
			t.Fatalf("line %d after an hour's quiet held back", i)
		}
	}
	if ok, _ := r.allow("no_route"); ok {
		t.Fatal("the bucket refilled beyond its burst")
	}
	// A clock that steps back earns nothing and breaks nothing.
	clock.advance(-time.Minute)
	if ok, _ := r.allow("no_route"); ok {
		t.Fatal("a clock stepping back earned a token")
	}
}
