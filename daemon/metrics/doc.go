// Package metrics owns relayd's Prometheus metrics (client_golang): the
// registry, the counters and histograms the ingress, the relay, the queue's
// journal and Reload report to through their hooks, a Collector that reads
// the levels (queue depth, oldest pending, breaker, paused, failing,
// storage, health) at scrape time, and the /metrics handler. The names are
// listed with their meaning in docs/METRICS.md. The same events also feed
// an in-memory ring of per-minute counts (Recent: accepted, delivered,
// failed over the last hour) that the status page plots.
//
// It imports queue and relay (to read their levels and to implement
// relay.Observer); ingress and the daemon package are wired to it by the
// daemon, never the other way round.
package metrics
