package relay

import (
	"time"

	"github.com/relayd/relayd/queue"
)

// deliver makes one attempt of l, decides its outcome and records it.
func (d *destination) deliver(l *queue.Lease, scratch []byte) {
	at := time.Now()
	res := d.sender.send(l, at, scratch)
	v := classify(res, d.cfg.Retry.OnStatus)
	out := queue.Outcome{Attempt: queue.Attempt{
		At:       at,
		Duration: res.duration,
		Status:   res.status,
		Error:    attemptError(res),
		Response: res.response,
	}}
	switch v {
	case verdictDelivered:
		out.Result = queue.Delivered
	case verdictDead:
		out.Result = queue.Dead
		if isGone(res, v) {
			d.pauseGone(&out) // kept queued: 410 pauses, it does not kill
		}
	case verdictRetry:
		now := time.Now()
		next, dead, reason := schedule(d.cfg.Retry, d.elapsedFrom(l.Delivery, at, now), l.Attempt, now, res.retryAfter)
		if dead {
			out.Result = queue.Dead
			out.Attempt.Error += "; gave up: " + reason
		} else {
			out.Result = queue.Retry
			out.NextAttemptAt = next
		}
	}
	if out.Result == queue.Dead {
		d.announceDead(l, out) // before the death is recorded: see deadletter.go
	}
	d.record(l, v, out, res.retryAfter)
	if obs := d.obs.get(); obs != nil {
		obs.Attempted(d.cfg.Name, outcomeOf(res, out.Result), res.duration, out.Result == queue.Dead)
	}
}

// elapsedFrom is the start max_elapsed is measured from for dl's attempt
// at: its schedule's start, moved later by the time d held its deliveries
// since (paused, breaker open), which is not the delivery's to spend.
func (d *destination) elapsedFrom(dl *queue.Delivery, at, now time.Time) time.Time {
	start := scheduleStart(dl, at)
	d.mu.Lock()
	held := d.held.within(start, now)
	d.mu.Unlock()
	return start.Add(held)
}

// record writes the outcome to the store (unless Close already released
// the lease), tells the breaker, publishes the event and frees the slot.
func (d *destination) record(l *queue.Lease, v verdict, out queue.Outcome, retryAfter time.Duration) {
	d.mu.Lock()
	_, held := d.leases[l]
	if held {
		d.leases[l] = leaseCompleting
	}
	d.mu.Unlock()
	if held {
		if err := d.store.Complete(l, out); err != nil {
			d.logger.Error("record attempt", "message_id", l.Message.ID, "attempt", l.Attempt, "err", err)
		}
	}
	d.mu.Lock()
	delete(d.leases, l)
	d.lastAttemptAt = out.Attempt.At
	d.lastError = out.Attempt.Error
	now := time.Now()
	change := d.breaker.record(v, now, retryAfter)
	d.held.set(d.holding(), now)
	brk := *d.breaker
	hc, deadInRow := d.health.observe(out.Result, d.cfg.FailingAfter), d.health.deadInRow
	d.mu.Unlock()
	d.signal()

	d.logOutcome(l, out)
	d.announce(change, &brk, out.Attempt, now)
	d.logHealth(hc, deadInRow, l, out)
	ev := Event{
		At:            out.Attempt.At,
		MessageID:     l.Message.ID,
		Route:         l.Message.Route,
		Destination:   d.cfg.Name,
		Attempt:       l.Attempt,
		Status:        out.Attempt.Status,
		Error:         out.Attempt.Error,
		Duration:      out.Attempt.Duration,
		Result:        resultName(out.Result),
		NextAttemptAt: out.NextAttemptAt,
	}
	d.events.publish(ev)
}

func (d *destination) logOutcome(l *queue.Lease, out queue.Outcome) {
	log := d.logger.With("message_id", l.Message.ID, "attempt", l.Attempt)
	switch out.Result {
	case queue.Delivered:
		log.Debug("delivered", "status", out.Attempt.Status, "duration", out.Attempt.Duration)
	case queue.Retry:
		log.Debug("attempt failed, retrying", "status", out.Attempt.Status, "error", out.Attempt.Error,
			"next_attempt_at", out.NextAttemptAt)
	case queue.Dead:
		log.Warn("delivery dead", "status", out.Attempt.Status, "error", out.Attempt.Error)
	}
}

func resultName(r queue.Result) string {
	switch r {
	case queue.Delivered:
		return ResultDelivered
	case queue.Retry:
		return ResultRetrying
	}
	return ResultDead
}

// status returns d's live state.
func (d *destination) status() DestinationStatus {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := DestinationStatus{
		Name:                d.cfg.Name,
		URL:                 d.displayURL,
		State:               StateActive,
		InFlight:            len(d.leases),
		ConsecutiveFailures: d.breaker.failures,
		NextProbeAt:         d.breaker.nextProbeAt(),
		LastAttemptAt:       d.lastAttemptAt,
		LastError:           d.lastError,
		ConsecutiveDead:     d.health.deadInRow,
		Failing:             d.health.failing,
	}
	switch {
	case !d.cfg.Enabled:
		st.State = StateDisabled
	case d.paused:
		st.State, st.Reason = StatePaused, d.pauseReason
	case !d.breaker.closed():
		st.State = StateBackingOff
	case d.health.failing:
		st.State = StateFailing
	}
	return st
}
