// Package ingress owns the callback listener: a fasthttp server whose handler
// routes each inbound request (path, method, match conditions on selectors),
// checks the route's auth, writes one queue.Message durably with
// queue.Store.Enqueue and only then answers 202 (200 for a duplicate by
// idempotency key). It also serves GET /_relay/healthz,
// GET /_relay/messages/{id} and GET /_relay/messages?key=K (both with
// server.status_token; the key is never logged); the whole /_relay/ prefix
// is reserved and never routed.
//
// Reload compiles a whole new route table (Compile) and swaps it atomically
// (Install) once the daemon has built the destinations too; a table that
// does not compile changes nothing. Apply is both steps at once. Swapped live: routes, their
// match conditions, auth and keys, server.trusted_proxies,
// server.status_token and server.max_body_size (the limit is handed to
// fasthttp per request from HeaderReceived). Fixed until restart:
// server.listen, server.read_timeout, server.write_timeout,
// server.idle_timeout, server.max_header_size, server.max_conns and
// server.max_conns_per_ip, which belong to the listening fasthttp.Server
// and the connection-capping listener wrapped around its listener.
//
// Nothing of a refused request is echoed or logged beyond its method, path
// and peer: an unparseable one gets a fixed answer per error class (431
// header_too_large, 400 bad_request, ...), and every rejection line is
// paced per class (rateLog).
//
// Auth: every configured check must pass, and each check (token, hmac,
// standard_webhooks) accepts any one of its configured secrets, compared
// against all of them so the time taken does not say which matched. The
// token a route's auth consumed (its query parameter or header) is removed
// from the message before it is persisted (credential.go), unless a
// destination of the route has forward_auth; signatures are kept. A route
// with standard_webhooks and no idempotency_key is deduplicated by
// webhook-id.
//
// Decisions where SPEC.md is silent:
//   - A key (idempotency, ordering, tracing) that selects a token the route
//     removes is refused when the route is compiled: it would store the
//     credential.
//   - A JSON selector that meets JSON null finds nothing (exists: false).
//     Objects and arrays are selected as their compact JSON text; array
//     elements are selected by index (json.nodes.0.name).
//   - An empty body has no JSON values; a non-empty body that is not JSON,
//     when a selector must read it, is answered 400 bad_request.
//   - X-Forwarded-For is read only when the peer is in
//     server.trusted_proxies; the client is the right-most entry that is not
//     a trusted proxy. An unparseable entry leaves the client unknown, which
//     no allow_ips list admits.
//
// Options.Observe, when set, is told of every answer (route, status,
// receipt-to-answer time): the daemon points it at daemon/metrics.
//
// ingress imports daemon/config, queue and daemon/webhooksig, nothing else of
// relayd's: nothing under relay/ (it persists; relay delivers).
package ingress
