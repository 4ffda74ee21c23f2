package client

import (
	"strings"
	"testing"
	"time"
)

func TestValidID(t *testing.T) {
	tests := map[string]bool{
		"0123456789abcdefghijklmnopqrstuv":  true,
		"0123456789abcdefghijklmnopqrstu":   false, // 31
		"0123456789abcdefghijklmnopqrstuvw": false, // 33
		"0123456789ABCDEFGHIJKLMNOPQRSTUV":  false, // upper case
		"0123456789abcdefghijklmnopqrst-v":  false,
		"../../../../../../../../../etc/pa": false,
		"":                                  false,
	}
	for id, want := range tests {
		if got := ValidID(id); got != want {
			t.Errorf("ValidID(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in      string
		want    time.Time
		wantErr string
	}{
		{in: "90m", want: now.Add(-90 * time.Minute)},
		{in: "2h", want: now.Add(-2 * time.Hour)},
		{in: "0s", want: now},
		{in: "2026-02-28T10:00:00Z", want: time.Date(2026, 2, 28, 10, 0, 0, 0, time.UTC)},
		{in: "2026-02-28T10:00:00.5+02:00", want: time.Date(2026, 2, 28, 8, 0, 0, 5e8, time.UTC)},
		{in: "-1h", wantErr: "negative"},
		{in: "yesterday", wantErr: "RFC 3339"},
		{in: "2026-02-28", wantErr: "RFC 3339"},
		{in: "", wantErr: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTime(tt.in, now)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"1h", "2026-01-02T03:04:05Z", "-5m", "1e9h", "x", "2026-01-02T03:04:05.999999999-07:00"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s, now)
		if err != nil {
			return
		}
		if d, derr := time.ParseDuration(strings.TrimSpace(s)); derr == nil && got.After(now) {
			t.Fatalf("duration %v gave a future time %v", d, got)
		}
	})
}

func FuzzValidID(f *testing.F) {
	f.Add("0123456789abcdefghijklmnopqrstuv")
	f.Add("0123456789abcdefghijklmnopqrst/v")
	f.Fuzz(func(t *testing.T, id string) {
		if ValidID(id) && (len(id) != 32 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyz0123456789") != "") {
			t.Fatalf("accepted %q", id)
		}
	})
}
