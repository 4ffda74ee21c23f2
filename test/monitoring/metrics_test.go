package monitoring

import (
	"regexp"
	"strings"
)

// exported lists relayd's own metrics, as docs/OPERATIONS.md does, with
// their type: histograms also export _bucket, _sum and _count series.
var exported = map[string]string{
	"relayd_build_info":                            "gauge",
	"relayd_ingress_requests_total":                "counter",
	"relayd_ingress_accept_duration_seconds":       "histogram",
	"relayd_delivery_attempts_total":               "counter",
	"relayd_delivery_duration_seconds":             "histogram",
	"relayd_dead_letters_total":                    "counter",
	"relayd_breaker_transitions_total":             "counter",
	"relayd_reloads_total":                         "counter",
	"relayd_reload_last_success_timestamp_seconds": "gauge",
	"relayd_journal_group_size":                    "histogram",
	"relayd_journal_fsync_duration_seconds":        "histogram",
	"relayd_queue_deliveries":                      "gauge",
	"relayd_queue_oldest_pending_age_seconds":      "gauge",
	"relayd_destination_breaker_open":              "gauge",
	"relayd_destination_paused":                    "gauge",
	"relayd_destination_failing":                   "gauge",
	"relayd_storage_bytes":                         "gauge",
	"relayd_storage_free_bytes":                    "gauge",
	"relayd_storage_max_disk_bytes":                "gauge",
	"relayd_storage_min_free_bytes":                "gauge",
	"relayd_healthy":                               "gauge",
}

// metricRE finds what looks like a relayd metric in a PromQL expression.
// The Go runtime (go_*) and process (process_*) collectors are exported
// too; their names come from client_golang, so they are not checked here.
var metricRE = regexp.MustCompile(`\brelayd_[a-zA-Z0-9_]+`)

// unknownMetrics returns every relayd_* name in expr that relayd does not
// export.
func unknownMetrics(expr string) []string {
	var unknown []string
	for _, name := range metricRE.FindAllString(expr, -1) {
		if !known(name) {
			unknown = append(unknown, name)
		}
	}
	return unknown
}

func known(name string) bool {
	if _, ok := exported[name]; ok {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && exported[base] == "histogram" {
			return true
		}
	}
	return false
}

// metricsIn returns the known relayd metrics expr uses, histogram series
// under their base name.
func metricsIn(expr string) []string {
	var names []string
	for _, name := range metricRE.FindAllString(expr, -1) {
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(name, suffix); ok && exported[base] == "histogram" {
				name = base
			}
		}
		names = append(names, name)
	}
	return names
}
