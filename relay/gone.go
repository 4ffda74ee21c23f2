package relay

import (
	"time"

	"github.com/valyala/fasthttp"

	"github.com/relayd/relayd/queue"
)

// ReasonGone is the pause reason of a destination that answered 410 Gone.
const ReasonGone = "gone"

// isGone reports whether an attempt's answer was 410 Gone and it would
// otherwise be dead (a 410 listed in on_status is retried as configured).
func isGone(res attemptResult, v verdict) bool {
	return v == verdictDead && res.err == nil && res.status == fasthttp.StatusGone
}

// pauseGone turns a 410 into a pause instead of a dead delivery: the
// delivery stays queued, due again at once, so it goes out at resume; the
// destination is paused with reason gone, in memory first (nothing more is
// leased) then in the store (a restart keeps it). Concurrent 410s pause
// once and log once.
func (d *destination) pauseGone(out *queue.Outcome) {
	out.Result = queue.Retry
	out.NextAttemptAt = out.Attempt.At
	out.Attempt.Error += "; destination gone: paused"
	d.mu.Lock()
	was := d.paused // by the operator, or by another 410 in flight
	if !was {
		d.paused, d.pauseReason = true, ReasonGone
		d.held.set(d.holding(), time.Now())
	}
	d.mu.Unlock()
	if was {
		return
	}
	if err := d.store.PauseFor(d.cfg.Name, ReasonGone); err != nil {
		d.logger.Error("persist the pause of a gone destination", "err", err)
	}
	d.logger.Warn("destination gone (410): paused", "status", out.Attempt.Status)
}
