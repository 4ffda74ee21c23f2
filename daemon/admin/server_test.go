package admin_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/relayd/relayd/daemon/admin"
	"github.com/relayd/relayd/daemon/admin/admintest"
	"github.com/relayd/relayd/daemon/admin/client"
	"github.com/relayd/relayd/queue"
)

var bg = context.Background()

func textMessage(dests ...string) *queue.Message {
	return &queue.Message{
		Headers:      []queue.Header{{Name: "Content-Type", Value: "text/plain"}},
		Body:         []byte("hello"),
		Destinations: dests,
	}
}

func TestStatusCountsAndRemovedDestination(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	e.Sink.SetStatus(http.StatusBadRequest) // not retryable: dead at once
	e.Enqueue(t, textMessage("billing"))
	e.Enqueue(t, textMessage("billing"))
	admintest.WaitFor(t, "billing dead 2", func() bool { return e.Counts(t, "billing").Dead == 2 })
	e.Sink.SetStatus(http.StatusOK)
	e.Enqueue(t, textMessage("mailer"))
	admintest.WaitFor(t, "mailer delivered 1", func() bool { return e.Counts(t, "mailer").Delivered == 1 })
	e.Enqueue(t, textMessage("gone")) // queued for a destination no longer configured

	st, err := e.Client.Status(bg)
	if err != nil {
		t.Fatal(err)
	}
	if st.Version != "test" || st.UptimeS < 60 || st.StorageBytes <= 0 {
		t.Fatalf("status header: %+v", st)
	}
	want := []client.DestinationCounts{
		{Name: "billing", State: "active", Dead: 2},
		{Name: "mailer", State: "active", Delivered: 1},
		{Name: "gone", State: admin.StateRemoved, Pending: 1},
	}
	if len(st.Destinations) != len(want) {
		t.Fatalf("destinations: %+v", st.Destinations)
	}
	for i, w := range want {
		if st.Destinations[i] != w {
			t.Errorf("destination %d: got %+v want %+v", i, st.Destinations[i], w)
		}
	}

	l, err := e.Client.Destinations(bg)
	if err != nil {
		t.Fatal(err)
	}
	b := l.Destinations[0]
	if b.Name != "billing" || b.URL != e.Sink.URL+"/billing" || b.Dead != 2 || b.LastAttemptAt == nil {
		t.Fatalf("destinations[0]: %+v", b)
	}
}

func TestPauseHoldsAndResumeDelivers(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	st, err := e.Client.Pause(bg, "billing")
	if err != nil || st.State != "paused" || st.Destination != "billing" {
		t.Fatalf("pause: %+v %v", st, err)
	}
	id := e.Enqueue(t, textMessage("billing"))
	if c := e.Counts(t, "billing"); c.State != "paused" || c.Pending != 1 {
		t.Fatalf("paused counts: %+v", c)
	}
	m, err := e.Client.Message(bg, id)
	if err != nil || m.Deliveries[0].State != "paused" {
		t.Fatalf("show while paused: %+v %v", m, err)
	}
	l, err := e.Client.List(bg, client.ListQuery{State: "paused"})
	if err != nil || len(l.Messages) != 1 || l.Messages[0].ID != id {
		t.Fatalf("ls --state paused: %+v %v", l, err)
	}
	if n := len(e.Sink.Requests()); n != 0 {
		t.Fatalf("paused destination got %d requests", n)
	}
	if st, err = e.Client.Resume(bg, "billing"); err != nil || st.State != "active" {
		t.Fatalf("resume: %+v %v", st, err)
	}
	admintest.WaitFor(t, "delivered after resume", func() bool { return e.Counts(t, "billing").Delivered == 1 })
}

