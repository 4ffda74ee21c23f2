package relay

import (
	"errors"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/relayd/relayd/queue"
)

// Outcomes of one attempt, as an Observer is told them.
const (
	OutcomeDelivered       = "delivered"        // a 2xx
	OutcomeRetry           = "retry"            // failed; due again later
	OutcomeDead            = "dead"             // failed; the delivery is dead
	OutcomeTimeout         = "timeout"          // the attempt ran out of its timeout (then retried or dead)
	OutcomeRefusedRedirect = "refused_redirect" // a redirect relay would not follow (the delivery is dead)
)

// Breaker states an Observer is told a destination moved to.
const (
	BreakerOpen     = "open"
	BreakerHalfOpen = "half_open"
	BreakerClosed   = "closed"
)

// Observer is told of every attempt and every breaker transition, on the
// worker that made it, none dropped (unlike Subscribe). It must be cheap
// and must not block: metrics.
type Observer interface {
	// Attempted reports one attempt of a delivery to destination: its
	// outcome, how long it took, and whether the delivery is now dead.
	Attempted(destination, outcome string, took time.Duration, dead bool)
	// BreakerChanged reports that destination's breaker moved to to.
	BreakerChanged(destination, to string)
}

// observerBox holds an Observer for an atomic.Pointer.
type observerBox struct{ Observer }

// observers is the Relay's observer, shared with its destinations; nil
// until SetObserver.
type observers struct{ p atomic.Pointer[observerBox] }

func (o *observers) get() Observer {
	if b := o.p.Load(); b != nil {
		return b.Observer
	}
	return nil
}

// SetObserver installs obs (nil removes it). Set it before Start so that no
// attempt goes untold.
func (r *Relay) SetObserver(obs Observer) {
	if obs == nil {
		r.obs.p.Store(nil)
		return
	}
	r.obs.p.Store(&observerBox{obs})
}

// outcomeOf names an attempt's outcome: a timeout and a refused redirect
// under their own names whatever follows them, else what the queue records.
func outcomeOf(res attemptResult, r queue.Result) string {
	switch {
	case r == queue.Delivered:
		return OutcomeDelivered
	case res.err != nil && isTimeout(res.err):
		return OutcomeTimeout
	case res.err != nil && res.permanent:
		return OutcomeRefusedRedirect // the only permanent errors are redirects (sender.do)
	case r == queue.Retry:
		return OutcomeRetry
	}
	return OutcomeDead
}

func isTimeout(err error) bool {
	if errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, fasthttp.ErrDialTimeout) ||
		errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
