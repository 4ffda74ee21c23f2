package main

import (
	"strings"
	"testing"

	"github.com/relayd/relayd/daemon/admin/admintest"
	"github.com/relayd/relayd/queue"
)

// A key naming one message shows it as its id does; one naming several
// is refused with their ids, newest first; ls --key lists them.
func TestShowAndListByKey(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	if r := relayctl(t, e.Socket, "pause", "billing"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	enq := func(idem, okey, trace string) string {
		return e.Enqueue(t, &queue.Message{
			Route: "eq-callback", Method: "POST", Path: "/eq_callback",
			IdempotencyKey: idem, OrderingKey: okey, TracingID: trace,
			Headers:      []queue.Header{{Name: "Content-Type", Value: "text/plain"}},
			Body:         []byte("deploy_done"),
			Destinations: []string{"billing"},
		})
	}
	one := enq("7bc29eb2-task", "", "")
	var several []string
	for range 7 {
		several = append([]string{enq("", "35307a08-guid", "")}, several...)
	}

	byID := relayctl(t, e.Socket, "--json", "show", one)
	byKey := relayctl(t, e.Socket, "--json", "show", "7bc29eb2-task")
	if byKey.code != 0 || byKey.stdout != byID.stdout {
		t.Fatalf("show by key: exit %d\n%s\nshow by id:\n%s", byKey.code, byKey.stdout, byID.stdout)
	}
	r := relayctl(t, e.Socket, "show", "35307a08-guid")
	want := `key "35307a08-guid" names 7 messages: ` + strings.Join(several[:5], ", ") + `, …; use relayctl ls --key "35307a08-guid"`
	if r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Fatalf("show of a key naming 7: exit %d %q, want %q", r.code, r.stderr, want)
	}
	r = relayctl(t, e.Socket, "--json", "show", "35307a08-guid")
	if r.code != 1 || !strings.Contains(r.stdout, `"ids":["`+strings.Join(several, `","`)+`"]`) {
		t.Fatalf("show --json of a key naming 7: exit %d %s", r.code, r.stdout)
	}
	golden(t, "error_key_ambiguous", r.stdout)
	r = relayctl(t, e.Socket, "--json", "ls", "--key", "35307a08-guid", "--limit", "2")
	if r.code != 0 || strings.Count(r.stdout, `"id"`) != 2 || !strings.Contains(r.stdout, several[0]) || !strings.Contains(r.stdout, several[1]) {
		t.Fatalf("ls --key --limit 2: exit %d %s", r.code, r.stdout)
	}
	golden(t, "ls_key", r.stdout)
	r = relayctl(t, e.Socket, "ls", "--key", "7bc29eb2-task")
	if r.code != 0 || !strings.Contains(r.stdout, one) || strings.Contains(r.stdout, several[0]) {
		t.Fatalf("ls --key: exit %d %s", r.code, r.stdout)
	}
}
