package relay

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/relayd/relayd/queue"
)

// A delivery that goes dead is announced to the destination's dead_letter
// as a JSON event with the fields of the contract, and no part of the body.
func TestDeadDeliveryAnnounced(t *testing.T) {
	t.Parallel()
	billing := newSink(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(400) })
	dlq := newSink(t, nil)
	store := openStore(t, "")
	dest := testDest("billing", billing.URL)
	dest.DeadLetter = "dlq"
	startRelay(t, store, dest, testDest("dlq", dlq.URL))
	id := enqueueTo(t, store, "billing")
	dead := waitState(t, store, id, "billing", queue.StateDead)
	waitFor(t, "the dead-letter event", func() bool { return dlq.count() == 1 })

	req := dlq.got()[0]
	if ct := req.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var fields map[string]any
	if err := json.Unmarshal(req.Body, &fields); err != nil {
		t.Fatalf("event %s: %v", req.Body, err)
	}
	want := map[string]any{
		"type": "relayd.dead_letter", "message_id": id, "destination": "billing", "route": "eq-callback",
		"status": float64(400), "error": dead.Attempts[0].Error, "attempts": float64(1),
	}
	for k, v := range want {
		if fields[k] != v {
			t.Errorf("%s = %v, want %v (event %s)", k, fields[k], v, req.Body)
		}
	}
	at, err := time.Parse(time.RFC3339, fields["at"].(string))
	if err != nil || !at.Equal(dead.Attempts[0].At) {
		t.Errorf("at %v (%v), want the attempt's %v", fields["at"], err, dead.Attempts[0].At)
	}
	if len(fields) != len(want)+1 {
		t.Errorf("event has fields beyond the contract: %s", req.Body)
	}
}

// The death of a dead-letter event is not announced, even when the
// dead-letter destination has a dead_letter of its own (config forbids it;
// relay does not rely on that).
func TestDeadLetterDoesNotRecurse(t *testing.T) {
	t.Parallel()
	refuse := func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(400) }
	billing, dlq := newSink(t, refuse), newSink(t, refuse)
	store := openStore(t, "")
	b, d := testDest("billing", billing.URL), testDest("dlq", dlq.URL)
	b.DeadLetter, d.DeadLetter = "dlq", "billing"
	r := startRelay(t, store, b, d)
	id := enqueueTo(t, store, "billing")
	waitState(t, store, id, "billing", queue.StateDead)
	waitFor(t, "the event's death counted", func() bool { return statusOf(r, "dlq").ConsecutiveDead == 1 })

	all, err := store.List(queue.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || billing.count() != 1 || dlq.count() != 1 {
		t.Fatalf("%d messages stored, billing got %d, dlq %d; want 2, 1, 1", len(all), billing.count(), dlq.count())
	}
	events, _ := store.List(queue.Filter{Route: DeadLetterRoute})
	if len(events) != 1 || events[0].Deliveries[0].Destination != "dlq" {
		t.Fatalf("dead-letter messages: %+v", events)
	}
}
