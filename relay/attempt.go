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
		start := l.Delivery.ScheduleStart
		if start.IsZero() {
			start = l.Message.ReceivedAt // a record from before schedules had a start
		}
		next, dead, reason := schedule(d.cfg.Retry, start, l.Attempt, time.Now(), res.retryAfter)
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
	d.record(l, v, out)
}

// record writes the outcome to the store (unless Close already released
// the lease), updates the probe state, publishes the event and frees the
// slot.
func (d *destination) record(l *queue.Lease, v verdict, out queue.Outcome) {
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
	change := d.updateProbe(v)
	failures := d.failures
	hc, deadInRow := d.health.observe(out.Result, d.cfg.FailingAfter), d.health.deadInRow
	d.mu.Unlock()
	d.signal()

	d.logOutcome(l, out, change, failures)
	d.logHealth(hc, deadInRow, l, out)
	ev := Event{
		At:            out.Attempt.At,
		MessageID:     l.Message.ID,
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

// probeChange is a transition of the destination's probe mode.
type probeChange int

const (
	probeSame probeChange = iota
	probeEntered
	probeLeft
)

// updateProbe counts retryable failures in a row: at failureThreshold the
// destination backs off to one delivery in flight; a success ends it. A
// rejection (non-retryable status) says the destination is up but changes
// nothing. d.mu is held.
func (d *destination) updateProbe(v verdict) probeChange {
	switch v {
	case verdictDelivered:
		d.failures = 0
		if d.backingOff {
			d.backingOff = false
			return probeLeft
		}
	case verdictRetry:
		d.failures++
		if d.failures >= failureThreshold && !d.backingOff {
			d.backingOff = true
			return probeEntered
		}
	}
	return probeSame
}

func (d *destination) logOutcome(l *queue.Lease, out queue.Outcome, change probeChange, failures int) {
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
	switch change {
	case probeEntered:
		d.logger.Warn("destination backing off: one delivery at a time until one succeeds",
			"consecutive_failures", failures, "message_id", l.Message.ID, "error", out.Attempt.Error)
	case probeLeft:
		d.logger.Info("destination recovered", "message_id", l.Message.ID)
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
		ConsecutiveFailures: d.failures,
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
	case d.backingOff:
		st.State = StateBackingOff
	case d.health.failing:
		st.State = StateFailing
	}
	return st
}
