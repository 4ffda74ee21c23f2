package relay

import (
	"time"

	"github.com/relayd/relayd/queue"
)

// breakerState is where a destination's circuit breaker is.
type breakerState int

const (
	breakerClosed   breakerState = iota // deliveries flow
	breakerOpen                         // nothing is sent until the cooldown ends
	breakerHalfOpen                     // one probe may go out
)

// breakerChange is a transition worth one log line and one event.
type breakerChange int

const (
	breakerSame      breakerChange = iota
	breakerOpened                  // closed → open, or a failed probe re-opened it
	breakerRecovered               // a success closed it
)

// breaker is a destination's circuit breaker. After threshold retryable
// failures in a row it opens: nothing is sent for a cooldown that grows
// like the destination's retry schedule (initial_interval ×
// multiplier^reopens with jitter, capped by max_interval, raised by the
// failing answer's Retry-After); then one probe; a success closes it, a
// failure re-opens it with the next cooldown. It holds no clock: every
// method takes now, so tests drive it with a fake one. Not safe for
// concurrent use: the destination's mutex guards it.
type breaker struct {
	threshold int
	policy    RetryPolicy

	state    breakerState
	failures int       // retryable failures in a row
	reopens  int       // how many times it re-opened without a success
	until    time.Time // open: when the probe may go out
	cooldown time.Duration
}

func newBreaker(threshold int, p RetryPolicy) *breaker {
	return &breaker{threshold: threshold, policy: p}
}

// limit says how many deliveries may be in flight at now: -1 for no limit
// (closed), 1 while a probe may go out, 0 while open (wait is then how
// long until the probe may go). An open breaker whose cooldown ended turns
// half-open here.
func (b *breaker) limit(now time.Time) (n int, wait time.Duration) {
	switch b.state {
	case breakerOpen:
		if now.Before(b.until) {
			return 0, b.until.Sub(now)
		}
		b.state = breakerHalfOpen
		return 1, 0
	case breakerHalfOpen:
		return 1, 0
	}
	return -1, 0
}

// holds reports whether a delivery leased earlier must not be sent now: the
// breaker opened since (a probe is leased only once half-open).
func (b *breaker) holds(now time.Time) bool {
	return b.state == breakerOpen && now.Before(b.until)
}

// record counts an attempt's verdict at now. retryAfter (>= 0) is the
// failing answer's Retry-After. A dead verdict says the destination
// answers but changes nothing here (dead answers in a row are the
// destination's health, not its breaker); a probe that got one frees its
// slot for another probe.
func (b *breaker) record(v verdict, now time.Time, retryAfter time.Duration) breakerChange {
	switch v {
	case verdictDelivered:
		b.failures, b.reopens = 0, 0
		if b.state != breakerClosed {
			b.state, b.until, b.cooldown = breakerClosed, time.Time{}, 0
			return breakerRecovered
		}
	case verdictRetry:
		b.failures++
		switch {
		case b.state == breakerHalfOpen:
			b.reopens++
			b.open(now, retryAfter)
			return breakerOpened
		case b.state == breakerClosed && b.failures >= b.threshold:
			b.reopens = 0
			b.open(now, retryAfter)
			return breakerOpened
		}
		// Open: an attempt sent before it opened; the cooldown stands.
	}
	return breakerSame
}

// open starts a cooldown at now: the retry schedule's interval for the
// reopens-th re-opening, at least retryAfter, which max_interval caps as
// it does the delivery schedule, so a crafted Retry-After cannot hold a
// destination longer than the operator allows.
func (b *breaker) open(now time.Time, retryAfter time.Duration) {
	c := backoffInterval(b.policy, b.reopens+1)
	if b.policy.MaxInterval > 0 {
		retryAfter = min(retryAfter, b.policy.MaxInterval)
	}
	c = max(c, retryAfter)
	b.state, b.cooldown, b.until = breakerOpen, c, now.Add(c)
}

// closed reports whether deliveries flow freely.
func (b *breaker) closed() bool { return b.state == breakerClosed }

// nextProbeAt is when the probe may go out: zero when closed, the end of
// the cooldown when open, and the end of the last cooldown when half-open.
func (b *breaker) nextProbeAt() time.Time {
	if b.state == breakerClosed {
		return time.Time{}
	}
	return b.until
}

// configure takes a reloaded threshold and policy, keeping the state.
func (b *breaker) configure(threshold int, p RetryPolicy) {
	b.threshold, b.policy = threshold, p
}

// announce logs a breaker transition (one line each, not one per request)
// and publishes it as an event; a, the attempt that caused it, gives the
// failure. brk is a copy taken with the transition.
func (d *destination) announce(change breakerChange, brk *breaker, a queue.Attempt, now time.Time) {
	ev := Event{At: now, Destination: d.cfg.Name, Status: a.Status, Error: a.Error}
	switch change {
	case breakerOpened:
		d.logger.Warn("destination backing off", "consecutive_failures", brk.failures,
			"cooldown", brk.cooldown, "next_probe_at", brk.until, "status", a.Status, "error", a.Error)
		ev.Result, ev.NextAttemptAt = ResultBreakerOpen, brk.until
	case breakerRecovered:
		d.logger.Info("destination recovered")
		ev.Result, ev.Error = ResultBreakerClosed, ""
	default:
		return
	}
	if obs := d.obs.get(); obs != nil {
		to := BreakerOpen
		if change == breakerRecovered {
			to = BreakerClosed
		}
		obs.BreakerChanged(d.cfg.Name, to)
	}
	d.events.publish(ev)
}
