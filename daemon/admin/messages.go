package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/relayd/relayd/daemon/admin/client"
	"github.com/relayd/relayd/queue"
)

const (
	defaultLimit = 100
	maxLimit     = 10000
	// maxKeyLen bounds a key asked for: a URL that long is a mistake, and
	// any key longer than 256 bytes is indexed by its hash anyway.
	maxKeyLen = 64 << 10
)

// filterFromQuery reads dest, state, route, key, since, before and limit.
func (s *Server) filterFromQuery(q url.Values) (queue.Filter, error) {
	f := queue.Filter{
		Destination: q.Get("dest"),
		State:       queue.State(q.Get("state")),
		Route:       q.Get("route"),
		Key:         q.Get("key"),
		Limit:       defaultLimit,
	}
	if len(f.Key) > maxKeyLen {
		return f, fmt.Errorf("key of %d bytes: at most %d", len(f.Key), maxKeyLen)
	}
	if f.State != "" && !client.ValidState(string(f.State)) {
		return f, fmt.Errorf("unknown state %q (want one of %s)", f.State, strings.Join(client.States, ", "))
	}
	if f.Destination != "" && !s.knownDestination(f.Destination) {
		return f, errors.New(s.unknownDestination(f.Destination))
	}
	var err error
	if f.Since, err = parseWireTime("since", q.Get("since")); err != nil {
		return f, err
	}
	if f.Before, err = parseWireTime("before", q.Get("before")); err != nil {
		return f, err
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxLimit {
			return f, fmt.Errorf("limit %q: want a number from 1 to %d", l, maxLimit)
		}
		f.Limit = n
	}
	return f, nil
}

func parseWireTime(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: want an RFC 3339 time", name, v)
	}
	return t, nil
}

func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	f, err := s.filterFromQuery(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	paused := s.opts.Store.Paused()
	var sums []queue.Summary
	if f.State == queue.StatePaused {
		sums, err = s.listPaused(f, paused)
	} else {
		sums, err = s.opts.Store.List(f)
	}
	if err != nil {
		s.logger.Error("list messages", "err", err)
		writeError(w, http.StatusInternalServerError, "list messages: %v", err)
		return
	}
	out := client.MessageList{Messages: make([]client.MessageSummary, 0, len(sums))}
	for _, sum := range sums {
		out.Messages = append(out.Messages, renderSummary(sum, paused))
	}
	if len(sums) == f.Limit && len(sums) > 0 {
		out.NextBefore = timePtr(sums[len(sums)-1].Message.ReceivedAt)
	}
	writeJSON(w, http.StatusOK, out)
}

// listPaused pages through the store for messages with a delivery shown
// as paused: "paused" is not stored, it is pending or retrying of a paused
// destination.
func (s *Server) listPaused(f queue.Filter, paused map[string]bool) ([]queue.Summary, error) {
	var out []queue.Summary
	page := f
	page.State = ""
	for len(out) < f.Limit {
		sums, err := s.opts.Store.List(page)
		if err != nil {
			return nil, err
		}
		for _, sum := range sums {
			if hasPaused(sum, f.Destination, paused) && len(out) < f.Limit {
				out = append(out, sum)
			}
		}
		if len(sums) < page.Limit {
			break
		}
		page.Before = sums[len(sums)-1].Message.ReceivedAt
	}
	return out, nil
}

func hasPaused(sum queue.Summary, dest string, paused map[string]bool) bool {
	for _, d := range sum.Deliveries {
		if (dest == "" || d.Destination == dest) && shownState(d, paused) == string(queue.StatePaused) {
			return true
		}
	}
	return false
}

