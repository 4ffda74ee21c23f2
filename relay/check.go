package relay

import (
	"errors"
	"fmt"
)

// check refuses a Destination relay cannot run as given. Defaults are
// daemon/config's alone (config.Load fills every value), so relay applies
// none: a zero here is a caller's mistake, named, never silently replaced.
func (d *Destination) check() error {
	var problems []error
	bad := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	if d.Timeout <= 0 {
		bad("timeout %s: must be positive", d.Timeout)
	}
	if d.MaxRedirects < 0 {
		bad("max_redirects %d: must not be negative", d.MaxRedirects)
	}
	if d.Concurrency < 1 {
		bad("concurrency %d: must be at least 1", d.Concurrency)
	}
	if d.BreakerFailures < 1 {
		bad("breaker.failures %d: must be at least 1", d.BreakerFailures)
	}
	if d.FailingAfter < 1 {
		bad("breaker.failing_after %d: must be at least 1", d.FailingAfter)
	}
	p := &d.Retry
	if p.InitialInterval <= 0 {
		bad("retry.initial_interval %s: must be positive", p.InitialInterval)
	}
	if p.Multiplier < 1 {
		bad("retry.multiplier %g: must be at least 1", p.Multiplier)
	}
	if p.MaxInterval < p.InitialInterval {
		bad("retry.max_interval %s: must not be below initial_interval", p.MaxInterval)
	}
	if p.Randomization < 0 || p.Randomization >= 1 {
		bad("retry.randomization %g: must be at least 0 and below 1", p.Randomization)
	}
	return errors.Join(problems...)
}
