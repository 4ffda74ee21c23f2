package metrics_test

import (
	"context"
	"github.com/relayd/relayd/queue"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/relayd/relayd/daemon/admin"
	"github.com/relayd/relayd/daemon/admin/admintest"
	"github.com/relayd/relayd/daemon/metrics"
)

func TestMetricsAndHealth(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	e.Sink.SetStatus(http.StatusBadRequest)
	e.Enqueue(t, textMessage("billing"))
	admintest.WaitFor(t, "dead", func() bool { return e.Counts(t, "billing").Dead == 1 })
	if _, err := e.Client.Pause(bg, "mailer"); err != nil {
		t.Fatal(err)
	}
	e.Enqueue(t, textMessage("mailer"))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: admin.MetricsHandler(e.Store, metrics.New(metrics.Options{Store: e.Store, Relay: e.Relay, Version: "test"}).Handler(), nil)}
	go srv.Serve(ln)
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + ln.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("/metrics")
	for _, want := range []string{
		"# TYPE relayd_queue_deliveries gauge\n",
		`relayd_queue_deliveries{destination="billing",state="dead"} 1` + "\n",
		`relayd_queue_deliveries{destination="billing",state="pending"} 0` + "\n",
		`relayd_queue_deliveries{destination="mailer",state="pending"} 1` + "\n",
		`relayd_destination_paused{destination="mailer"} 1` + "\n",
		`relayd_destination_breaker_open{destination="billing"} 0` + "\n",
		`relayd_queue_oldest_pending_age_seconds{destination="billing"} 0` + "\n",
		"relayd_healthy 1\n",
		"relayd_storage_bytes ",
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("metrics (%d) lack %q:\n%s", code, want, body)
		}
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, body := get(p); code != 200 || body != "ok\n" {
			t.Errorf("%s: %d %q", p, code, body)
		}
	}
	e.Store.Close() // a closed queue is not writable
	if code, _ := get("/healthz"); code != http.StatusServiceUnavailable {
		t.Errorf("healthz on a closed queue: %d", code)
	}
}

var bg = context.Background()

func textMessage(dests ...string) *queue.Message {
	return &queue.Message{
		Headers:      []queue.Header{{Name: "Content-Type", Value: "text/plain"}},
		Body:         []byte("hello"),
		Destinations: dests,
	}
}
