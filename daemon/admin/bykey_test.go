package admin_test

import (
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/relayd/relayd/daemon/admin/admintest"
	"github.com/relayd/relayd/daemon/admin/client"
	"github.com/relayd/relayd/queue"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var (
	goldenID   = regexp.MustCompile(`"[a-z0-9]{32}"`)
	goldenTime = regexp.MustCompile(`"\d{4}-\d\d-\d\dT[0-9:.]+Z"`)
)

// golden compares the JSON b, ids and times replaced, with
// testdata/name.golden.
func golden(t *testing.T, name string, b []byte) {
	t.Helper()
	got := goldenTime.ReplaceAllString(goldenID.ReplaceAllString(string(b), `"<ID>"`), `"<TIME>"`)
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

// GET /_relay/messages?key=K answers the newest 20 messages with that key,
// each exactly as the status endpoint shows it by id (censored).
func TestMessagesByKeyJSON(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	if _, err := e.Client.Pause(bg, "billing"); err != nil {
		t.Fatal(err)
	}
	enq := func(idem, trace string) string {
		return e.Enqueue(t, &queue.Message{
			Route: "eq-callback", Method: "POST", Path: "/eq_callback",
			IdempotencyKey: idem, TracingID: trace,
			Headers:      []queue.Header{{Name: "Content-Type", Value: "application/x-www-form-urlencoded"}},
			Body:         []byte("action=reinstall&key=" + idem + "&password=hunter2&status=deploy_done"),
			Destinations: []string{"billing"},
		})
	}
	one := enq("7bc29eb2-task", "")
	var many []string
	for range 22 {
		many = append([]string{enq("", "trace-many")}, many...)
	}

	b, code := e.Server.MessagesByKeyJSON("7bc29eb2-task")
	byID, _ := e.Server.MessageJSON(one)
	if code != http.StatusOK || string(b) != `{"messages":[`+string(byID)+`],"more":false}` {
		t.Fatalf("by key: %d %s\nby id: %s", code, b, byID)
	}
	if strings.Contains(string(b), "hunter2") {
		t.Fatalf("by key shows the password: %s", b)
	}
	golden(t, "messages_by_key", b)

	b, code = e.Server.MessagesByKeyJSON("trace-many")
	var got client.KeyMessages
	if err := json.Unmarshal(b, &got); code != http.StatusOK || err != nil || !got.More || len(got.Messages) != 20 {
		t.Fatalf("by a key of 22: %d %v more=%v %d messages", code, err, got.More, len(got.Messages))
	}
	for i, m := range got.Messages {
		if m.ID != many[i] {
			t.Fatalf("message %d is %s, want %s (newest first)", i, m.ID, many[i])
		}
	}

	for key, want := range map[string]string{
		"no-such-key":              `{"result":"ERROR","error":"not_found","error_message":"no message with that key"}`,
		"":                         `{"result":"ERROR","error":"bad_request","error_message":"key must be 1 to 65536 bytes"}`,
		strings.Repeat("k", 70000): `{"result":"ERROR","error":"bad_request","error_message":"key must be 1 to 65536 bytes"}`,
	} {
		if b, code := e.Server.MessagesByKeyJSON(key); code/100 != 4 || string(b) != want {
			t.Errorf("key of %d bytes: %d %s", len(key), code, b)
		}
	}
}
