package relay

import (
	"time"

	"github.com/relayd/relayd/queue"
)

// maxHeldSpans bounds the held spans a destination remembers; a delivery
// whose schedule began before the oldest kept one is credited less (its
// max_elapsed counts that time, as before held time was subtracted).
const maxHeldSpans = 256

// heldSpan is a time during which a destination's deliveries were held
// (paused, or its breaker not closed): [from, to).
type heldSpan struct{ from, to time.Time }

// heldTime remembers when a destination held its deliveries, so that time
// does not count against a delivery's max_elapsed. Subtracting the spans
// from [start, now] when a delivery fails was chosen over shifting every
// held delivery's schedule start: it writes nothing to the queue, so a
// breaker that opens and closes under a backlog of millions costs nothing.
// The spans live in memory: after a restart, held time before it counts
// again (a destination still paused at startup is held from then on). Not
// safe for concurrent use: the destination's mutex guards it.
type heldTime struct {
	spans []heldSpan
	since time.Time // the current span's start; zero when not held
}

// set records whether deliveries are held from now on.
func (h *heldTime) set(held bool, now time.Time) {
	switch {
	case held && h.since.IsZero():
		h.since = now
	case !held && !h.since.IsZero():
		if now.After(h.since) {
			h.spans = append(h.spans, heldSpan{h.since, now})
			if len(h.spans) > maxHeldSpans {
				h.spans = append(h.spans[:0], h.spans[len(h.spans)-maxHeldSpans:]...)
			}
		}
		h.since = time.Time{}
	}
}

// within returns how much of [start, now] deliveries were held.
func (h *heldTime) within(start, now time.Time) time.Duration {
	var total time.Duration
	add := func(from, to time.Time) {
		from, to = later(from, start), earlier(to, now)
		if to.After(from) {
			total += to.Sub(from)
		}
	}
	for _, s := range h.spans {
		add(s.from, s.to)
	}
	if !h.since.IsZero() {
		add(h.since, now)
	}
	return total
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// scheduleStart is when d's current retry schedule began: its first
// attempt since the last replay, or at when this is that attempt. The
// queue records it at the first attempt (ScheduleStart zero until then);
// an older record holds receipt or replay time instead, so there the
// first kept attempt at or after it is taken.
func scheduleStart(d *queue.Delivery, at time.Time) time.Time {
	if d.ScheduleStart.IsZero() {
		return at
	}
	for _, a := range d.Attempts {
		if !a.At.Before(d.ScheduleStart) {
			if a.At.Equal(d.ScheduleStart) || len(d.Attempts) == d.AttemptCount {
				return a.At
			}
			return d.ScheduleStart // the first may be beyond the cap: as recorded
		}
	}
	return at // no attempt since: this one starts it
}
