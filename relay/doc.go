// Package relay owns delivery: per destination a dispatcher and a pool of
// workers that lease due deliveries from the queue, the HTTP sender (its own
// fasthttp clients and TLS config per destination, redirects followed and
// checked by relay itself), retry classification, the backoff schedule whose next
// attempt time is written back to the queue, rate limits, the circuit
// breaker of a failing destination, signing, the stream of delivery
// events (Subscribe: a slow subscriber misses some) and the Observer told
// of every attempt's outcome and breaker transition (metrics: none missed).
//
// relay imports queue and daemon/webhooksig (a leaf that imports nothing
// of relayd's, shared with ingress) and nothing else of relayd's: never
// package daemon, ingress, admin or config; the daemon converts its config
// into Destination values. relay applies no defaults (config does): Build
// refuses a Destination whose timeout, concurrency, breaker thresholds or
// retry intervals are unset (check.go).
//
// A destination set is built (Build: senders, TLS configs, CA files,
// signing secrets; nothing starts or stops) and then installed (Install:
// unchanged destinations keep running untouched, changed ones are replaced
// carrying over their breaker, removed ones stop), so a reload refused by
// its routes leaves delivery as it ran. Apply is both steps at once.
//
// # What a forwarded request carries
//
// The body byte for byte, with the inbound Content-Type (none when the
// inbound request had none). The inbound end-to-end headers are passed on
// in order, repeats kept, so a downstream sees what the upstream sent
// (User-Agent, Authorization, X-* and the upstream's own signature headers,
// which still verify because the body is unchanged). Not passed on: the
// hop-by-hop headers of RFC 9110 section 7.6.1 (Connection and the names
// it lists, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding,
// Upgrade, Proxy-Authorization, Proxy-Authenticate), Host, Content-Length
// and Expect (fasthttp writes its own), Accept-Encoding (so the downstream
// answers uncompressed and the recorded first 1 KiB of its response is
// readable), and inbound X-Relay-Id / X-Relay-Attempt / X-Request-Id.
// Then the destination's headers replace inbound ones of the same name;
// relay sets X-Relay-Id (message id), X-Relay-Attempt (1-based) and
// X-Request-Id (tracing id, else the message id); a signed destination gets
// fresh webhook-id / webhook-timestamp / webhook-signature (Standard
// Webhooks, one signature per secret) on every attempt, replacing inbound
// ones.
//
// # Redirects
//
// Followed by relay (at most MaxRedirects hops; one more is dead at once):
// 307/308 keep method and body, 301/302 turn POST into a bodiless GET and
// keep other methods, 303 turns anything but HEAD into a bodiless GET. A
// relative Location is resolved against the current URL. A hop to another
// origin (scheme, host or port) drops Authorization, Cookie,
// Proxy-Authorization, the webhook-* signing headers and every configured
// header. Timeout bounds the whole attempt, redirects included.
//
// A redirect never reaches one of relayd's own listeners (SetOwnListeners)
// nor a link-local address the destination does not list in RedirectHosts;
// with RedirectHosts set, only those hosts and the destination's own. The
// check holds for the address dialed: redirect hops go through relay's
// dialer, which resolves and checks before it connects. A refusal is dead
// at once. TLSSkipVerify and CAFile apply to the destination's own host and
// its RedirectHosts; other hosts get default verification.
//
// # Consumed credentials
//
// The query parameters and headers a route's token check consumed
// (SetConsumedAuth) are removed from what a destination without
// ForwardAuth receives. With ForwardQuery, an inbound parameter the
// destination's URL or Query sets is left out: the destination's wins.
//
// # Schedule
//
// Attempt n's wait is a fresh backoff/v4 ExponentialBackOff stepped n
// times (max_interval caps the interval before randomization, as in
// backoff/v4); Retry-After on 429/503 replaces it, capped by max_interval.
// The next attempt time is persisted with the outcome (queue Complete), so
// a restart resumes the schedule; no goroutine sleeps on a delivery.
//
// max_elapsed counts from a delivery's first attempt (the queue records
// ScheduleStart then; a replay clears it), and the time its destination held
// deliveries since (paused, breaker not closed) is not counted: relay keeps
// those spans in memory per destination (the newest 256) and moves the start
// later by their overlap. After a restart the spans before it are gone, so
// that time counts again.
//
// # Circuit breaker
//
// After Destination.BreakerFailures (default 3) retryable failures in a row
// (network errors, timeouts, statuses in on_status) a destination is
// backing-off: nothing is leased for a cooldown (the retry schedule's
// interval for the k-th re-opening in a row, with jitter, capped by
// max_interval; a Retry-After on the failing answer raises it, up to
// max_interval), then one probe. A success closes it; a failure re-opens it
// with the next cooldown. A delivery leased before it opened goes back
// unsent (queue Release): held deliveries spend no attempt. A
// non-retryable status neither counts nor closes it. Transitions are one
// log line and one Event each (breaker-open, breaker-closed). The state
// lives in memory: a restart starts closed.
//
// # Health, 410 and dead letters
//
// Every delivery that goes dead counts against the destination's health
// (health.go): after FailingAfter in a row it shows failing until one is
// delivered; retries neither count nor reset it. Shown state precedence:
// disabled > paused > backing-off > failing > active. One log line per
// transition.
//
// A 410 Gone (not listed in on_status) does not kill the delivery: the
// attempt is recorded, the delivery stays queued due at once, and the
// destination is paused with reason "gone", persisted in the queue's pause
// record (gone.go); the operator's resume sends it. An operator's Pause and
// Resume are not logged here: the admin socket logs each command once.
//
// With DeadLetter set, each delivery that goes dead is announced to that
// destination as a JSON DeadLetterEvent, a message in the queue of route
// DeadLetterRoute delivered like any other (deadletter.go). It is enqueued
// before the death is recorded, so a crash between the two yields at most
// a duplicate, never a lost event; the death of a dead-letter event is
// never announced.
package relay
