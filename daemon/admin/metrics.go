package admin

import (
	"fmt"
	"io"
	"net/http"

	"github.com/relayd/relayd/queue"
)

// MetricsHandler serves admin.metrics_listen: /metrics (the exposition
// handler the daemon wires: daemon/metrics), /healthz and /readyz (200
// while the queue accepts writes, else 503), and page (the status page,
// Server.StatusPage) at "/" exactly; nil leaves "/" unserved.
func MetricsHandler(store *queue.Store, metrics, page http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	if page != nil {
		mux.Handle("GET /{$}", page)
	}
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
