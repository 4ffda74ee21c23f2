package ingress

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/relayd/relayd/daemon/config"
	"github.com/relayd/relayd/daemon/webhooksig"
)

const (
	oldToken   = "old-token-being-rotated-out"
	oldHMACKey = "old-hmac-key"
	oldWhsec   = "whsec_b2xkIHdlYmhvb2sgc2VjcmV0IGJlaW5nIHJvdGF0ZWQ="
)

func rotationConfig() *config.Config {
	return testConfig(
		config.Route{Name: "token", Path: "/t", Auth: &config.Auth{Token: &config.TokenAuth{Header: "X-Token",
			Value: testToken, Values: []string{oldToken}}}, Destinations: []string{"d"}},
		config.Route{Name: "hmac", Path: "/h", Auth: &config.Auth{HMAC: &config.HMACAuth{Header: "X-Signature",
			Secrets: []string{oldHMACKey, testHMACKey}, Prefix: "sha256="}}, Destinations: []string{"d"}},
		config.Route{Name: "webhooks", Path: "/w", Auth: &config.Auth{StandardWebhooks: &config.StandardWebhooks{
			Secret: testWhsec, Secrets: []string{oldWhsec}}}, Destinations: []string{"d"}},
	)
}

// TestSeveralSecrets: during a rotation, a request made with any one of a
// check's configured secrets passes, and one made with none fails.
func TestSeveralSecrets(t *testing.T) {
	ts := startServer(t, rotationConfig(), Options{})
	body := `{"event":"rotated"}`
	now := time.Now()
	swTS := strconv.FormatInt(now.Unix(), 10)
	sw := func(secret, id string) []string {
		sig, err := webhooksig.Sign(secret, id, now, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return []string{"webhook-id", id, "webhook-timestamp", swTS, "webhook-signature", sig}
	}
	other := "whsec_" + base64.StdEncoding.EncodeToString([]byte("a secret nobody configured"))
	cases := []struct {
		name    string
		path    string
		headers []string
		want    int
	}{
		{"token: current value", "/t", []string{"X-Token", testToken}, 202},
		{"token: older value", "/t", []string{"X-Token", oldToken}, 202},
		{"token: neither", "/t", []string{"X-Token", oldToken + testToken}, 401},
		{"hmac: first secret", "/h", []string{"X-Signature", "sha256=" + hexMAC(sha256.New, oldHMACKey, body)}, 202},
		{"hmac: second secret", "/h", []string{"X-Signature", "sha256=" + hexMAC(sha256.New, testHMACKey, body)}, 202},
		{"hmac: neither", "/h", []string{"X-Signature", "sha256=" + hexMAC(sha256.New, "k", body)}, 401},
		{"hmac: longer sum", "/h", []string{"X-Signature", "sha256=" + hexMAC(sha512.New, testHMACKey, body)}, 401},
		{"webhooks: secret", "/w", sw(testWhsec, "msg_a"), 202},
		{"webhooks: older secret", "/w", sw(oldWhsec, "msg_b"), 202},
		{"webhooks: neither", "/w", sw(other, "msg_c"), 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := ts.call(t, http.MethodPost, c.path, jsonCT, []byte(body), c.headers...)
			if c.want == 401 {
				wantError(t, a, 401, "unauthorized")
				return
			}
			wantAccepted(t, a, 202, a.json["route"].(string), []string{"d"}, false)
		})
	}
}

// TestWebhookIDIsTheIdempotencyKey: a Standard Webhooks sender's retry of
// one delivery (same webhook-id) is answered as a duplicate and stored once;
// an idempotency_key set in the config wins over webhook-id.
func TestWebhookIDIsTheIdempotencyKey(t *testing.T) {
	sw := &config.StandardWebhooks{Secret: testWhsec}
	cfg := testConfig(
		config.Route{Name: "webhooks", Path: "/w", Auth: &config.Auth{StandardWebhooks: sw}, Destinations: []string{"d"}},
		config.Route{Name: "keyed", Path: "/k", Auth: &config.Auth{StandardWebhooks: sw}, IdempotencyKey: "json.event_id",
			Destinations: []string{"d"}},
	)
	ts := startServer(t, cfg, Options{})
	send := func(path, id, body string, at time.Time) answer {
		sig, err := webhooksig.Sign(testWhsec, id, at, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return ts.call(t, http.MethodPost, path, jsonCT, []byte(body),
			"webhook-id", id, "webhook-timestamp", strconv.FormatInt(at.Unix(), 10), "webhook-signature", sig)
	}
	now := time.Now()
	first := wantAccepted(t, send("/w", "msg_1", `{"n":1}`, now), 202, "webhooks", []string{"d"}, false)
	// The sender retries a minute later: new timestamp and signature, same id.
	again := wantAccepted(t, send("/w", "msg_1", `{"n":1}`, now.Add(time.Minute)), 200, "webhooks", []string{"d"}, true)
	if again != first {
		t.Errorf("duplicate answered id %s, want the first one's %s", again, first)
	}
	if m := ts.message(t, first); m.IdempotencyKey != "msg_1" {
		t.Errorf("stored idempotency key %q, want the webhook-id msg_1", m.IdempotencyKey)
	}
	wantAccepted(t, send("/w", "msg_2", `{"n":1}`, now), 202, "webhooks", []string{"d"}, false)

	wantAccepted(t, send("/k", "msg_3", `{"event_id":"e1"}`, now), 202, "keyed", []string{"d"}, false)
	wantAccepted(t, send("/k", "msg_4", `{"event_id":"e1"}`, now), 200, "keyed", []string{"d"}, true)
	wantAccepted(t, send("/k", "msg_3", `{"event_id":"e2"}`, now), 202, "keyed", []string{"d"}, false)
	if n := ts.stored(t); n != 4 {
		t.Errorf("%d messages stored, want 4", n)
	}
}
