package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/relayd/relayd/relay"
)

// routeChildren are one route's series of the answers it gives on the
// hot path: accepted (202) and duplicate (200).
type routeChildren struct {
	accepted, duplicate prometheus.Counter
}

// destChildren are one destination's series.
type destChildren struct {
	attempts    map[string]prometheus.Counter // by outcome
	duration    prometheus.Observer
	deadLetters prometheus.Counter
	transitions map[string]prometheus.Counter // by state entered
}

var (
	outcomes      = []string{relay.OutcomeDelivered, relay.OutcomeRetry, relay.OutcomeDead, relay.OutcomeTimeout, relay.OutcomeRefusedRedirect}
	breakerStates = []string{relay.BreakerOpen, relay.BreakerHalfOpen, relay.BreakerClosed}
)

// SetRoutes makes the series of the configured routes (at start and on
// every reload). Those of a route removed stay: a counter does not vanish.
func (m *Metrics) SetRoutes(names []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	next := map[string]*routeChildren{}
	for _, name := range names {
		next[name] = &routeChildren{
			accepted:  m.ingress.WithLabelValues(name, code(202)),
			duplicate: m.ingress.WithLabelValues(name, code(200)),
		}
	}
	m.routes.Store(&next)
}

// SetDestinations makes the series of the configured destinations (at
// start and on every reload), each at zero until it counts.
func (m *Metrics) SetDestinations(names []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	next := map[string]*destChildren{}
	for _, name := range names {
		next[name] = m.destChildren(name)
	}
	m.dests.Store(&next)
}

func (m *Metrics) destChildren(name string) *destChildren {
	c := &destChildren{
		attempts:    make(map[string]prometheus.Counter, len(outcomes)),
		duration:    m.duration.WithLabelValues(name),
		deadLetters: m.deadLetters.WithLabelValues(name),
		transitions: make(map[string]prometheus.Counter, len(breakerStates)),
	}
	for _, o := range outcomes {
		c.attempts[o] = m.attempts.WithLabelValues(name, o)
	}
	for _, s := range breakerStates {
		c.transitions[s] = m.transitions.WithLabelValues(name, s)
	}
	return c
}

// dest returns name's series: made at the last reload, or now for a
// destination removed by it whose last deliveries are still finishing.
func (m *Metrics) dest(name string) *destChildren {
	if c := (*m.dests.Load())[name]; c != nil {
		return c
	}
	return m.destChildren(name)
}

// Request counts one answered callback (ingress.Options.Observe) and, when
// a route accepted it, its accept latency.
func (m *Metrics) Request(route string, status int, took time.Duration) {
	if route != "" && (status == 202 || status == 200) {
		m.accept.Observe(took.Seconds())
		if status == 202 {
			m.recent.add(recentAccepted, time.Now())
		}
		if c := (*m.routes.Load())[route]; c != nil {
			if status == 202 {
				c.accepted.Inc()
			} else {
				c.duplicate.Inc()
			}
			return
		}
	}
	m.ingress.WithLabelValues(route, code(status)).Inc()
}

// Attempted implements relay.Observer.
func (m *Metrics) Attempted(destination, outcome string, took time.Duration, dead bool) {
	c := m.dest(destination)
	if a := c.attempts[outcome]; a != nil {
		a.Inc()
	} else {
		m.attempts.WithLabelValues(destination, outcome).Inc()
	}
	c.duration.Observe(took.Seconds())
	if outcome == relay.OutcomeDelivered {
		m.recent.add(recentDelivered, time.Now())
	} else {
		m.recent.add(recentFailed, time.Now())
	}
	if dead {
		c.deadLetters.Inc()
	}
}

// BreakerChanged implements relay.Observer.
func (m *Metrics) BreakerChanged(destination, to string) {
	if t := m.dest(destination).transitions[to]; t != nil {
		t.Inc()
		return
	}
	m.transitions.WithLabelValues(destination, to).Inc()
}

var _ relay.Observer = (*Metrics)(nil)
