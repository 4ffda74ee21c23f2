package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestMetricsListener(t *testing.T) {
	sk := startSink(t, "127.0.0.1:0")
	metrics := reservePort(t)
	r := newRelayd(t, eqCallbackConfig(sk.addr)+"\nadmin:\n  socket: {{socket}}\n  metrics_listen: "+metrics+"\n")
	r.start()
	r.accept("/eq_callback", "text/plain", "counted")
	waitFor(t, "delivery", func() bool { return len(sk.requests()) == 1 })

	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + metrics + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// A counter, with the route's and destination's series (the names
	// docs/METRICS.md lists, which the shipped alerts use).
	var body string
	waitFor(t, "the delivery in /metrics", func() bool {
		var code int
		code, body = get("/metrics")
		return code == 200 && strings.Contains(body, `relayd_delivery_attempts_total{destination="billing",outcome="delivered"} 1`+"\n")
	})
	for _, want := range []string{
		`relayd_ingress_requests_total{code="202",route="eq-callback"} 1` + "\n",
		`relayd_queue_deliveries{destination="billing",state="delivered"} 1` + "\n",
		`relayd_ingress_accept_duration_seconds_count 1` + "\n",
		`relayd_build_info{goversion="go`,
		"relayd_healthy 1\n",
		"process_resident_memory_bytes ",
		"go_goroutines ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := get(path); code != 200 {
			t.Errorf("%s: %d %s", path, code, body)
		}
	}
}
