package daemon

import (
	"sync/atomic"
	"time"

	"github.com/relayd/relayd/daemon/config"
	"github.com/relayd/relayd/daemon/metrics"
)

// lateMetrics passes the queue's group commits on to the metrics once they
// exist: the registry reads the queue, so it is made after queue.Open,
// whose hook must be given before. What Open itself commits is not counted.
type lateMetrics struct {
	m atomic.Pointer[metrics.Metrics]
}

func (l *lateMetrics) set(m *metrics.Metrics) { l.m.Store(m) }

func (l *lateMetrics) groupCommitted(records int, fsync time.Duration) {
	if m := l.m.Load(); m != nil {
		m.GroupCommitted(records, fsync)
	}
}

// destinationNames and routeNames name what the metrics make series for.
func destinationNames(cfg *config.Config) []string {
	names := make([]string, 0, len(cfg.Destinations))
	for _, d := range cfg.Destinations {
		names = append(names, d.Name)
	}
	return names
}

func routeNames(cfg *config.Config) []string {
	names := make([]string, 0, len(cfg.Routes))
	for _, r := range cfg.Routes {
		names = append(names, r.Name)
	}
	return names
}
