// Package monitoring tests what relayd ships for Prometheus and Grafana in
// docs/monitoring: the alert rules pass `promtool check rules` and their
// unit tests (`promtool test rules`), and the rules and the dashboard use
// only the metric names relayd exports (metrics_test.go lists them, as
// docs/OPERATIONS.md does). It holds no code of its own, so that
// docs/monitoring holds only the files installed under
// /usr/share/doc/relayd/monitoring.
package monitoring
