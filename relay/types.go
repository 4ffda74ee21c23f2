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
	// Secrets are more secrets, for rotation: a request carries one
	// signature per secret (Secret's first).
	Secrets []string
}

// ConsumedAuth names the credential a route's auth consumed: the query
// parameters and headers of its token check. They are not forwarded to a
// destination without ForwardAuth.
type ConsumedAuth struct {
	Query   []string
	Headers []string
}

// Destination is one downstream, fully resolved (defaults applied).
type Destination struct {
	Name         string
	URL          string
	Method       string // empty = inbound method
	Headers      map[string]string
	Query        map[string]string
	ForwardQuery bool
	// ForwardAuth passes on the credential the message's route consumed
	// (ConsumedAuth); by default it is removed.
	ForwardAuth bool
	// RedirectHosts, when set, are the only hosts besides the URL's own a
	// redirect may lead to ("host" for any port, "host:port" for one);
	// they may be link-local and get the TLS settings below.
	RedirectHosts []string
	TLSSkipVerify bool
	CAFile        string
	Timeout       time.Duration
	MaxRedirects  int
	Concurrency   int
	RateLimit     float64 // requests/s; 0 = none
	Signing       *Signing
	Enabled       bool
	Retry         RetryPolicy
	// BreakerFailures retryable failures in a row open the breaker
	// (backing-off); FailingAfter dead deliveries in a row show failing.
	BreakerFailures int
	FailingAfter    int
	// DeadLetter names the destination each dead delivery is announced
	// to; empty = none.
	DeadLetter string
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
	Reason              string // why paused: "" (the operator) or ReasonGone
	InFlight            int
	ConsecutiveFailures int
	// NextProbeAt is when a backing-off destination's probe goes out
	// (zero exactly when its breaker is closed; kept while paused, as
	// State then shows paused).
	NextProbeAt     time.Time
	LastAttemptAt   time.Time
	LastError       string
	ConsecutiveDead int  // deliveries dead in a row (StateFailing at FailingAfter)
	Failing         bool // FailingAfter dead in a row, none delivered since (whatever State shows)
}

// Event is one attempt's result, published to subscribers (relayctl tail).
type Event struct {
	At          time.Time
	MessageID   string
	Route       string // the message's route; empty for a breaker transition
	Destination string
	Attempt     int
	Status      int
	Error       string
	Duration    time.Duration
	// Result is "delivered", "retrying", "dead", or for a breaker
	// transition (no message) "breaker-open" / "breaker-closed".
	Result        string
	NextAttemptAt time.Time
}
