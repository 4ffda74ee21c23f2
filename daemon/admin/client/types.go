package client

import "time"

// Status is GET /v1/status: the daemon and per-destination counts.
type Status struct {
	Version      string              `json:"version"`
	UptimeS      int64               `json:"uptime_s"`
	StorageBytes int64               `json:"storage_bytes"`
	Destinations []DestinationCounts `json:"destinations"`
}

// DestinationCounts is one destination's state and its deliveries by state.
// State is "removed" for a name with queued deliveries that is no longer
// configured.
type DestinationCounts struct {
	Name      string `json:"name"`
	State     string `json:"state"`
	Reason    string `json:"reason,omitempty"` // why paused: "gone" (it answered 410); none when the operator paused it
	Pending   int64  `json:"pending"`
	Retrying  int64  `json:"retrying"`
	Dead      int64  `json:"dead"`
	Delivered int64  `json:"delivered"`
	InFlight  int64  `json:"in_flight"`
	// ConsecutiveFailures counts retryable failures in a row; NextProbeAt
	// is when a backing-off destination's probe goes out (null when its
	// breaker is closed; set also while paused).
	ConsecutiveFailures int        `json:"consecutive_failures"`
	NextProbeAt         *time.Time `json:"next_probe_at"`
}

// DestinationList is GET /v1/destinations.
type DestinationList struct {
	Destinations []Destination `json:"destinations"`
}

// Destination is one destination's live state and counters.
type Destination struct {
	Name                string `json:"name"`
	URL                 string `json:"url"`
	State               string `json:"state"`
	Reason              string `json:"reason,omitempty"` // as in DestinationCounts
	Pending             int64  `json:"pending"`
	Retrying            int64  `json:"retrying"`
	Dead                int64  `json:"dead"`
	Delivered           int64  `json:"delivered"`
	InFlight            int    `json:"in_flight"`
	ConsecutiveFailures int    `json:"consecutive_failures"`
	ConsecutiveDead     int    `json:"consecutive_dead"` // deliveries dead in a row; "failing" at breaker.failing_after
	// NextProbeAt is when a backing-off destination's probe goes out;
	// null when its breaker is closed.
	NextProbeAt   *time.Time `json:"next_probe_at"`
	LastAttemptAt *time.Time `json:"last_attempt_at"`
	LastError     string     `json:"last_error"`
}

// DestinationState is the answer to pause and resume.
type DestinationState struct {
	Destination string `json:"destination"`
	State       string `json:"state"`
}

// MessageList is GET /v1/messages: newest first. NextBefore, when set, is
// the --before value that fetches the next (older) page.
type MessageList struct {
	Messages   []MessageSummary `json:"messages"`
	NextBefore *time.Time       `json:"next_before,omitempty"`
}

// KeyMessages is the ingress's GET /_relay/messages?key=K: the messages
// (newest first, at most 20) whose idempotency key, ordering key or
// tracing id is K, each as Message shows it; More says that older ones
// were left out.
type KeyMessages struct {
	Messages []Message `json:"messages"`
	More     bool      `json:"more"`
}

// MessageSummary is a message in a list: no headers, no body.
type MessageSummary struct {
	ID         string            `json:"id"`
	Route      string            `json:"route"`
	ReceivedAt time.Time         `json:"received_at"`
	Method     string            `json:"method"`
	Path       string            `json:"path"`
	Deliveries []DeliverySummary `json:"deliveries"`
}

// DeliverySummary is a delivery's destination and state.
type DeliverySummary struct {
	Destination string `json:"destination"`
	State       string `json:"state"`
}

