package relay

import (
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// maxBackoffSteps bounds the stepping of a fresh ExponentialBackOff: far
// beyond the step at which any sane policy reaches its max_interval.
const maxBackoffSteps = 2000

// backoffInterval returns the randomized wait after attempt n (1-based):
// a fresh ExponentialBackOff stepped n times, so the interval depends only
// on the attempt number and nothing but the persisted schedule survives a
// restart. As in backoff/v4, max_interval caps the interval before the
// randomization is applied.
func backoffInterval(p RetryPolicy, attempt int) time.Duration {
	b := &backoff.ExponentialBackOff{
		InitialInterval:     p.InitialInterval,
		RandomizationFactor: p.Randomization,
		Multiplier:          p.Multiplier,
		MaxInterval:         p.MaxInterval,
		MaxElapsedTime:      0, // relay decides when to give up
		Stop:                backoff.Stop,
		Clock:               backoff.SystemClock,
	}
	b.Reset() // the policy was checked when its destination was built
	var d time.Duration
	for range min(max(attempt, 1), maxBackoffSteps) {
		d = b.NextBackOff()
	}
	return d
}

// schedule decides what follows a retryable failure of attempt n: the time
// of the next attempt, or dead with the reason when the policy gives up
// (max_attempts reached, or the next attempt would fall after
// start+max_elapsed). retryAfter (>= 0) replaces the backoff interval,
// capped by max_interval.
func schedule(p RetryPolicy, start time.Time, attempt int, now time.Time, retryAfter time.Duration) (next time.Time, dead bool, reason string) {
	if p.MaxAttempts > 0 && attempt >= p.MaxAttempts {
		return time.Time{}, true, fmt.Sprintf("max_attempts (%d) reached", p.MaxAttempts)
	}
	wait := backoffInterval(p, attempt)
	if retryAfter >= 0 {
		wait = retryAfter
		if p.MaxInterval > 0 {
			wait = min(wait, p.MaxInterval)
		}
	}
	next = now.Add(wait)
	if p.MaxElapsed > 0 && next.After(start.Add(p.MaxElapsed)) {
		return time.Time{}, true, fmt.Sprintf("max_elapsed (%s) exceeded", p.MaxElapsed)
	}
	return next, false, ""
}
