package admin

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/relayd/relayd/daemon/admin/client"
	"github.com/relayd/relayd/queue"
	"github.com/relayd/relayd/relay"
)

// StateRemoved is shown for a destination that still has deliveries queued
// but is no longer configured.
const StateRemoved = "removed"

// destinationRow is a destination's live state merged with its counts.
type destinationRow struct {
	status relay.DestinationStatus
	counts queue.Counts
}

// destinationRows lists configured destinations in config order, then the
// removed ones that still have deliveries, by name.
func (s *Server) destinationRows() []destinationRow {
	counts := s.opts.Store.Counts()
	var rows []destinationRow
	seen := map[string]bool{}
	for _, d := range s.opts.Relay.Destinations() {
		seen[d.Name] = true
		rows = append(rows, destinationRow{status: d, counts: counts[d.Name]})
	}
	var removed []string
	for name := range counts {
		if !seen[name] {
			removed = append(removed, name)
		}
	}
	sort.Strings(removed)
	for _, name := range removed {
		rows = append(rows, destinationRow{
			status: relay.DestinationStatus{Name: name, State: StateRemoved},
			counts: counts[name],
		})
	}
	return rows
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	st := client.Status{
		Version:      s.opts.Version,
		UptimeS:      int64(time.Since(s.opts.Started).Seconds()),
		StorageBytes: s.opts.Store.Size(),
		Destinations: []client.DestinationCounts{},
	}
	for _, row := range s.destinationRows() {
		st.Destinations = append(st.Destinations, client.DestinationCounts{
			Name:      row.status.Name,
			State:     row.status.State,
			Reason:    row.status.Reason,
			Pending:   row.counts.Pending,
			Retrying:  row.counts.Retrying,
			Dead:      row.counts.Dead,
			Delivered: row.counts.Delivered,
			InFlight:  row.counts.Delivering,

			ConsecutiveFailures: row.status.ConsecutiveFailures,
			NextProbeAt:         timePtr(row.status.NextProbeAt),
		})
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) handleDestinations(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.destinationList())
}

// destinationList is relayctl destinations' view (URLs and errors
// censored), which the status page shows too.
func (s *Server) destinationList() client.DestinationList {
	list := client.DestinationList{Destinations: []client.Destination{}}
	c := s.censor()
	for _, row := range s.destinationRows() {
		list.Destinations = append(list.Destinations, client.Destination{
			Name:                row.status.Name,
			URL:                 c.url(row.status.URL),
			State:               row.status.State,
			Reason:              row.status.Reason,
			Pending:             row.counts.Pending,
			Retrying:            row.counts.Retrying,
			Dead:                row.counts.Dead,
			Delivered:           row.counts.Delivered,
			InFlight:            row.status.InFlight,
			ConsecutiveFailures: row.status.ConsecutiveFailures,
			ConsecutiveDead:     row.status.ConsecutiveDead,
			NextProbeAt:         timePtr(row.status.NextProbeAt),
			LastAttemptAt:       timePtr(row.status.LastAttemptAt),
			LastError:           c.text(row.status.LastError),
		})
	}
	return list
}

func (s *Server) handlePause(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	logDetail(r.Context(), "destination", name)
	if err := s.opts.Relay.Pause(name); err != nil {
		s.destinationError(w, r, "pause", name, err)
		return
	}
	writeJSON(w, http.StatusOK, client.DestinationState{Destination: name, State: relay.StatePaused})
}

func (s *Server) handleResume(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	logDetail(r.Context(), "destination", name)
	if err := s.opts.Relay.Resume(name); err != nil {
		s.destinationError(w, r, "resume", name, err)
		return
	}
	state := relay.StateActive
	for _, d := range s.opts.Relay.Destinations() {
		if d.Name == name && d.State != relay.StatePaused {
			state = d.State
		}
	}
	writeJSON(w, http.StatusOK, client.DestinationState{Destination: name, State: state})
}

func (s *Server) destinationError(w http.ResponseWriter, r *http.Request, what, name string, err error) {
	if errors.Is(err, relay.ErrUnknownDestination) {
		writeError(w, http.StatusNotFound, "%s", s.unknownDestination(name))
		return
	}
	logDetail(r.Context(), "err", err)
	writeError(w, http.StatusInternalServerError, "%s %s: %v", what, name, err)
}

// unknownDestination names the destinations that do exist.
func (s *Server) unknownDestination(name string) string {
	var known []string
	for _, row := range s.destinationRows() {
		known = append(known, row.status.Name)
	}
	if len(known) == 0 {
		return fmt.Sprintf("unknown destination %q (none configured)", name)
	}
	return fmt.Sprintf("unknown destination %q (known: %s)", name, strings.Join(known, ", "))
}

// knownDestination reports whether name is configured or has deliveries.
func (s *Server) knownDestination(name string) bool {
	for _, row := range s.destinationRows() {
		if row.status.Name == name {
			return true
		}
	}
	return false
}
