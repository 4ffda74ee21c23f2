package metrics

import (
	"errors"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/relayd/relayd/queue"
	"github.com/relayd/relayd/relay"
)

// levels is the Collector of what is read, not counted: queue depth,
// oldest pending, destination states, storage and health, each read from
// the queue and the relay at scrape time so it cannot drift from them.
type levels struct {
	store *queue.Store
	relay *relay.Relay

	deliveries, oldest, breakerOpen, paused, failing *prometheus.Desc
	bytes, free, maxDisk, minFree, healthy           *prometheus.Desc
}

func newLevels(store *queue.Store, r *relay.Relay) *levels {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &levels{
		store: store, relay: r,
		deliveries:  d("relayd_queue_deliveries", "Deliveries in the queue by destination and state (delivered and dead: those retained).", "destination", "state"),
		oldest:      d("relayd_queue_oldest_pending_age_seconds", "Age of the oldest delivery not yet delivered or dead (pending, delivering or retrying) per destination; 0 when none.", "destination"),
		breakerOpen: d("relayd_destination_breaker_open", "Whether a destination's circuit breaker is open or probing (1) or closed (0).", "destination"),
		paused:      d("relayd_destination_paused", "Whether a destination is paused (1) or not (0).", "destination"),
		failing:     d("relayd_destination_failing", "Whether a destination is failing: breaker.failing_after deliveries dead in a row, none delivered since (1) or not (0).", "destination"),
		bytes:       d("relayd_storage_bytes", "Bytes the queue uses on disk (journal included)."),
		free:        d("relayd_storage_free_bytes", "Free bytes on the queue's filesystem."),
		maxDisk:     d("relayd_storage_max_disk_bytes", "storage.max_disk: above it ingress answers 503 (0 = no cap)."),
		minFree:     d("relayd_storage_min_free_bytes", "storage.min_free: below it ingress answers 503 (0 = no check)."),
		healthy:     d("relayd_healthy", "Whether the queue accepts writes (1) or not (0: failed, or storage.max_disk/min_free reached)."),
	}
}

// Describe implements prometheus.Collector.
func (l *levels) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{l.deliveries, l.oldest, l.breakerOpen, l.paused, l.failing,
		l.bytes, l.free, l.maxDisk, l.minFree, l.healthy} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (l *levels) Collect(ch chan<- prometheus.Metric) {
	statuses := l.relay.Destinations()
	counts := l.store.Counts()
	names := destinationNames(statuses, counts)
	l.collectQueue(ch, names, counts)
	for _, d := range statuses {
		ch <- gauge(l.breakerOpen, bool01(!d.NextProbeAt.IsZero()), d.Name)
		ch <- gauge(l.paused, bool01(d.State == relay.StatePaused), d.Name)
		ch <- gauge(l.failing, bool01(d.Failing), d.Name)
	}
	sp := l.store.Space()
	ch <- gauge(l.bytes, float64(sp.Bytes))
	if sp.Free >= 0 {
		ch <- gauge(l.free, float64(sp.Free))
	}
	ch <- gauge(l.maxDisk, float64(sp.MaxDisk))
	ch <- gauge(l.minFree, float64(sp.MinFree))
	ch <- gauge(l.healthy, bool01(l.store.Writable() == nil))
}

// queueStates are the states relayd_queue_deliveries reports, always all of
// them so that a series never disappears when it drops to zero.
var queueStates = []queue.State{queue.StatePending, queue.StateDelivering, queue.StateRetrying, queue.StateDead, queue.StateDelivered}

func (l *levels) collectQueue(ch chan<- prometheus.Metric, names []string, counts map[string]queue.Counts) {
	for _, name := range names {
		c := counts[name]
		for _, st := range queueStates {
			ch <- gauge(l.deliveries, float64(stateCount(c, st)), name, string(st))
		}
	}
	oldest, err := l.store.OldestUnfinished(names)
	if err != nil {
		if !errors.Is(err, queue.ErrClosed) {
			ch <- prometheus.NewInvalidMetric(l.oldest, err)
		}
		return
	}
	now := time.Now()
	for _, name := range names {
		age := 0.0
		if at, ok := oldest[name]; ok {
			age = max(now.Sub(at).Seconds(), 0)
		}
		ch <- gauge(l.oldest, age, name)
	}
}

// destinationNames are the configured destinations in config order, then
// those that only still have deliveries, sorted.
func destinationNames(statuses []relay.DestinationStatus, counts map[string]queue.Counts) []string {
	names := make([]string, 0, len(statuses)+len(counts))
	seen := make(map[string]bool, len(statuses))
	for _, d := range statuses {
		names, seen[d.Name] = append(names, d.Name), true
	}
	var removed []string
	for name := range counts {
		if !seen[name] {
			removed = append(removed, name)
		}
	}
	sort.Strings(removed)
	return append(names, removed...)
}

func stateCount(c queue.Counts, st queue.State) int64 {
	switch st {
	case queue.StatePending:
		return c.Pending
	case queue.StateDelivering:
		return c.Delivering
	case queue.StateRetrying:
		return c.Retrying
	case queue.StateDead:
		return c.Dead
	}
	return c.Delivered
}

func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
