package relay

import (
	"strings"
	"testing"
	"time"
)

func TestBackoffInterval(t *testing.T) {
	p := RetryPolicy{InitialInterval: 5 * time.Second, Multiplier: 2, Randomization: 0.5, MaxInterval: time.Hour}
	cases := []struct {
		attempt int
		base    time.Duration // before randomization
	}{
		{1, 5 * time.Second},
		{2, 10 * time.Second},
		{3, 20 * time.Second},
		{5, 80 * time.Second},
		{10, 2560 * time.Second},
		{11, time.Hour}, // 5120 s capped
		{500, time.Hour},
		{100000, time.Hour},
	}
	for _, tc := range cases {
		lo := time.Duration(float64(tc.base) * (1 - p.Randomization))
		hi := time.Duration(float64(tc.base) * (1 + p.Randomization))
		for range 50 {
			if got := backoffInterval(p, tc.attempt); got < lo || got > hi {
				t.Fatalf("attempt %d: interval %v outside [%v, %v]", tc.attempt, got, lo, hi)
			}
		}
	}
	exact := p
	exact.Randomization = 0
	if got := backoffInterval(exact, 3); got != 20*time.Second {
		t.Errorf("attempt 3 without jitter: %v, want 20s", got)
	}
}

func TestSchedule(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := RetryPolicy{InitialInterval: time.Minute, Multiplier: 2, MaxInterval: time.Hour, MaxElapsed: 3 * time.Hour}
	cases := map[string]struct {
		policy     func(RetryPolicy) RetryPolicy
		attempt    int
		now        time.Time
		retryAfter time.Duration
		wantNext   time.Time // zero when dead
		wantReason string
	}{
		"first retry":              {nil, 1, start, -1, start.Add(time.Minute), ""},
		"third retry":              {nil, 3, start.Add(10 * time.Minute), -1, start.Add(14 * time.Minute), ""},
		"retry-after wins":         {nil, 1, start, 7 * time.Second, start.Add(7 * time.Second), ""},
		"retry-after capped":       {nil, 1, start, 5 * time.Hour, start.Add(time.Hour), ""},
		"exactly at max_elapsed":   {nil, 1, start.Add(3*time.Hour - time.Minute), -1, start.Add(3 * time.Hour), ""},
		"past max_elapsed":         {nil, 1, start.Add(3*time.Hour - 59*time.Second), -1, time.Time{}, "max_elapsed"},
		"retry-after past the end": {nil, 1, start.Add(2*time.Hour + time.Minute), 61 * time.Minute, time.Time{}, "max_elapsed"},
		"max_attempts reached": {func(p RetryPolicy) RetryPolicy { p.MaxAttempts = 3; return p },
			3, start, -1, time.Time{}, "max_attempts"},
		"below max_attempts": {func(p RetryPolicy) RetryPolicy { p.MaxAttempts = 3; return p },
			2, start, -1, start.Add(2 * time.Minute), ""},
		"no max_elapsed": {func(p RetryPolicy) RetryPolicy { p.MaxElapsed = 0; return p },
			40, start.Add(1000 * time.Hour), -1, start.Add(1001 * time.Hour), ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			pol := p
			if tc.policy != nil {
				pol = tc.policy(p)
			}
			next, dead, reason := schedule(pol, start, tc.attempt, tc.now, tc.retryAfter)
			if tc.wantReason != "" {
				if !dead || !strings.Contains(reason, tc.wantReason) {
					t.Fatalf("got next %v dead %v %q, want dead by %s", next, dead, reason, tc.wantReason)
				}
				return
			}
			if dead || !next.Equal(tc.wantNext) {
				t.Fatalf("got next %v dead %v (%s), want %v", next, dead, reason, tc.wantNext)
			}
		})
	}
}
