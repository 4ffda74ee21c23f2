package ingress

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/relayd/relayd/daemon/config"
)

// TestLoadedConfig serves a config file as the daemon loads it (defaults
// applied) with the three kinds of sender from SPEC.md.
func TestLoadedConfig(t *testing.T) {
	data, err := os.ReadFile("testdata/relayd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(data, "testdata/relayd.yaml")
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	ts := startServer(t, cfg, Options{})

	eq := "action=reinstall&key=0123456789abcdefghij0123456789ab&status=%7B%22ip%22%3A%2210.0.0.1%22%7D&stage=done&id=12345"
	id := wantAccepted(t, ts.call(t, http.MethodPost, "/eq_callback", formCT, []byte(eq)), 202, "eq-callback", []string{"billing", "mailer"}, false)
	dup := wantAccepted(t, ts.call(t, http.MethodPost, "/eq_callback", formCT, []byte(eq)), 200, "eq-callback", []string{"billing", "mailer"}, true)
	if dup != id {
		t.Errorf("duplicate id %s, want %s", dup, id)
	}

	solus := "/solusvm?serverId=42&serverIps=10.0.0.5&crStatus=active&userEmail=a%40b.c&secret="
	wantError(t, ts.call(t, http.MethodPost, solus+"wrong", "", nil), 401, "unauthorized")
	id = wantAccepted(t, ts.call(t, http.MethodPost, solus+"solus-secret", "", nil), 202, "solusvm", []string{"whmcs"}, false)
	if m := ts.message(t, id); !strings.Contains(m.Query, "serverIps=10.0.0.5") {
		t.Errorf("query %q", m.Query)
	}

	broker := `{"service_instance_guid":"35307a08-a377-11e7-abc4-cec278b6b50a","status":"CREATE_FAILED","tracing_id":"12345678","nodes":[]}`
	id = wantAccepted(t, ts.call(t, http.MethodPost, "/broker/callback", jsonCT, []byte(broker)), 202, "anynines", []string{"platform"}, false)
	if m := ts.message(t, id); m.OrderingKey != "35307a08-a377-11e7-abc4-cec278b6b50a" || m.TracingID != "12345678" {
		t.Errorf("ordering %q tracing %q", m.OrderingKey, m.TracingID)
	}
	wantError(t, ts.call(t, http.MethodPost, "/broker/callback", jsonCT, []byte(strings.Repeat(" ", 1025))), 413, "too_large")
	wantError(t, ts.call(t, http.MethodGet, "/_relay/messages/"+id, "", nil), 401, "unauthorized")
}
