package admin_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/relayd/relayd/daemon/admin"
	"github.com/relayd/relayd/daemon/admin/admintest"
	"github.com/relayd/relayd/daemon/admin/client"
	"github.com/relayd/relayd/queue"
	"github.com/relayd/relayd/relay"
)

func TestShowCensorsRenderedCopyOnly(t *testing.T) {
	e := admintest.Start(t, admintest.Options{Censor: admin.CensorRules{Fields: []string{"card"}}})
	if _, err := e.Client.Pause(bg, "billing"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, contentType, query, body string
		hidden                         []string
		kept                           []string
	}{
		{"json nested", "application/json", "",
			`{"service_instance_guid":"g","credentials":{"api_token":"tok-123","user":"u"},"nodes":[{"Card_No":"4111"}]}`,
			[]string{"tok-123", "4111"}, []string{`"user":"u"`, `"service_instance_guid":"g"`}},
		{"form", "application/x-www-form-urlencoded", "",
			"action=reinstall&key=abc&password=hunter2&status=deploy_done",
			[]string{"hunter2"}, []string{"action=reinstall&key=abc&password=censored&status=deploy_done"}},
		{"query", "text/plain", "serverId=7&secret=s3cr3t-q&userEmail=a%40b", "plain password=stays",
			[]string{"s3cr3t-q"}, []string{"serverId=7&secret=censored&userEmail=a%40b", "plain password=stays"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := e.Enqueue(t, &queue.Message{
				Query: tt.query, Body: []byte(tt.body), Destinations: []string{"billing"},
				Headers: []queue.Header{
					{Name: "Content-Type", Value: tt.contentType},
					{Name: "Authorization", Value: "Bearer hdr-secret"},
					{Name: "X-Trace", Value: "t1"},
				},
			})
			m, err := e.Client.Message(bg, id)
			if err != nil {
				t.Fatal(err)
			}
			js, code := e.Server.MessageJSON(id)
			var viaStatus client.Message
			if err := json.Unmarshal(js, &viaStatus); code != http.StatusOK || err != nil || !reflect.DeepEqual(&viaStatus, m) {
				t.Fatalf("MessageJSON %d differs from show (%v):\n%s\n%+v", code, err, js, m)
			}
			shown := *m.Body + " " + m.Query + " " + fmt.Sprint(m.Headers)
			for _, h := range append(tt.hidden, "hdr-secret") {
				if strings.Contains(string(shown), h) {
					t.Errorf("%q shown: %s", h, shown)
				}
			}
			for _, k := range tt.kept {
				if !strings.Contains(string(shown), k) {
					t.Errorf("%q missing: %s", k, shown)
				}
			}
			if m.Headers["Authorization"] != "censored" || m.Headers["X-Trace"] != "t1" {
				t.Errorf("headers: %v", m.Headers)
			}
			stored, _, err := e.Store.Get(id)
			if err != nil || string(stored.Body) != tt.body || stored.Query != tt.query {
				t.Fatalf("stored copy altered: %q %q %v", stored.Body, stored.Query, err)
			}
		})
	}
}

func TestMessageJSONNotFound(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	for _, id := range []string{strings.Repeat("a", 32), "../etc"} {
		b, code := e.Server.MessageJSON(id)
		want := `{"result":"ERROR","error":"not_found","error_message":"no message ` + id + `"}`
		if code != http.StatusNotFound || string(b) != want {
			t.Errorf("MessageJSON(%q) = %d %s", id, code, b)
		}
	}
}

func TestShowBinaryBodyAsBase64(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	if _, err := e.Client.Pause(bg, "billing"); err != nil {
		t.Fatal(err)
	}
	id := e.Enqueue(t, &queue.Message{Body: []byte{0xff, 0x00, 0xfe}, Destinations: []string{"billing"}})
	m, err := e.Client.Message(bg, id)
	if err != nil || m.Body != nil || m.BodyBase64 != "/wD+" {
		t.Fatalf("binary body: %+v %v", m, err)
	}
	var raw map[string]any
	js, _ := e.Server.MessageJSON(id)
	json.Unmarshal(js, &raw)
	if _, ok := raw["body"]; ok {
		t.Fatalf("binary body also as text: %s", js)
	}
}

