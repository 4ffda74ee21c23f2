package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/relayd/relayd/daemon/admin/admintest"
	"github.com/relayd/relayd/daemon/admin/client"
	"github.com/relayd/relayd/queue"
	"github.com/relayd/relayd/relay"
)

// goldenText compares a text table with testdata/name.golden.
func goldenText(t *testing.T, name, got string) {
	t.Helper()
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

// longestLine is the width of the widest line of s, in characters.
func longestLine(s string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		n = max(n, utf8.RuneCountInString(l))
	}
	return n
}

const refusedError = `Post "http://127.0.0.1:1/billing/eq_callback/with/a/long/path?source=relayd&region=eu-central": dial tcp 127.0.0.1:1: connect: connection refused`

func tableFixtures() (*client.Status, *client.DestinationList, *client.MessageList, time.Time) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	probe, last := now.Add(20*time.Second), now.Add(-3*time.Second)
	st := &client.Status{Version: "1.2.3", UptimeS: 7300, StorageBytes: 3 << 20, Destinations: []client.DestinationCounts{
		{Name: "billing", State: "backing-off", Pending: 1234, Retrying: 17, Dead: 3, Delivered: 120034, InFlight: 1,
			ConsecutiveFailures: 5, NextProbeAt: &probe},
		{Name: "whmcs-hooks-production-eu-central", State: "paused", Reason: "gone", Pending: 12, Delivered: 9},
		{Name: "mailer", State: "active", Delivered: 88},
	}}
	dl := &client.DestinationList{Destinations: []client.Destination{
		{Name: "billing", URL: "https://billing.internal.example.com/api/v2/callbacks/eq_callback?source=censored",
			State: "backing-off", Pending: 1234, Retrying: 17, Dead: 3, Delivered: 120034, InFlight: 1,
			ConsecutiveFailures: 5, NextProbeAt: &probe, LastAttemptAt: &last, LastError: refusedError},
		{Name: "mailer", URL: "http://127.0.0.1:9102/mailer", State: "active", Delivered: 88, LastAttemptAt: &last},
	}}
	ml := &client.MessageList{Messages: []client.MessageSummary{
		{ID: strings.Repeat("a", 32), Route: "solusvm-server-events-production", ReceivedAt: now.Add(-time.Minute),
			Method: "POST", Path: "/hooks/solusvm/v2/server-events",
			Deliveries: []client.DeliverySummary{{Destination: "billing", State: "retrying"}, {Destination: "whmcs-hooks-production-eu-central", State: "paused"}, {Destination: "mailer", State: "delivered"}}},
		{ID: strings.Repeat("b", 32), Route: "eq-callback", ReceivedAt: now.Add(-2 * time.Hour), Method: "POST", Path: "/eq_callback",
			Deliveries: []client.DeliverySummary{{Destination: "billing", State: "dead"}}},
	}}
	return st, dl, ml, now
}

// TestTablesFitHundredColumns: status, destinations and ls fit 100
// columns by default, long errors keep their end, and -o wide shows every
// column in full.
func TestTablesFitHundredColumns(t *testing.T) {
	st, dl, ml, now := tableFixtures()
	for _, wide := range []bool{false, true} {
		suffix := ".txt"
		if wide {
			suffix = "_wide.txt"
		}
		for name, write := range map[string]func(*bytes.Buffer) error{
			"status":       func(b *bytes.Buffer) error { return writeStatus(b, st, now, wide) },
			"destinations": func(b *bytes.Buffer) error { return writeDestinations(b, dl, now, wide) },
			"ls":           func(b *bytes.Buffer) error { return writeList(b, ml, now, wide) },
		} {
			var b bytes.Buffer
			if err := write(&b); err != nil {
				t.Fatal(err)
			}
			if n := longestLine(b.String()); !wide && n > tableWidth {
				t.Errorf("%s: a line of %d characters:\n%s", name, n, b.String())
			}
			goldenText(t, name+suffix, b.String())
		}
	}
	var b bytes.Buffer
	writeDestinations(&b, dl, now, false)
	if !strings.Contains(b.String(), "connect: connection refused\n") || !strings.Contains(b.String(), "  …") {
		t.Errorf("the error's end is not shown:\n%s", b.String())
	}
	b.Reset()
	writeDestinations(&b, dl, now, true)
	if !strings.Contains(b.String(), refusedError) || longestLine(b.String()) <= tableWidth {
		t.Errorf("-o wide cut something:\n%s", b.String())
	}
}

func TestKeepTail(t *testing.T) {
	for _, tt := range []struct {
		in    string
		width int
		want  string
	}{
		{"dial tcp 127.0.0.1:1: connect: connection refused", 29, "…connect: connection refused"},
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"ünïcode tail", 5, "…tail"},
		{"x: connection refused", 12, "…refused"},
	} {
		if got := keepTail(tt.in, tt.width); got != tt.want || utf8.RuneCountInString(got) > tt.width {
			t.Errorf("keepTail(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
}

// TestDestinationsOfARealDaemonFit: a destination refusing connections on
// a long URL, through the real admin API: 100 columns, the cause shown.
func TestDestinationsOfARealDaemonFit(t *testing.T) {
	e := admintest.Start(t, admintest.Options{})
	long := "http://127.0.0.1:1/billing/eq_callback/with/a/long/path?region=eu-central"
	if err := e.Relay.Apply([]relay.Destination{admintest.Destination("billing", e.Sink.URL+"/billing"),
		admintest.Destination("downstream-down", long)}); err != nil {
		t.Fatal(err)
	}
	e.Enqueue(t, &queue.Message{Body: []byte("x"), Destinations: []string{"downstream-down"}})
	var r result
	admintest.WaitFor(t, "an error shown", func() bool {
		r = relayctl(t, e.Socket, "destinations")
		return strings.Contains(r.stdout, "connection refused")
	})
	if n := longestLine(r.stdout); r.code != 0 || n > tableWidth || !strings.Contains(r.stdout, "connection refused\n") {
		t.Fatalf("destinations (widest line %d):\n%s", n, r.stdout)
	}
	l, err := e.Client.Destinations(context.Background())
	if err != nil || len(l.Destinations) != 2 || len(l.Destinations[1].LastError) < 60 {
		t.Fatalf("destinations: %v %+v", err, l)
	}
	r = relayctl(t, e.Socket, "destinations", "-o", "wide")
	if r.code != 0 || !strings.Contains(r.stdout, "/billing/eq_callback/with/a/long/path?region=") ||
		!strings.Contains(r.stdout, l.Destinations[1].LastError+"\n") {
		t.Fatalf("destinations -o wide:\n%s", r.stdout)
	}
	for _, cmd := range []string{"status", "ls"} {
		if r = relayctl(t, e.Socket, cmd); r.code != 0 || longestLine(r.stdout) > tableWidth {
			t.Errorf("%s:\n%s", cmd, r.stdout)
		}
	}
	if r = relayctl(t, e.Socket, "status", "-o", "json"); r.code != 2 || !strings.Contains(r.stderr, "only output format is wide") {
		t.Errorf("-o json: %+v", r)
	}
}
