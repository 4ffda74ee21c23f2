package admin_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/relayd/relayd/daemon/admin"
	"github.com/relayd/relayd/daemon/admin/admintest"
	"github.com/relayd/relayd/daemon/admin/client"
	"github.com/relayd/relayd/queue"
)

// collectTail opens a tail with q and returns the events it sends until
// want have arrived.
func collectTail(t *testing.T, e *admintest.Env, q client.TailQuery, want int) []client.Event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan client.Event, 100)
	go e.Client.TailWith(ctx, q, nil, func(ev client.Event) error { events <- ev; return nil })
	var got []client.Event
	admintest.WaitFor(t, "tail events", func() bool {
		for {
			select {
			case ev := <-events:
				got = append(got, ev)
			default:
				return len(got) >= want
			}
		}
	})
	return got
}

// TestTailBacklogIsFilteredOnTheServer: -n gives the last matching events,
// oldest first, and only what the filters keep crosses the socket.
func TestTailBacklogIsFilteredOnTheServer(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	var billing []string
	for i := range 4 {
		billing = append(billing, e.Enqueue(t, &queue.Message{Body: []byte{'a' + byte(i)}, Destinations: []string{"billing"}}))
		admintest.WaitFor(t, "delivered", func() bool { return e.Counts(t, "billing").Delivered == int64(i+1) })
	}
	e.Enqueue(t, &queue.Message{Route: "other", Body: []byte("m"), Destinations: []string{"mailer"}})
	e.Sink.SetStatus(http.StatusBadRequest)
	dead := e.Enqueue(t, &queue.Message{Body: []byte("d"), Destinations: []string{"billing"}})
	admintest.WaitFor(t, "dead", func() bool { return e.Counts(t, "billing").Dead == 1 })
	admintest.WaitFor(t, "mailer", func() bool { return e.Counts(t, "mailer").Dead == 1 || e.Counts(t, "mailer").Delivered == 1 })

	got := collectTail(t, e, client.TailQuery{Destination: "billing", States: []string{"delivered"}, Last: 2}, 2)
	if len(got) != 2 || got[0].ID != billing[2] || got[1].ID != billing[3] || got[0].Route != "eq-callback" {
		t.Fatalf("last 2 delivered to billing: %+v", got)
	}
	got = collectTail(t, e, client.TailQuery{States: []string{"dead", "retrying"}, Destination: "billing", Last: 10}, 1)
	if len(got) != 1 || got[0].ID != dead || got[0].Result != "dead" {
		t.Fatalf("dead on billing: %+v", got)
	}
	got = collectTail(t, e, client.TailQuery{Route: "other", Last: admin.RecentEvents}, 1)
	if len(got) != 1 || got[0].Destination != "mailer" {
		t.Fatalf("route other: %+v", got)
	}
	for _, q := range []client.TailQuery{{States: []string{"stuck"}}, {Last: admin.RecentEvents + 1}, {Destination: "nowhere"}} {
		err := e.Client.TailWith(context.Background(), q, nil, func(client.Event) error { return nil })
		if !admintest.IsAPIError(err, http.StatusBadRequest) {
			t.Errorf("%+v: %v, want 400", q, err)
		}
	}
}

// TestRecentEventsRingKeepsTheLast: past RecentEvents, the oldest go.
func TestRecentEventsRingKeepsTheLast(t *testing.T) {
	got := admin.RingBacklog(admin.RecentEvents+5, 3)
	if len(got) != 3 || got[0] != admin.RecentEvents+2 || got[2] != admin.RecentEvents+4 {
		t.Fatalf("last 3 of %d: %v", admin.RecentEvents+5, got)
	}
	if got = admin.RingBacklog(admin.RecentEvents+5, admin.RecentEvents); len(got) != admin.RecentEvents || got[0] != 5 {
		t.Fatalf("all kept: %d events from %v", len(got), got[:1])
	}
}
