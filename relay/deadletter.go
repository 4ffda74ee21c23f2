package relay

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/relayd/relayd/queue"
)

// DeadLetterRoute is the route name of a dead-letter event in the queue.
// The ':' keeps it apart from every configured route (config names allow
// letters, digits, '_', '.' and '-' only).
const DeadLetterRoute = "relayd:dead_letter"

// DeadLetterType is the "type" of a dead-letter event.
const DeadLetterType = "relayd.dead_letter"

// DeadLetterEvent is the JSON body announced to a destination's
// dead_letter for each of its deliveries that goes dead. It carries no
// part of the message's body; Error is the attempt's error, which never
// holds a secret (attempt errors are redacted).
type DeadLetterEvent struct {
	Type        string    `json:"type"`
	MessageID   string    `json:"message_id"`
	Destination string    `json:"destination"`
	Route       string    `json:"route"`
	Status      int       `json:"status"` // of the last attempt; 0 when it got no answer
	Error       string    `json:"error"`
	Attempts    int       `json:"attempts"`
	At          time.Time `json:"at"`
}

// deadLetterTimeout bounds the enqueue of one event (the store's writer is
// normally done in milliseconds).
const deadLetterTimeout = 30 * time.Second

// announceDead enqueues the dead-letter event of l, which is about to be
// recorded dead, for the destination's dead_letter. It runs before the
// delivery is recorded dead: a crash in between leaves the delivery due
// again, and its next death enqueues the event again, so at worst an
// event is duplicated, never lost. The idempotency key (message,
// destination, attempt) makes a re-announcement of the same death a
// duplicate the queue drops while the first is retained. A dead-letter
// event's own death is not announced (no recursion, whatever the config).
func (d *destination) announceDead(l *queue.Lease, out queue.Outcome) {
	target := d.cfg.DeadLetter
	if target == "" || l.Message.Route == DeadLetterRoute {
		return
	}
	ev := DeadLetterEvent{
		Type:        DeadLetterType,
		MessageID:   l.Message.ID,
		Destination: d.cfg.Name,
		Route:       l.Message.Route,
		Status:      out.Attempt.Status,
		Error:       out.Attempt.Error,
		Attempts:    l.Attempt,
		At:          out.Attempt.At.UTC(),
	}
	if err := enqueueDeadLetter(d.store, target, l.Message.TracingID, ev); err != nil {
		// The delivery is still recorded dead: it shows in relayctl ls
		// --state dead and this line says the alarm did not go out.
		d.logger.Error("announce dead delivery", "message_id", l.Message.ID, "dead_letter", target, "err", err)
	}
}

func enqueueDeadLetter(store *queue.Store, target, tracingID string, ev DeadLetterEvent) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode dead-letter event: %w", err)
	}
	m := &queue.Message{
		Route:          DeadLetterRoute,
		Method:         "POST",
		Headers:        []queue.Header{{Name: "Content-Type", Value: "application/json"}},
		Body:           body,
		TracingID:      tracingID,
		IdempotencyKey: ev.MessageID + "/" + ev.Destination + "/" + strconv.Itoa(ev.Attempts),
		Destinations:   []string{target},
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadLetterTimeout)
	defer cancel()
	if _, _, err := store.Enqueue(ctx, m); err != nil {
		return fmt.Errorf("enqueue dead-letter event for %s: %w", target, err)
	}
	return nil
}
