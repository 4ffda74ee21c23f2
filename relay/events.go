package relay

import "sync"

// Results shown in an Event.
const (
	ResultDelivered = "delivered"
	ResultRetrying  = "retrying"
	ResultDead      = "dead"
	// A destination's breaker opened (or re-opened after a failed probe):
	// the event has no message; NextAttemptAt is when the probe goes out.
	ResultBreakerOpen = "breaker-open"
	// A destination's breaker closed: a delivery succeeded.
	ResultBreakerClosed = "breaker-closed"
)

// eventHub fans delivery events out to subscribers without ever blocking a
// worker: a subscriber whose buffer is full misses the event.
type eventHub struct {
	mu   sync.Mutex
	next int
	subs map[int]chan Event
}

func (h *eventHub) subscribe(buffer int) (<-chan Event, func()) {
	ch := make(chan Event, max(buffer, 1))
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[int]chan Event{}
	}
	id := h.next
	h.next++
	h.subs[id] = ch
	h.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs, id)
			h.mu.Unlock()
			close(ch)
		})
	}
}

func (h *eventHub) publish(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ch := range h.subs {
		select {
		case ch <- e:
		default: // slow subscriber: dropped
		}
	}
}
