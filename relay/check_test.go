package relay

import (
	"strings"
	"testing"
)

// TestBuildRefusesUnsetValues: relay applies no defaults (config does), so
// a Destination with a value left zero is refused by Build, naming the
// value, instead of running on a number relay made up.
func TestBuildRefusesUnsetValues(t *testing.T) {
	t.Parallel()
	r := New(openStore(t, ""), quiet)
	cases := map[string]struct {
		unset func(*Destination)
		want  string
	}{
		"timeout":               {func(d *Destination) { d.Timeout = 0 }, "timeout 0s: must be positive"},
		"concurrency":           {func(d *Destination) { d.Concurrency = 0 }, "concurrency 0"},
		"breaker.failures":      {func(d *Destination) { d.BreakerFailures = 0 }, "breaker.failures 0"},
		"breaker.failing_after": {func(d *Destination) { d.FailingAfter = 0 }, "breaker.failing_after 0"},
		"max_redirects":         {func(d *Destination) { d.MaxRedirects = -1 }, "max_redirects -1"},
		"initial_interval":      {func(d *Destination) { d.Retry.InitialInterval = 0 }, "retry.initial_interval 0s"},
		"multiplier":            {func(d *Destination) { d.Retry.Multiplier = 0 }, "retry.multiplier 0"},
		"max_interval":          {func(d *Destination) { d.Retry.MaxInterval = 0 }, "retry.max_interval 0s"},
		"randomization":         {func(d *Destination) { d.Retry.Randomization = 1 }, "retry.randomization 1"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := testDest("billing", "http://127.0.0.1:9/")
			tc.unset(&d)
			_, err := r.Build([]Destination{d}, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `"billing"`) {
				t.Fatalf("Build = %v, want an error naming %q and the destination", err, tc.want)
			}
		})
	}
	if _, err := r.Build([]Destination{testDest("billing", "http://127.0.0.1:9/")}, nil); err != nil {
		t.Fatalf("Build of a complete destination: %v", err)
	}
}
