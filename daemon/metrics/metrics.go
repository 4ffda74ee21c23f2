package metrics

import (
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/relayd/relayd/queue"
	"github.com/relayd/relayd/relay"
)

// Options wire Metrics.
type Options struct {
	Store   *queue.Store
	Relay   *relay.Relay
	Version string
}

// Metrics is relayd's registry and the instruments its components report to.
type Metrics struct {
	reg *prometheus.Registry

	ingress      *prometheus.CounterVec
	accept       prometheus.Histogram
	attempts     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	deadLetters  *prometheus.CounterVec
	transitions  *prometheus.CounterVec
	reloads      *prometheus.CounterVec
	lastReload   prometheus.Gauge
	groupSize    prometheus.Histogram
	fsync        prometheus.Histogram
	reloadOK     prometheus.Counter
	reloadFailed prometheus.Counter

	// Label children made once per route and destination (SetRoutes,
	// SetDestinations, on every reload), so the hot paths do no lookup
	// by label values.
	routes atomic.Pointer[map[string]*routeChildren]
	dests  atomic.Pointer[map[string]*destChildren]
	mu     sync.Mutex // serialises SetRoutes and SetDestinations

	recent recent // the status page's last hour, per minute
}

// New registers every relayd metric, the Go runtime and process
// collectors, and the level Collector reading opts.Store and opts.Relay.
func New(opts Options) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.ingress = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "relayd_ingress_requests_total",
		Help: "Callbacks answered by the ingress listener, by route (\"\" for none) and HTTP status.",
	}, []string{"route", "code"})
	m.accept = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "relayd_ingress_accept_duration_seconds",
		Help:    "Time from receiving an accepted callback (200, 202) to answering it: the durable write included.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	})
	m.attempts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "relayd_delivery_attempts_total",
		Help: "Delivery attempts by destination and outcome (delivered, retry, dead, timeout, refused_redirect).",
	}, []string{"destination", "outcome"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "relayd_delivery_duration_seconds",
		Help:    "Duration of one delivery attempt, redirects included, by destination.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"destination"})
	m.deadLetters = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "relayd_dead_letters_total",
		Help: "Deliveries that went dead, by destination.",
	}, []string{"destination"})
	m.transitions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "relayd_breaker_transitions_total",
		Help: "Circuit breaker transitions by destination and the state entered (open, half_open, closed).",
	}, []string{"destination", "to"})
	m.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "relayd_reloads_total",
		Help: "Config reloads by result (success, failure).",
	}, []string{"result"})
	m.reloadOK, m.reloadFailed = m.reloads.WithLabelValues("success"), m.reloads.WithLabelValues("failure")
	m.lastReload = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "relayd_reload_last_success_timestamp_seconds",
		Help: "Unix time of the last successful config load (the start counts as one).",
	})
	m.lastReload.SetToCurrentTime()
	m.groupSize = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "relayd_journal_group_size",
		Help:    "Records per journal group commit (one write and one fsync each).",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
	})
	m.fsync = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "relayd_journal_fsync_duration_seconds",
		Help:    "Duration of the journal's fsync per group commit (0 with storage.sync false).",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
	})
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "relayd_build_info",
		Help:        "Always 1; the labels name relayd's version and the Go version it was built with.",
		ConstLabels: prometheus.Labels{"version": opts.Version, "goversion": runtime.Version()},
	})
	build.Set(1)
	m.reg.MustRegister(m.ingress, m.accept, m.attempts, m.duration, m.deadLetters, m.transitions,
		m.reloads, m.lastReload, m.groupSize, m.fsync, build,
		newLevels(opts.Store, opts.Relay),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.routes.Store(&map[string]*routeChildren{})
	m.dests.Store(&map[string]*destChildren{})
	return m
}

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Registry is the registry, for tests and lint.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Reloaded counts a reload by its result; a success also sets the last
// success time.
func (m *Metrics) Reloaded(err error) {
	if err != nil {
		m.reloadFailed.Inc()
		return
	}
	m.reloadOK.Inc()
	m.lastReload.SetToCurrentTime()
}

// GroupCommitted observes one journal group commit (queue.Options.OnGroupCommit).
func (m *Metrics) GroupCommitted(records int, fsync time.Duration) {
	m.groupSize.Observe(float64(records))
	m.fsync.Observe(fsync.Seconds())
}

func code(status int) string { return strconv.Itoa(status) }
