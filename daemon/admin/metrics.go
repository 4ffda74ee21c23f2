package admin

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/relayd/relayd/queue"
	"github.com/relayd/relayd/relay"
)

// MetricsHandler serves admin.metrics_listen: /metrics in the Prometheus
// text format (written by hand: no client library for a handful of gauges),
// /healthz and /readyz (200 while the queue accepts writes, else 503).
func MetricsHandler(store *queue.Store, r *relay.Relay) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		writeMetrics(w, store, r)
	})
	health := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := store.Writable(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "queue not writable: %v\n", err)
			return
		}
		io.WriteString(w, "ok\n")
	}
	mux.HandleFunc("GET /healthz", health)
	mux.HandleFunc("GET /readyz", health)
	return mux
}

// metricStates are the states relayd_deliveries reports, always all of
// them so that a series never disappears when it drops to zero.
var metricStates = []queue.State{queue.StatePending, queue.StateDelivering, queue.StateRetrying, queue.StateDead, queue.StateDelivered}

func writeMetrics(w io.Writer, store *queue.Store, r *relay.Relay) {
	counts := store.Counts()
	statuses := r.Destinations()
	names := make([]string, 0, len(counts)+len(statuses))
	seen := map[string]bool{}
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
	names = append(names, removed...)

	fmt.Fprintln(w, "# HELP relayd_deliveries Deliveries in the queue by destination and state (delivered and dead: retained).")
	fmt.Fprintln(w, "# TYPE relayd_deliveries gauge")
	for _, name := range names {
		c := counts[name]
		byState := map[queue.State]int64{queue.StatePending: c.Pending, queue.StateDelivering: c.Delivering,
			queue.StateRetrying: c.Retrying, queue.StateDead: c.Dead, queue.StateDelivered: c.Delivered}
		for _, st := range metricStates {
			fmt.Fprintf(w, "relayd_deliveries{destination=%s,state=\"%s\"} %d\n", label(name), st, byState[st])
		}
	}
	fmt.Fprintln(w, "# HELP relayd_storage_bytes Bytes the queue uses on disk.")
	fmt.Fprintln(w, "# TYPE relayd_storage_bytes gauge")
	fmt.Fprintf(w, "relayd_storage_bytes %d\n", store.Size())
	full := 0
	if errors.Is(store.Writable(), queue.ErrFull) {
		full = 1
	}
	fmt.Fprintln(w, "# HELP relayd_storage_full Whether ingress refuses callbacks (503) because storage.max_disk or storage.min_free is reached (1) or not (0).")
	fmt.Fprintln(w, "# TYPE relayd_storage_full gauge")
	fmt.Fprintf(w, "relayd_storage_full %d\n", full)
	fmt.Fprintln(w, "# HELP relayd_destination_consecutive_failures Failed attempts in a row per configured destination.")
	fmt.Fprintln(w, "# TYPE relayd_destination_consecutive_failures gauge")
	for _, d := range statuses {
		fmt.Fprintf(w, "relayd_destination_consecutive_failures{destination=%s} %d\n", label(d.Name), d.ConsecutiveFailures)
	}
	fmt.Fprintln(w, "# HELP relayd_destination_backing_off Whether a configured destination's breaker is open or probing (1) or closed (0).")
	fmt.Fprintln(w, "# TYPE relayd_destination_backing_off gauge")
	for _, d := range statuses {
		open := 0
		if !d.NextProbeAt.IsZero() {
			open = 1
		}
		fmt.Fprintf(w, "relayd_destination_backing_off{destination=%s} %d\n", label(d.Name), open)
	}
	fmt.Fprintln(w, "# HELP relayd_destination_paused Whether a configured destination is paused (1) or not (0).")
	fmt.Fprintln(w, "# TYPE relayd_destination_paused gauge")
	for _, d := range statuses {
		paused := 0
		if d.State == relay.StatePaused {
			paused = 1
		}
		fmt.Fprintf(w, "relayd_destination_paused{destination=%s} %d\n", label(d.Name), paused)
	}
	writeFailing(w, statuses)
}

// writeFailing reports each destination's dead deliveries in a row and
// whether that has made it failing; failing is counted apart from the
// shown state, which a pause or backing-off takes precedence over.
func writeFailing(w io.Writer, statuses []relay.DestinationStatus) {
	fmt.Fprintln(w, "# HELP relayd_destination_consecutive_dead Deliveries dead in a row per configured destination.")
	fmt.Fprintln(w, "# TYPE relayd_destination_consecutive_dead gauge")
	for _, d := range statuses {
		fmt.Fprintf(w, "relayd_destination_consecutive_dead{destination=%s} %d\n", label(d.Name), d.ConsecutiveDead)
	}
	fmt.Fprintln(w, "# HELP relayd_destination_failing Whether a configured destination is failing (1: breaker.failing_after deliveries dead in a row, none delivered since) or not (0).")
	fmt.Fprintln(w, "# TYPE relayd_destination_failing gauge")
	for _, d := range statuses {
		failing := 0
		if d.Failing {
			failing = 1
		}
		fmt.Fprintf(w, "relayd_destination_failing{destination=%s} %d\n", label(d.Name), failing)
	}
}

// label quotes a label value per the text exposition format.
func label(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v) + `"`
}
