package relay

import (
	"errors"
	"time"
)

// ErrUnknownDestination is returned for a destination name not configured.
var ErrUnknownDestination = errors.New("unknown destination")

// StatusRange is an inclusive range of HTTP status codes (429-429, 500-599).
type StatusRange struct{ Lo, Hi int }

// RetryPolicy is a destination's retry schedule.
type RetryPolicy struct {
	InitialInterval time.Duration
	Multiplier      float64
	Randomization   float64
	MaxInterval     time.Duration
	MaxElapsed      time.Duration // then dead
	MaxAttempts     int           // 0 = bounded by MaxElapsed only
	OnStatus        []StatusRange // retried; other non-2xx → dead
}

// Signing signs outgoing requests.
type Signing struct {
	Scheme string // "standard-webhooks"
	Secret string // "whsec_<base64>"
}

// Destination is one downstream, fully resolved (defaults applied).
type Destination struct {
	Name          string
	URL           string
	Method        string // empty = inbound method
	Headers       map[string]string
	Query         map[string]string
	ForwardQuery  bool
	TLSSkipVerify bool
	CAFile        string
	Timeout       time.Duration
	MaxRedirects  int
	Concurrency   int
	RateLimit     float64 // requests/s; 0 = none
	Signing       *Signing
	Enabled       bool
	Retry         RetryPolicy
}

// Destination states as shown to operators.
const (
	StateActive     = "active"
	StatePaused     = "paused"
	StateDisabled   = "disabled"
	StateBackingOff = "backing-off"
)

// DestinationStatus is a destination's live state.
type DestinationStatus struct {
	Name                string
	URL                 string
	State               string // StateActive, StatePaused, ...
	InFlight            int
	ConsecutiveFailures int
	LastAttemptAt       time.Time
	LastError           string
}

// Event is one attempt's result, published to subscribers (relayctl tail).
type Event struct {
	At            time.Time
	MessageID     string
	Destination   string
	Attempt       int
	Status        int
	Error         string
	Duration      time.Duration
	Result        string // "delivered", "retrying", "dead"
	NextAttemptAt time.Time
}