// Message is GET /v1/messages/{id} (relayctl show --json, and the ingress
// status endpoint): the message with censored headers, query and body, and
// every recorded attempt per destination.
type Message struct {
	ID         string            `json:"id"`
	Route      string            `json:"route"`
	ReceivedAt time.Time         `json:"received_at"`
	Method     string            `json:"method"`
	Path       string            `json:"path"`
	Query      string            `json:"query"`
	Headers    map[string]string `json:"headers"`
	// Body is the body as text; nil (omitted) when it is not valid UTF-8,
	// and BodyBase64 carries it instead.
	Body           *string    `json:"body,omitempty"`
	BodyBase64     string     `json:"body_base64,omitempty"`
	TracingID      string     `json:"tracing_id"`
	IdempotencyKey string     `json:"idempotency_key,omitempty"`
	OrderingKey    string     `json:"ordering_key,omitempty"`
	RemoteAddr     string     `json:"remote_addr,omitempty"`
	Deliveries     []Delivery `json:"deliveries"`
}

// Delivery is one destination's state for a message. NextAttemptAt is null
// when nothing is scheduled.
type Delivery struct {
	Destination   string     `json:"destination"`
	State         string     `json:"state"`
	AttemptCount  int        `json:"attempt_count"`
	Attempts      []Attempt  `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at"`
}

// Attempt is one recorded try: Status 0 means the request failed (Error
// says why); Response is the start of the response body.
type Attempt struct {
	At         time.Time `json:"at"`
	DurationMS int64     `json:"duration_ms"`
	Status     int       `json:"status"`
	Error      string    `json:"error"`
	Response   string    `json:"response"`
}

// ReplayRequest is POST /v1/replay: either IDs, or a filter of which State
// is required.
type ReplayRequest struct {
	IDs         []string   `json:"ids,omitempty"`
	Destination string     `json:"dest,omitempty"`
	State       string     `json:"state,omitempty"`
	Since       *time.Time `json:"since,omitempty"`
	Before      *time.Time `json:"before,omitempty"`
	// DryRun counts what would be replayed and changes nothing.
	DryRun bool `json:"dry_run,omitempty"`
}

// ReplayResult says how many deliveries were scheduled again; with DryRun,
// how many would be, and Sample names up to 10 of their messages.
type ReplayResult struct {
	Replayed int      `json:"replayed"`
	DryRun   bool     `json:"dry_run,omitempty"`
	Sample   []string `json:"sample,omitempty"`
}

// PurgeResult says how many deliveries were deleted; with DryRun, how many
// would be, and Sample names up to 10 of their messages.
type PurgeResult struct {
	Purged int      `json:"purged"`
	DryRun bool     `json:"dry_run,omitempty"`
	Sample []string `json:"sample,omitempty"`
}

// Result is the answer of requests that only succeed or fail.
type Result struct {
	Result string `json:"result"`
}

// ReloadResult is POST /v1/reload: what the reload changed, by name, and
// the keys that changed but take effect only after a restart (the rest
// was applied). Never a value: a value may be a secret.
type ReloadResult struct {
	Result        string   `json:"result"` // "OK"
	Reloaded      bool     `json:"reloaded"`
	Added         Names    `json:"added"`
	Removed       Names    `json:"removed"`
	Changed       Names    `json:"changed"`
	RestartNeeded []string `json:"restart_needed"` // YAML paths: "server.listen"
}

// Names lists routes and destinations by name.
type Names struct {
	Routes       []string `json:"routes"`
	Destinations []string `json:"destinations"`
}

// Event is one delivery attempt's outcome, a line of GET /v1/tail, or a
// destination's breaker transition: Result "breaker-open" (no id; Status
// and Error say what failed, NextAttemptAt when the probe goes out) or
// "breaker-closed".
type Event struct {
	At            time.Time  `json:"at"`
	ID            string     `json:"id"`
	Route         string     `json:"route,omitempty"` // none for a breaker transition
	Destination   string     `json:"destination"`
	Attempt       int        `json:"attempt"`
	Status        int        `json:"status"`
	Error         string     `json:"error,omitempty"`
	DurationMS    int64      `json:"duration_ms"`
	Result        string     `json:"result"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
}

// ErrorBody is every admin API error: {"error":1,"error_message":"…"}.
// relayctl --json prints the same shape for its own failures.
type ErrorBody struct {
	Error        int    `json:"error"`
	ErrorMessage string `json:"error_message"`
}
