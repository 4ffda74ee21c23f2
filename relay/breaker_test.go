package relay

import (
	"testing"
	"time"
)

// breakerStep is one event fed to a breaker under a fake clock.
type breakerStep struct {
	after      time.Duration // fake time advanced before the step
	verdict    verdict       // recorded, unless probe
	retryAfter time.Duration
	probe      bool // ask limit instead of recording

	wantChange breakerChange
	wantLimit  int           // for probe steps: -1 none, 0 held, 1 probe
	wantWait   time.Duration // for probe steps held back
	wantState  breakerState
}

func TestBreakerStateMachine(t *testing.T) {
	p := RetryPolicy{InitialInterval: time.Second, Multiplier: 2, MaxInterval: 5 * time.Second}
	const ms = time.Millisecond
	fail := func(c breakerChange, st breakerState) breakerStep {
		return breakerStep{verdict: verdictRetry, retryAfter: -1, wantChange: c, wantState: st}
	}
	cases := map[string]struct {
		threshold int
		steps     []breakerStep
	}{
		"opens after threshold failures, not before": {threshold: 3, steps: []breakerStep{
			fail(breakerSame, breakerClosed),
			fail(breakerSame, breakerClosed),
			{probe: true, wantLimit: -1, wantState: breakerClosed},
			fail(breakerOpened, breakerOpen),
			{probe: true, wantLimit: 0, wantWait: time.Second, wantState: breakerOpen},
		}},
		"a success in between resets the count": {threshold: 2, steps: []breakerStep{
			fail(breakerSame, breakerClosed),
			{verdict: verdictDelivered, wantState: breakerClosed},
			fail(breakerSame, breakerClosed),
			fail(breakerOpened, breakerOpen),
		}},
		"dead answers neither count nor reset": {threshold: 2, steps: []breakerStep{
			fail(breakerSame, breakerClosed),
			{verdict: verdictDead, wantState: breakerClosed},
			fail(breakerOpened, breakerOpen),
		}},
		"one probe after the cooldown; success closes": {threshold: 1, steps: []breakerStep{
			fail(breakerOpened, breakerOpen),
			{after: 999 * ms, probe: true, wantLimit: 0, wantWait: ms, wantState: breakerOpen},
			{after: ms, probe: true, wantLimit: 1, wantState: breakerHalfOpen},
			{verdict: verdictDelivered, wantChange: breakerRecovered, wantState: breakerClosed},
			{probe: true, wantLimit: -1, wantState: breakerClosed},
		}},
		"a failed probe re-opens with the next cooldown, capped": {threshold: 1, steps: []breakerStep{
			fail(breakerOpened, breakerOpen),
			{after: time.Second, probe: true, wantLimit: 1, wantState: breakerHalfOpen},
			fail(breakerOpened, breakerOpen),
			{probe: true, wantLimit: 0, wantWait: 2 * time.Second, wantState: breakerOpen},
			{after: 2 * time.Second, probe: true, wantLimit: 1, wantState: breakerHalfOpen},
			fail(breakerOpened, breakerOpen),
			{probe: true, wantLimit: 0, wantWait: 4 * time.Second, wantState: breakerOpen},
			{after: 4 * time.Second, probe: true, wantLimit: 1, wantState: breakerHalfOpen},
			fail(breakerOpened, breakerOpen),
			{probe: true, wantLimit: 0, wantWait: 5 * time.Second, wantState: breakerOpen},
		}},
		"a success after re-opening starts the schedule over": {threshold: 1, steps: []breakerStep{
			fail(breakerOpened, breakerOpen),
			{after: time.Second, probe: true, wantLimit: 1, wantState: breakerHalfOpen},
			fail(breakerOpened, breakerOpen),
			{after: 2 * time.Second, probe: true, wantLimit: 1, wantState: breakerHalfOpen},
			{verdict: verdictDelivered, wantChange: breakerRecovered, wantState: breakerClosed},
			fail(breakerOpened, breakerOpen),
			{probe: true, wantLimit: 0, wantWait: time.Second, wantState: breakerOpen},
		}},
		"failures of requests sent before it opened do not extend it": {threshold: 2, steps: []breakerStep{
			fail(breakerSame, breakerClosed),
			fail(breakerOpened, breakerOpen),
			{after: 500 * ms, verdict: verdictRetry, retryAfter: 3 * time.Second, wantState: breakerOpen},
			{probe: true, wantLimit: 0, wantWait: 500 * ms, wantState: breakerOpen},
		}},
		"a dead probe frees the slot for another probe": {threshold: 1, steps: []breakerStep{
			fail(breakerOpened, breakerOpen),
			{after: time.Second, probe: true, wantLimit: 1, wantState: breakerHalfOpen},
			{verdict: verdictDead, wantState: breakerHalfOpen},
			{probe: true, wantLimit: 1, wantState: breakerHalfOpen},
		}},
		"Retry-After raises the cooldown": {threshold: 1, steps: []breakerStep{
			{verdict: verdictRetry, retryAfter: 3 * time.Second, wantChange: breakerOpened, wantState: breakerOpen},
			{probe: true, wantLimit: 0, wantWait: 3 * time.Second, wantState: breakerOpen},
		}},
		"Retry-After shorter than the cooldown does not lower it": {threshold: 1, steps: []breakerStep{
			{verdict: verdictRetry, retryAfter: 10 * ms, wantChange: breakerOpened, wantState: breakerOpen},
			{probe: true, wantLimit: 0, wantWait: time.Second, wantState: breakerOpen},
		}},
		"a crafted Retry-After is capped by max_interval": {threshold: 1, steps: []breakerStep{
			{verdict: verdictRetry, retryAfter: 1000 * time.Hour, wantChange: breakerOpened, wantState: breakerOpen},
			{probe: true, wantLimit: 0, wantWait: 5 * time.Second, wantState: breakerOpen},
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b := newBreaker(tc.threshold, p)
			now := time.Unix(1_800_000_000, 0)
			for i, s := range tc.steps {
				now = now.Add(s.after)
				if s.probe {
					n, wait := b.limit(now)
					if n != s.wantLimit || wait != s.wantWait {
						t.Fatalf("step %d: limit = %d, wait %s; want %d, %s", i, n, wait, s.wantLimit, s.wantWait)
					}
				} else if c := b.record(s.verdict, now, s.retryAfter); c != s.wantChange {
					t.Fatalf("step %d: change = %d, want %d", i, c, s.wantChange)
				}
				if b.state != s.wantState {
					t.Fatalf("step %d: state = %d, want %d", i, b.state, s.wantState)
				}
				if held := b.holds(now); held != (s.wantState == breakerOpen) {
					t.Fatalf("step %d: holds = %t in state %d", i, held, b.state)
				}
				if probeAt := b.nextProbeAt(); (s.wantState == breakerClosed) != probeAt.IsZero() {
					t.Fatalf("step %d: nextProbeAt = %v in state %d", i, probeAt, b.state)
				}
			}
		})
	}
}

