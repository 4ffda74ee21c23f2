package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/relayd/relayd/daemon/admin/admintest"
	"github.com/relayd/relayd/queue"
)

// TestTailBacklogJSONGolden: tail --json -n prints recent events first, one
// JSON document per line, in the shape of testdata/tail_event.golden.
func TestTailBacklogJSONGolden(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	deadMessage(t, e)
	e.Sink.SetStatus(http.StatusOK)
	id := e.Enqueue(t, &queue.Message{Body: []byte("x"), Destinations: []string{"mailer"}})
	admintest.WaitFor(t, "delivered", func() bool { return e.Counts(t, "mailer").Delivered == 1 })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"relayctl", "--socket", e.Socket, "--json", "tail", "-n", "1", "--state", "dead"}, &out, &errb)
	}()
	admintest.WaitFor(t, "the backlog", func() bool { return strings.Contains(out.String(), "\n") })
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("tail exit %d: %s", c, errb.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("tail did not stop")
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 1 || strings.Contains(lines[0], id) {
		t.Fatalf("want only the dead event: %q", out.String())
	}
	golden(t, "tail_event", regexp.MustCompile(`"duration_ms":\d+`).ReplaceAllString(lines[0], `"duration_ms":0`))
}