func TestPauseUnknownDestinationNamesKnown(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	for _, call := range []func(context.Context, string) (*client.DestinationState, error){e.Client.Pause, e.Client.Resume} {
		_, err := call(bg, "biling")
		if !admintest.IsAPIError(err, http.StatusNotFound) || !strings.Contains(err.Error(), `"biling"`) ||
			!strings.Contains(err.Error(), "billing, mailer") {
			t.Fatalf("unknown destination: %v", err)
		}
	}
}

func TestListFilters(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	if _, err := e.Client.Pause(bg, "billing"); err != nil { // keep states still
		t.Fatal(err)
	}
	if _, err := e.Client.Pause(bg, "mailer"); err != nil {
		t.Fatal(err)
	}
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	var ids []string
	for i, spec := range []struct{ route, dest string }{
		{"a", "billing"}, {"a", "mailer"}, {"b", "billing"}, {"b", "mailer"}, {"a", "billing"},
	} {
		m := textMessage(spec.dest)
		m.Route, m.ReceivedAt = spec.route, base.Add(time.Duration(i)*time.Minute)
		ids = append(ids, e.Enqueue(t, m))
	}
	tests := []struct {
		name string
		q    client.ListQuery
		want []int // indexes into ids, newest first
	}{
		{"all newest first", client.ListQuery{}, []int{4, 3, 2, 1, 0}},
		{"dest", client.ListQuery{Destination: "mailer"}, []int{3, 1}},
		{"route", client.ListQuery{Route: "a"}, []int{4, 1, 0}},
		{"dest and route", client.ListQuery{Route: "a", Destination: "billing"}, []int{4, 0}},
		{"since", client.ListQuery{Since: base.Add(3 * time.Minute)}, []int{4, 3}},
		{"before", client.ListQuery{Before: base.Add(2 * time.Minute)}, []int{1, 0}},
		{"state pending", client.ListQuery{State: "pending"}, []int{4, 3, 2, 1, 0}},
		{"state dead", client.ListQuery{State: "dead"}, nil},
		{"limit", client.ListQuery{Limit: 2}, []int{4, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := e.Client.List(bg, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range l.Messages {
				got = append(got, m.ID)
			}
			var want []string
			for _, i := range tt.want {
				want = append(want, ids[i])
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("got %v\nwant %v", got, want)
			}
		})
	}
	// Paging: next_before fetches the rest.
	l, _ := e.Client.List(bg, client.ListQuery{Limit: 3})
	if l.NextBefore == nil {
		t.Fatal("no next_before on a full page")
	}
	rest, err := e.Client.List(bg, client.ListQuery{Limit: 3, Before: *l.NextBefore})
	if err != nil || len(rest.Messages) != 2 || rest.Messages[0].ID != ids[1] || rest.NextBefore != nil {
		t.Fatalf("second page: %+v %v", rest, err)
	}
	for _, q := range []client.ListQuery{{State: "bogus"}, {Destination: "nowhere"}, {Limit: 100000}} {
		if _, err := e.Client.List(bg, q); !admintest.IsAPIError(err, http.StatusBadRequest) {
			t.Errorf("list %+v: want 400, got %v", q, err)
		}
	}
}

func TestShowAttemptsAndErrors(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	e.Sink.SetStatus(http.StatusUnprocessableEntity)
	m := textMessage("billing", "mailer")
	m.Query, m.TracingID = "a=1", "trace-1"
	id := e.Enqueue(t, m)
	admintest.WaitFor(t, "both dead", func() bool {
		got, err := e.Client.Message(bg, id)
		return err == nil && got.Deliveries[0].State == "dead" && got.Deliveries[1].State == "dead"
	})
	got, err := e.Client.Message(bg, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != id || got.Route != "eq-callback" || got.Method != "POST" || got.Path != "/eq_callback" ||
		got.Query != "a=1" || got.TracingID != "trace-1" || got.Body == nil || *got.Body != "hello" ||
		got.Headers["Content-Type"] != "text/plain" {
		t.Fatalf("message: %+v", got)
	}
	d := got.Deliveries[0]
	if d.Destination != "billing" || d.AttemptCount != 1 || len(d.Attempts) != 1 || d.NextAttemptAt != nil {
		t.Fatalf("delivery: %+v", d)
	}
	a := d.Attempts[0]
	if a.Status != 422 || a.Response != "Unprocessable Entity" || a.At.IsZero() || a.Error == "" {
		t.Fatalf("attempt: %+v", a)
	}

	unknown := strings.Repeat("z", 32)
	if _, err := e.Client.Message(bg, unknown); !admintest.IsAPIError(err, 404) || err.Error() != "no message "+unknown {
		t.Fatalf("unknown id: %v", err)
	}
	if _, err := e.Client.Message(bg, "short"); !admintest.IsAPIError(err, 400) {
		t.Fatalf("malformed id: %v", err)
	}
}

func TestReplayByIDAndByFilter(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	e.Sink.SetStatus(http.StatusBadRequest)
	a := e.Enqueue(t, textMessage("billing"))
	e.Enqueue(t, textMessage("billing"))
	e.Enqueue(t, textMessage("mailer"))
	admintest.WaitFor(t, "all dead", func() bool {
		return e.Counts(t, "billing").Dead == 2 && e.Counts(t, "mailer").Dead == 1
	})
	e.Sink.SetStatus(http.StatusOK) // downstream fixed

	res, err := e.Client.Replay(bg, client.ReplayRequest{IDs: []string{a}})
	if err != nil || res.Replayed != 1 {
		t.Fatalf("replay id: %+v %v", res, err)
	}
	admintest.WaitFor(t, "replayed id delivered", func() bool { return e.Counts(t, "billing").Delivered == 1 })
	res, err = e.Client.Replay(bg, client.ReplayRequest{Destination: "billing", State: "dead"})
	if err != nil || res.Replayed != 1 {
		t.Fatalf("replay filter: %+v %v", res, err)
	}
	admintest.WaitFor(t, "billing all delivered", func() bool {
		c := e.Counts(t, "billing")
		return c.Delivered == 2 && c.Dead == 0
	})
	if c := e.Counts(t, "mailer"); c.Dead != 1 {
		t.Fatalf("mailer touched by a billing replay: %+v", c)
	}
	future := time.Now().Add(time.Hour)
	if res, err = e.Client.Replay(bg, client.ReplayRequest{State: "dead", Since: &future}); err != nil || res.Replayed != 0 {
		t.Fatalf("replay matching nothing: %+v %v", res, err)
	}

	bad := []struct {
		name string
		req  client.ReplayRequest
		code int
		msg  string
	}{
		{"unknown id", client.ReplayRequest{IDs: []string{strings.Repeat("q", 32)}}, 404, "no message " + strings.Repeat("q", 32)},
		{"malformed id", client.ReplayRequest{IDs: []string{"x"}}, 400, "malformed"},
		{"no state", client.ReplayRequest{Destination: "billing"}, 400, "state"},
		{"ids and filter", client.ReplayRequest{IDs: []string{a}, State: "dead"}, 400, "not both"},
		{"unknown dest", client.ReplayRequest{Destination: "nope", State: "dead"}, 404, "billing, mailer"},
	}
	for _, tt := range bad {
		if _, err := e.Client.Replay(bg, tt.req); !admintest.IsAPIError(err, tt.code) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: got %v, want %d containing %q", tt.name, err, tt.code, tt.msg)
		}
	}
}

func TestPurgeCountsAndNeverPending(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	e.Sink.SetStatus(http.StatusBadRequest)
	dead := e.Enqueue(t, textMessage("billing"))
	admintest.WaitFor(t, "dead", func() bool { return e.Counts(t, "billing").Dead == 1 })
	if _, err := e.Client.Pause(bg, "mailer"); err != nil {
		t.Fatal(err)
	}
	pending := e.Enqueue(t, textMessage("mailer"))

	if _, err := e.Client.Purge(bg, client.PurgeQuery{State: "pending"}); !admintest.IsAPIError(err, 400) {
		t.Fatalf("purge pending: %v", err)
	}
	res, err := e.Client.Purge(bg, client.PurgeQuery{State: "delivered"})
	if err != nil || res.Purged != 0 {
		t.Fatalf("purge delivered: %+v %v", res, err)
	}
	res, err = e.Client.Purge(bg, client.PurgeQuery{State: "dead", Before: time.Now().Add(-time.Hour)})
	if err != nil || res.Purged != 0 {
		t.Fatalf("purge dead before an hour ago: %+v %v", res, err)
	}
	res, err = e.Client.Purge(bg, client.PurgeQuery{State: "dead", Destination: "billing"})
	if err != nil || res.Purged != 1 {
		t.Fatalf("purge dead: %+v %v", res, err)
	}
	if _, err := e.Client.Message(bg, dead); !admintest.IsAPIError(err, 404) {
		t.Fatalf("purged message still shown: %v", err)
	}
	if _, err := e.Client.Message(bg, pending); err != nil {
		t.Fatalf("pending message lost by purge: %v", err)
	}
}

func TestReloadOKAndRefused(t *testing.T) {
	var refuse error
	e := admintest.Start(t, admintest.Options{Reload: func(context.Context) (client.ReloadResult, error) { return client.ReloadResult{}, refuse }})
	if _, err := e.Client.Reload(bg); err != nil {
		t.Fatalf("reload ok: %v", err)
	}
	refuse = errors.New("reload refused, running config kept: routes[0].destinations[0]: unknown destination \"nowhere\"")
	_, err := e.Client.Reload(bg)
	if !admintest.IsAPIError(err, http.StatusUnprocessableEntity) || err.Error() != refuse.Error() {
		t.Fatalf("reload refused: %v", err)
	}
}

func TestTailStreamsEvents(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	events := make(chan client.Event, 10)
	done := make(chan error, 1)
	go func() {
		done <- e.Client.Tail(ctx, func(ev client.Event) error { events <- ev; return nil })
	}()
	admintest.WaitFor(t, "tail subscribed", func() bool { return admin.TailStreams(e.Server) == 1 })
	id := e.Enqueue(t, textMessage("billing"))
	select {
	case ev := <-events:
		if ev.ID != id || ev.Destination != "billing" || ev.Result != "delivered" || ev.Status != 200 || ev.Attempt != 1 {
			t.Fatalf("event: %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no tail event")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("tail after cancel: %v", err)
	}
	admintest.WaitFor(t, "tail stream closed", func() bool { return admin.TailStreams(e.Server) == 0 })
}

// An open tail must not hold up the daemon's shutdown (systemd would kill
// it at TimeoutStopSec): Shutdown ends the stream at once, and the client
// says why it ended.
func TestShutdownEndsTailStreams(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	done := make(chan error, 1)
	go func() {
		done <- e.Client.Tail(bg, func(client.Event) error { return nil })
	}()
	admintest.WaitFor(t, "tail subscribed", func() bool { return admin.TailStreams(e.Server) == 1 })
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	if err := e.Server.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown with a tail open: %v", err)
	}
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "relayd closed the tail stream") {
			t.Fatalf("tail ended with %v", err)
		}
	case <-ctx.Done():
		t.Fatal("tail still open after shutdown")
	}
	if n := admin.TailStreams(e.Server); n != 0 {
		t.Fatalf("%d tail streams after shutdown", n)
	}
}

func TestUnreachableSocket(t *testing.T) {
	c := client.New("/nonexistent/relayd/admin.sock")
	_, err := c.Status(bg)
	var ue *client.UnreachableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "/nonexistent/relayd/admin.sock") ||
		!strings.Contains(err.Error(), "relayd running") {
		t.Fatalf("err = %v", err)
	}
}