func (s *Server) handleShow(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !client.ValidID(id) {
		writeError(w, http.StatusBadRequest, "malformed message id %q: want 32 characters a-z0-9", id)
		return
	}
	m, err := s.message(id)
	if errors.Is(err, queue.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no message %s", id)
		return
	}
	if err != nil {
		s.logger.Error("read message", "id", id, "err", err)
		writeError(w, http.StatusInternalServerError, "read message %s: %v", id, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (s *Server) handleReplay(w http.ResponseWriter, r *http.Request) {
	var req client.ReplayRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "replay request: %v", err)
		return
	}
	f, status, err := s.replayFilter(req)
	if err != nil {
		writeError(w, status, "%v", err)
		return
	}
	if req.DryRun {
		p, err := s.opts.Store.ReplayPreview(f, dryRunSamples)
		if err != nil {
			s.logger.Error("replay dry run", "err", err)
			writeError(w, http.StatusInternalServerError, "replay dry run: %v", err)
			return
		}
		logDetail(r.Context(), "dry_run", true, "deliveries", p.Count, "ids", len(req.IDs),
			"destination", req.Destination, "state", req.State)
		writeJSON(w, http.StatusOK, client.ReplayResult{Replayed: p.Count, DryRun: true, Sample: p.Sample})
		return
	}
	n, err := s.opts.Store.Replay(f, time.Now())
	if err != nil {
		logDetail(r.Context(), "err", err)
		writeError(w, http.StatusInternalServerError, "replay: %v", err)
		return
	}
	logDetail(r.Context(), "deliveries", n, "ids", len(req.IDs),
		"destination", req.Destination, "state", req.State)
	writeJSON(w, http.StatusOK, client.ReplayResult{Replayed: n})
}

// dryRunSamples is how many message ids a dry run names: enough to check
// a few with relayctl show, few enough for one screen.
const dryRunSamples = 10

// replayFilter checks a replay request: ids that all exist, or a filter
// naming a state.
func (s *Server) replayFilter(req client.ReplayRequest) (queue.Filter, int, error) {
	if len(req.IDs) > 0 {
		if req.Destination != "" || req.State != "" || req.Since != nil || req.Before != nil {
			return queue.Filter{}, http.StatusBadRequest, errors.New("replay takes ids or a filter, not both")
		}
		for _, id := range req.IDs {
			if !client.ValidID(id) {
				return queue.Filter{}, http.StatusBadRequest, fmt.Errorf("malformed message id %q: want 32 characters a-z0-9", id)
			}
			if _, _, err := s.opts.Store.Get(id); errors.Is(err, queue.ErrNotFound) {
				return queue.Filter{}, http.StatusNotFound, fmt.Errorf("no message %s", id)
			} else if err != nil {
				return queue.Filter{}, http.StatusInternalServerError, fmt.Errorf("read message %s: %w", id, err)
			}
		}
		return queue.Filter{IDs: req.IDs}, 0, nil
	}
	switch queue.State(req.State) {
	case queue.StateDead, queue.StateDelivered, queue.StateRetrying, queue.StatePending:
	case "":
		return queue.Filter{}, http.StatusBadRequest, errors.New("replay needs message ids, or a --state (dead, delivered, retrying or pending)")
	default:
		return queue.Filter{}, http.StatusBadRequest, fmt.Errorf("cannot replay state %q (want dead, delivered, retrying or pending)", req.State)
	}
	if req.Destination != "" && !s.knownDestination(req.Destination) {
		return queue.Filter{}, http.StatusNotFound, errors.New(s.unknownDestination(req.Destination))
	}
	f := queue.Filter{Destination: req.Destination, State: queue.State(req.State)}
	if req.Since != nil {
		f.Since = *req.Since
	}
	if req.Before != nil {
		f.Before = *req.Before
	}
	return f, 0, nil
}

func (s *Server) handlePurge(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state := queue.State(q.Get("state"))
	if state != queue.StateDead && state != queue.StateDelivered {
		writeError(w, http.StatusBadRequest, "purge deletes only --state dead or delivered, not %q", state)
		return
	}
	f := queue.Filter{State: state, Destination: q.Get("dest")}
	if f.Destination != "" && !s.knownDestination(f.Destination) {
		writeError(w, http.StatusNotFound, "%s", s.unknownDestination(f.Destination))
		return
	}
	var err error
	if f.Before, err = parseWireTime("before", q.Get("before")); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if dry, _ := strconv.ParseBool(q.Get("dry_run")); dry {
		p, err := s.opts.Store.PurgePreview(f, dryRunSamples)
		if err != nil {
			s.logger.Error("purge dry run", "err", err)
			writeError(w, http.StatusInternalServerError, "purge dry run: %v", err)
			return
		}
		logDetail(r.Context(), "dry_run", true, "deliveries", p.Count, "state", state, "destination", f.Destination)
		writeJSON(w, http.StatusOK, client.PurgeResult{Purged: p.Count, DryRun: true, Sample: p.Sample})
		return
	}
	n, err := s.opts.Store.Purge(f)
	if err != nil {
		logDetail(r.Context(), "err", err)
		writeError(w, http.StatusInternalServerError, "purge: %v", err)
		return
	}
	logDetail(r.Context(), "deliveries", n, "state", state, "destination", f.Destination)
	writeJSON(w, http.StatusOK, client.PurgeResult{Purged: n})
}
