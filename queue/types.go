package queue

import (
	"errors"
	"time"
)

// Sentinel errors callers decide on.
var (
	ErrNotFound = errors.New("not found")
	// ErrFull means storage.max_disk is reached or the disk has less than
	// storage.min_free left; ingress answers 503. Enqueue returns it as a
	// *FullError, which says the limit and the figures.
	ErrFull = errors.New("storage full")
	// ErrClosed means the store is closed or closing.
	ErrClosed = errors.New("queue closed")
)

// FullError is the ErrFull Enqueue returns: which limit was reached and
// the figures.
type FullError struct {
	Reason string // the limit and the figures: the sender's 503 says it
	Dir    string // the store's directory, for logs and healthz only; "" = not relevant
}

// Error is for the log and healthz: the reason and, for min_free, the
// directory whose disk is full.
func (e *FullError) Error() string {
	if e.Dir != "" {
		return e.Answer() + " (the disk of " + e.Dir + ")"
	}
	return e.Answer()
}

// Answer is what a sender is told: no local path.
func (e *FullError) Answer() string { return ErrFull.Error() + ": " + e.Reason }

func (e *FullError) Is(target error) bool { return target == ErrFull }

// State is the state of one delivery (message × destination).
type State string

// Delivery states. Delivering exists only in memory (a lease); Paused is
// never stored: callers show it for pending/retrying deliveries of a paused
// destination.
const (
	StatePending    State = "pending"
	StateDelivering State = "delivering"
	StateRetrying   State = "retrying"
	StateDelivered  State = "delivered"
	StateDead       State = "dead"
	StatePaused     State = "paused"
)

// Terminal reports whether no further attempt is scheduled.
func (s State) Terminal() bool { return s == StateDelivered || s == StateDead }

// Header is one inbound header; order and repeats are kept.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Message is one accepted inbound request.
type Message struct {
	ID         string    // 32 chars [a-z0-9]; assigned by Enqueue when empty
	Route      string    // route name
	ReceivedAt time.Time // assigned by Enqueue when zero
	Method     string
	Path       string
	Query      string // raw query string, without '?'
	Headers    []Header
	Body       []byte
	RemoteAddr string

	TracingID      string
	IdempotencyKey string // dedup key within Route; empty = none
	OrderingKey    string // FIFO per (destination, key); empty = none

	Destinations []string // one delivery is created per name
}

// Attempt is one try of one delivery.
type Attempt struct {
	At       time.Time
	Duration time.Duration
	Status   int    // HTTP status; 0 when the request failed
	Error    string // empty on a 2xx
	Response []byte // first 1 KiB of the response body
}

// Delivery is the state of one message for one destination.
type Delivery struct {
	MessageID   string
	Destination string
	State       State
	Attempts    []Attempt // oldest first; capped (the newest kept)
	// AttemptCount counts every attempt, also those dropped by the cap.
	AttemptCount int
	// ScheduleStart is when the current retry schedule began: the first
	// attempt since receipt or the last replay, zero before it (a record
	// written before 2026-12 holds receipt or replay time instead).
	// max_elapsed is measured from it, so time queued behind a pause
	// counts for nothing.
	ScheduleStart time.Time
	NextAttemptAt time.Time // zero when nothing is scheduled
	UpdatedAt     time.Time
	OrderingKey   string
}

// Lease is a due delivery handed to a worker. Until Complete or Release, the
// store will not hand it out again.
type Lease struct {
	Message  *Message
	Delivery *Delivery
	// Attempt is this attempt's 1-based number (Delivery.AttemptCount+1).
	Attempt int

	token uint64 // which lease this is; a stale one cannot complete or release
}

// Result is what an attempt decided.
type Result int

// Results of an attempt.
const (
	Delivered Result = iota // done
	Retry                   // scheduled again at Outcome.NextAttemptAt
	Dead                    // given up
)

// Outcome is recorded by Complete.
type Outcome struct {
	Attempt       Attempt
	Result        Result
	NextAttemptAt time.Time // for Retry
}

// Counts are a destination's deliveries by state.
type Counts struct {
	Pending    int64 `json:"pending"`
	Delivering int64 `json:"delivering"` // in flight now (leases)
	Retrying   int64 `json:"retrying"`
	Dead       int64 `json:"dead"`
	Delivered  int64 `json:"delivered"`
}

// Filter selects messages for List, Replay and Purge. Zero fields do not
// filter. A message matches when one of its deliveries matches Destination
// and State together.
type Filter struct {
	IDs         []string
	Destination string
	State       State
	Route       string
	// Key is a business key: the message's idempotency key, ordering key
	// or tracing id, any of the three (found through the key index).
	Key    string
	Since  time.Time // received at or after
	Before time.Time // received before (List: also the paging cursor)
	Limit  int       // List only; 0 = 100
}

// Summary is a message in a List: the message without its body, and its
// deliveries.
type Summary struct {
	Message    *Message
	Deliveries []*Delivery
}