// A downstream's answer, kept in the attempt, may carry tokens as well.
func TestShowCensorsAttemptResponses(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	id := e.Enqueue(t, &queue.Message{Body: []byte(`{}`), Destinations: []string{"unrouted"}})
	ls, err := e.Store.Lease("unrouted", time.Now(), 1)
	if err != nil || len(ls) != 1 {
		t.Fatalf("lease: %d, %v", len(ls), err)
	}
	answer := `{"result":"error","session":{"api_token":"tok-777"},"message":"quota"}`
	err = e.Store.Complete(ls[0], queue.Outcome{Result: queue.Dead,
		Attempt: queue.Attempt{At: time.Now(), Status: 422, Error: "422", Response: []byte(answer)}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.Client.Message(bg, id)
	if err != nil {
		t.Fatal(err)
	}
	got := m.Deliveries[0].Attempts[0].Response
	if strings.Contains(got, "tok-777") || !strings.Contains(got, `"message":"quota"`) {
		t.Fatalf("attempt response shown as %s", got)
	}
}

// Every configured secret value, wherever it shows up in a message, and
// every name a route's auth reads, are censored in show and in the status
// endpoint's JSON.
func TestShowCensorsSecretsAndAuthNames(t *testing.T) {
	const secret, other = "cAnArY-secret-91", "cAnArY-hmac-key-22"
	e := admintest.Start(t, admintest.Options{Censor: admin.CensorRules{
		Names: []string{"X-Hook-Sig", "sid", "webhook-signature"}, Secrets: []string{secret, other},
	}})
	if _, err := e.Client.Pause(bg, "billing"); err != nil {
		t.Fatal(err)
	}
	id := e.Enqueue(t, &queue.Message{
		Query:     "sid=opaque-sid-1&note=" + secret,
		Body:      []byte(`{"comment":"key is ` + secret + `","n":1}`),
		TracingID: "tr-" + other, Destinations: []string{"billing", "unrouted"},
		Headers: []queue.Header{
			{Name: "Content-Type", Value: "application/json"},
			{Name: "X-Hook-Sig", Value: "sha256=opaque-sig-2"},
			{Name: "webhook-signature", Value: "v1,opaque-sig-3"},
			{Name: "X-Note", Value: "Bearer " + other},
		},
	})
	ls, err := e.Store.Lease("unrouted", time.Now(), 1)
	if err != nil || len(ls) != 1 {
		t.Fatalf("lease: %d, %v", len(ls), err)
	}
	err = e.Store.Complete(ls[0], queue.Outcome{Result: queue.Dead, Attempt: queue.Attempt{
		At: time.Now(), Status: 401, Error: "401 for https://h/p?k=" + secret,
		Response: []byte("error=denied&refresh=" + other + "&access_token=opaque-tok-4")}})
	if err != nil {
		t.Fatal(err)
	}
	js, code := e.Server.MessageJSON(id)
	if code != http.StatusOK {
		t.Fatalf("MessageJSON: %d %s", code, js)
	}
	for _, hidden := range []string{secret, other, "opaque-sid-1", "opaque-sig-2", "opaque-sig-3", "opaque-tok-4"} {
		if strings.Contains(string(js), hidden) {
			t.Errorf("%q shown: %s", hidden, js)
		}
	}
	for _, kept := range []string{`key is censored`, "note=censored", "error=denied&refresh=censored&access_token=censored"} {
		if !strings.Contains(string(js), kept) {
			t.Errorf("%q missing: %s", kept, js)
		}
	}
}

// relayctl destinations shows each URL without its userinfo and query
// values, and a last error without secret values.
func TestDestinationsCensorURL(t *testing.T) {
	const pw = "cAnArY-url-pw-5"
	e := admintest.Start(t, admintest.Options{Censor: admin.CensorRules{Secrets: []string{pw}}})
	u := strings.Replace(e.Sink.URL, "http://", "http://hook:"+pw+"@", 1) + "/p?secret=" + pw + "&source=relayd"
	if err := e.Relay.Apply([]relay.Destination{admintest.Destination("billing", u)}); err != nil {
		t.Fatal(err)
	}
	list, err := e.Client.Destinations(bg)
	if err != nil || len(list.Destinations) == 0 {
		t.Fatalf("destinations: %+v %v", list, err)
	}
	got := list.Destinations[0].URL
	want := strings.Replace(e.Sink.URL, "http://", "http://censored@", 1) + "/p?secret=censored&source=censored"
	if got != want {
		t.Fatalf("url shown as %s, want %s", got, want)
	}
}
