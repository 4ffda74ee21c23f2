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
	waitFor(t, "the delivery in /metrics", func() bool {
		code, body := get("/metrics")
		return code == 200 && strings.Contains(body, `relayd_deliveries{destination="billing",state="delivered"} 1`)
	})
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := get(path); code != 200 {
			t.Errorf("%s: %d %s", path, code, body)
		}
	}
}
