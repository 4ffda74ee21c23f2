package relay

import (
	"testing"
	"time"

	"github.com/relayd/relayd/queue"
)

func TestHeldTimeWithin(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	var h heldTime
	h.set(true, at(10))
	h.set(true, at(12)) // already held: the span keeps its start
	h.set(false, at(20))
	h.set(false, at(25)) // not held: nothing
	h.set(true, at(30))  // still held at "now"
	cases := map[string]struct {
		start, now int
		want       time.Duration
	}{
		"before any span":          {0, 5, 0},
		"covers a closed span":     {0, 25, 10 * time.Second},
		"starts inside a span":     {15, 25, 5 * time.Second},
		"ends inside the open one": {0, 35, 15 * time.Second},
		"inside the open one":      {32, 40, 8 * time.Second},
		"between spans":            {21, 29, 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := h.within(at(tc.start), at(tc.now)); got != tc.want {
				t.Fatalf("within(%d, %d) = %s, want %s", tc.start, tc.now, got, tc.want)
			}
		})
	}
}

func TestHeldTimeKeepsBoundedSpans(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	var h heldTime
	for i := range 2 * maxHeldSpans {
		h.set(true, t0.Add(time.Duration(2*i)*time.Second))
		h.set(false, t0.Add(time.Duration(2*i+1)*time.Second))
	}
	if len(h.spans) != maxHeldSpans {
		t.Fatalf("%d spans kept, want %d", len(h.spans), maxHeldSpans)
	}
	end := t0.Add(time.Duration(4*maxHeldSpans) * time.Second)
	if got := h.within(t0, end); got != maxHeldSpans*time.Second {
		t.Fatalf("held %s, want the newest %d spans of 1s", got, maxHeldSpans)
	}
}

func TestScheduleStart(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	attempts := func(secs ...int) []queue.Attempt {
		var out []queue.Attempt
		for _, s := range secs {
			out = append(out, queue.Attempt{At: at(s)})
		}
		return out
	}
	now := at(100)
	cases := map[string]struct {
		d    queue.Delivery
		want time.Time
	}{
		"no attempt yet: this one starts it":      {queue.Delivery{}, now},
		"recorded at the first attempt":           {queue.Delivery{ScheduleStart: at(10), Attempts: attempts(10, 20), AttemptCount: 2}, at(10)},
		"replayed: the old attempts do not count": {queue.Delivery{Attempts: attempts(10, 20), AttemptCount: 2}, now},
		"older record, receipt, no attempt yet":   {queue.Delivery{ScheduleStart: at(5)}, now},
		"older record, receipt, attempts since":   {queue.Delivery{ScheduleStart: at(5), Attempts: attempts(30, 40), AttemptCount: 2}, at(30)},
		"older record, replayed, none since":      {queue.Delivery{ScheduleStart: at(50), Attempts: attempts(10, 20), AttemptCount: 2}, now},
		"older record, first attempt capped away": {queue.Delivery{ScheduleStart: at(5), Attempts: attempts(30, 40), AttemptCount: 9}, at(5)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := scheduleStart(&tc.d, now); !got.Equal(tc.want) {
				t.Fatalf("scheduleStart = %v, want %v", got.Sub(t0), tc.want.Sub(t0))
			}
		})
	}
}
