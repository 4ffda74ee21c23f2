package admin

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/relayd/relayd/daemon/admin/client"
	"github.com/relayd/relayd/relay"
)

func (s *Server) handleReload(w http.ResponseWriter, r *http.Request) {
	if s.opts.Reload == nil {
		writeError(w, http.StatusNotImplemented, "reload is not available")
		return
	}
	res, err := s.opts.Reload(r.Context())
	if err != nil {
		// Reload logged the problems; the operator gets them all.
		writeError(w, http.StatusUnprocessableEntity, "%v", err)
		return
	}
	logDetail(r.Context(), "restart_needed", strings.Join(res.RestartNeeded, ","))
	writeJSON(w, http.StatusOK, res)
}

// tailBuffer is how many events a slow tail client may fall behind before
// it misses some (relay drops rather than slowing delivery).
const tailBuffer = 256

// handleTail streams delivery events as newline-delimited JSON, one flush
// per event, until the client goes away or the server shuts down.
func (s *Server) handleTail(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "streaming not supported")
		return
	}
	events, cancel := s.opts.Relay.Subscribe(tailBuffer)
	defer cancel()
	s.tails.Add(1)
	defer s.tails.Add(-1)
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fl.Flush()
	enc := json.NewEncoder(w)
	c := s.censor()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.stopping:
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			if err := enc.Encode(renderEvent(ev, c)); err != nil {
				return
			}
			fl.Flush()
		}
	}
}

func renderEvent(ev relay.Event, c censor) client.Event {
	return client.Event{
		At:            ev.At.UTC(),
		ID:            ev.MessageID,
		Destination:   ev.Destination,
		Attempt:       ev.Attempt,
		Status:        ev.Status,
		Error:         c.text(ev.Error),
		DurationMS:    ev.Duration.Milliseconds(),
		Result:        ev.Result,
		NextAttemptAt: timePtr(ev.NextAttemptAt),
	}
}