// With randomization, every cooldown stays within the retry schedule's
// jitter band: initial_interval × multiplier^k × (1 ± randomization),
// max_interval capping the interval before the jitter.
func TestBreakerCooldownJitter(t *testing.T) {
	p := RetryPolicy{InitialInterval: 200 * time.Millisecond, Multiplier: 2, Randomization: 0.5, MaxInterval: time.Second}
	bands := []struct{ lo, hi time.Duration }{
		{100 * time.Millisecond, 300 * time.Millisecond},
		{200 * time.Millisecond, 600 * time.Millisecond},
		{400 * time.Millisecond, 1200 * time.Millisecond},
		{500 * time.Millisecond, 1500 * time.Millisecond},
		{500 * time.Millisecond, 1500 * time.Millisecond},
	}
	seen := map[time.Duration]bool{}
	for range 50 {
		b := newBreaker(1, p)
		now := time.Unix(1_800_000_000, 0)
		for k, band := range bands {
			b.record(verdictRetry, now, -1)
			if b.cooldown < band.lo || b.cooldown > band.hi {
				t.Fatalf("re-opening %d: cooldown %s outside [%s, %s]", k, b.cooldown, band.lo, band.hi)
			}
			seen[b.cooldown] = true
			now = b.until
			if n, _ := b.limit(now); n != 1 {
				t.Fatalf("re-opening %d: no probe at the end of the cooldown", k)
			}
		}
	}
	if len(seen) < 10 {
		t.Fatalf("only %d distinct cooldowns in 250: no jitter", len(seen))
	}
}
