package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/relayd/relayd/daemon/admin/client"
	"github.com/relayd/relayd/relay"
)

// RecentEvents is how many delivery events the admin server keeps in
// memory for tail -n: the last minutes of a busy relayd, a few KiB each.
const RecentEvents = 1000

// tailBuffer is how many events a slow tail client may fall behind before
// it misses some (relay drops rather than slowing delivery).
const tailBuffer = 256

// eventResults are the results an event can show: tail --state names them.
var eventResults = []string{relay.ResultDelivered, relay.ResultRetrying, relay.ResultDead,
	relay.ResultBreakerOpen, relay.ResultBreakerClosed}

// recentEvents keeps the last RecentEvents delivery events and fans each
// new one out to the tail streams. A stream takes its backlog and
// subscribes under one lock, so it neither misses nor repeats an event.
type recentEvents struct {
	mu   sync.Mutex
	ring []relay.Event // oldest first once full: ring[next:] then ring[:next]
	next int
	full bool
	subs map[chan relay.Event]bool
}

func newRecentEvents() *recentEvents {
	return &recentEvents{ring: make([]relay.Event, RecentEvents), subs: map[chan relay.Event]bool{}}
}

// run records events until the channel is closed (the relay subscription
// cancelled at Shutdown).
func (re *recentEvents) run(events <-chan relay.Event) {
	for ev := range events {
		re.mu.Lock()
		re.ring[re.next] = ev
		re.next = (re.next + 1) % len(re.ring)
		re.full = re.full || re.next == 0
		for ch := range re.subs {
			select {
			case ch <- ev:
			default: // slow tail client: it misses this one
			}
		}
		re.mu.Unlock()
	}
}

// subscribe returns the last n events that f keeps, oldest first, and a
// channel of every event after them.
func (re *recentEvents) subscribe(f tailFilter, n int) ([]relay.Event, chan relay.Event, func()) {
	ch := make(chan relay.Event, tailBuffer)
	re.mu.Lock()
	defer re.mu.Unlock()
	var backlog []relay.Event
	for i := 0; len(backlog) < n && i < re.len(); i++ {
		ev := re.ring[(re.next-1-i+len(re.ring))%len(re.ring)]
		if f.keeps(ev) {
			backlog = append(backlog, ev)
		}
	}
	slices.Reverse(backlog)
	re.subs[ch] = true
	return backlog, ch, func() {
		re.mu.Lock()
		delete(re.subs, ch)
		re.mu.Unlock()
	}
}

func (re *recentEvents) len() int {
	if re.full {
		return len(re.ring)
	}
	return re.next
}

// tailFilter selects the events a tail stream shows; empty fields keep all.
type tailFilter struct {
	dest, route string
	results     []string
}

func (f tailFilter) keeps(ev relay.Event) bool {
	return (f.dest == "" || ev.Destination == f.dest) &&
		(f.route == "" || ev.Route == f.route) &&
		(len(f.results) == 0 || slices.Contains(f.results, ev.Result))
}

// tailQuery reads dest, route, state (results, comma-separated) and n.
func (s *Server) tailQuery(q url.Values) (tailFilter, int, error) {
	f := tailFilter{dest: q.Get("dest"), route: q.Get("route")}
	if f.dest != "" && !s.knownDestination(f.dest) {
		return f, 0, fmt.Errorf("%s", s.unknownDestination(f.dest))
	}
	if st := q.Get("state"); st != "" {
		for _, r := range strings.Split(st, ",") {
			if !slices.Contains(eventResults, r) {
				return f, 0, fmt.Errorf("tail state %q: an event shows one of %s", r, strings.Join(eventResults, ", "))
			}
			f.results = append(f.results, r)
		}
	}
	n := 0
	if v := q.Get("n"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 0 || n > RecentEvents {
			return f, 0, fmt.Errorf("n %q: want 0 to %d (relayd keeps the last %d events)", v, RecentEvents, RecentEvents)
		}
	}
	return f, n, nil
}

// handleTail streams delivery events as newline-delimited JSON, one flush
// per event: first the last n that match, then each new one, until the
// client goes away or the server shuts down. Filters apply here, so the
// socket carries only what the client shows.
func (s *Server) handleTail(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "streaming not supported")
		return
	}
	f, n, err := s.tailQuery(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	backlog, events, cancel := s.recent.subscribe(f, n)
	defer cancel()
	s.tails.Add(1)
	defer s.tails.Add(-1)
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	c := s.censor()
	for _, ev := range backlog {
		if enc.Encode(renderEvent(ev, c)) != nil {
			return
		}
	}
	fl.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.stopping:
			return
		case ev := <-events:
			if !f.keeps(ev) {
				continue
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
		Route:         ev.Route,
		Destination:   ev.Destination,
		Attempt:       ev.Attempt,
		Status:        ev.Status,
		Error:         c.text(ev.Error),
		DurationMS:    ev.Duration.Milliseconds(),
		Result:        ev.Result,
		NextAttemptAt: timePtr(ev.NextAttemptAt),
	}
}
