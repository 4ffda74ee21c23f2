package client

import (
	"fmt"
	"strings"
	"time"
)

// IDLength is the length of a message id.
const IDLength = 32

// ValidID reports whether id has the form of a message id: 32 characters
// of [a-z0-9]. relayctl refuses other ids before sending anything.
func ValidID(id string) bool {
	if len(id) != IDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// ParseTime reads a --since/--before value: a Go duration meaning that
// long before now ("90m", "2h"), or an RFC 3339 time.
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("empty time: want a duration such as 2h (meaning ago) or an RFC 3339 time")
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("time %q: a duration means \"ago\" and must not be negative", s)
		}
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: want a duration such as 2h (meaning ago) or an RFC 3339 time such as 2006-01-02T15:04:05Z", s)
	}
	return t, nil
}

// States are the delivery states a filter may name.
var States = []string{"pending", "delivering", "retrying", "paused", "dead", "delivered"}

// ValidState reports whether s is one of States.
func ValidState(s string) bool {
	for _, v := range States {
		if s == v {
			return true
		}
	}
	return false
}
