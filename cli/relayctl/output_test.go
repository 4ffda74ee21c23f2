package main

import (
	"strings"
	"testing"
	"time"

	"github.com/relayd/relayd/daemon/admin/client"
)

func TestAgo(t *testing.T) {
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Time{}, "-"},
		{now, "just now"},
		{now.Add(-45 * time.Second), "45s ago"},
		{now.Add(-3 * time.Minute), "3m ago"},
		{now.Add(-(2*time.Hour + 5*time.Minute)), "2h5m ago"},
		{now.Add(-5 * time.Hour), "5h ago"},
		{now.Add(-(3*24*time.Hour + 4*time.Hour)), "3d4h ago"},
		{now.Add(20 * time.Second), "in 20s"},
	}
	for _, tt := range tests {
		if got := ago(tt.t, now); got != tt.want {
			t.Errorf("ago(%v) = %q, want %q", tt.t, got, tt.want)
		}
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 5 << 20: "5.0 MiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestHoistJSONFlag(t *testing.T) {
	tests := []struct {
		in, want string
		json     bool
	}{
		{"relayctl show ID --json", "relayctl --json show ID", true},
		{"relayctl --json status", "relayctl --json status", true},
		{"relayctl --socket s ls --state dead", "relayctl --socket s ls --state dead", false},
		{"relayctl config check -- --json", "relayctl config check -- --json", false},
	}
	for _, tt := range tests {
		got, js := hoistJSONFlag(strings.Fields(tt.in))
		if strings.Join(got, " ") != tt.want || js != tt.json {
			t.Errorf("hoist(%q) = %q %v", tt.in, got, js)
		}
	}
}

func TestEventLine(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	probe := now.Add(2 * time.Second)
	next := now.Add(5 * time.Second)
	tests := map[string]struct {
		ev   client.Event
		want string
	}{
		"attempt": {client.Event{At: now, ID: "abc", Destination: "billing", Attempt: 2, Status: 503,
			Error: "HTTP 503 Service Unavailable", DurationMS: 12, Result: "retrying", NextAttemptAt: &next},
			"abc  billing      #2  retrying  503  12ms  HTTP 503 Service Unavailable  next in 5s"},
		"breaker opened": {client.Event{At: now, Destination: "billing", Status: 503,
			Error: "HTTP 503 Service Unavailable", Result: "breaker-open", NextAttemptAt: &probe},
			"billing       breaker-open  HTTP 503 Service Unavailable  probe in 2s"},
		"breaker closed": {client.Event{At: now, Destination: "billing", Status: 200, Result: "breaker-closed"},
			"billing       breaker-closed"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := eventLine(tt.ev, now)
			stamp := now.Local().Format("15:04:05") + "  "
			if got != stamp+tt.want {
				t.Fatalf("eventLine = %q, want %q", got, stamp+tt.want)
			}
		})
	}
}
