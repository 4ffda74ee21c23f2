package admin

import (
	"fmt"
	"io"
	"net/http"

	"github.com/relayd/relayd/queue"
)

// MetricsHandler serves admin.metrics_listen: /metrics (the exposition
// handler the daemon wires: daemon/metrics), /healthz and /readyz (200
// while the queue accepts writes, else 503). "/" is left for the status
// page.
func MetricsHandler(store *queue.Store, metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
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
