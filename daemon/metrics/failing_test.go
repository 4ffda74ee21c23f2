package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/relayd/relayd/daemon/admin"
	"github.com/relayd/relayd/daemon/admin/admintest"
	"github.com/relayd/relayd/daemon/metrics"
	"github.com/relayd/relayd/relay"
)

// relayd_destination_failing is 1 once failing_after (default 5) deliveries
// in a row went dead, and 0 again after one is delivered.
func TestMetricsFailing(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	srv := httptest.NewServer(admin.MetricsHandler(e.Store, metrics.New(metrics.Options{Store: e.Store, Relay: e.Relay, Version: "test"}).Handler(), nil))
	defer srv.Close()
	metrics := func() string {
		resp, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	failing := func() bool {
		for _, d := range e.Relay.Destinations() {
			if d.Name == "billing" {
				return d.State == relay.StateFailing
			}
		}
		return false
	}
	e.Sink.SetStatus(http.StatusBadRequest)
	for range 5 {
		e.Enqueue(t, textMessage("billing"))
	}
	admintest.WaitFor(t, "failing", failing)
	body := metrics()
	for _, want := range []string{
		`relayd_destination_failing{destination="billing"} 1` + "\n",
		`relayd_destination_failing{destination="mailer"} 0` + "\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	e.Sink.SetStatus(http.StatusOK)
	e.Enqueue(t, textMessage("billing"))
	admintest.WaitFor(t, "recovered", func() bool { return !failing() })
	if body := metrics(); !strings.Contains(body, `relayd_destination_failing{destination="billing"} 0`+"\n") {
		t.Errorf("still failing after a delivery:\n%s", body)
	}
}
