// Package admin serves relayd's operator API on a unix socket (net/http,
// method routes under /v1/) for relayctl: status, destinations, pause and
// resume, message listing and display (censored), replay and purge (each
// also as a dry run that writes nothing), reload (answering what changed)
// and a live tail of delivery events, filtered in the server, with the last
// RecentEvents kept in memory for a backlog; messages are listed also by
// business key (?key=K: idempotency key, ordering key or tracing id). It
// also renders the message JSON the ingress status endpoints answer with
// (by id, and by key: MessagesByKeyJSON), and serves the optional
// admin.metrics_listen: /metrics (the handler daemon/metrics makes),
// /healthz, /readyz and the read-only status page at "/" (statuspage.go:
// html/template, inline SVG plots, no script; the same censoring and
// rendering as relayctl; an optional bearer token).
//
// Every admin connection's peer is read from the kernel (SO_PEERCRED) at
// Accept, and each request is checked against it (access.go): root,
// relayd's own user and admin.group may run everything, admin.readonly_group
// the GET (read) commands only; each mutating command is logged once with
// the peer's uid and user name.
//
// Its wire types and client live in admin/client, which imports nothing of
// relayd's. admin imports admin/client, queue and relay; it must not import
// config, ingress, metrics or the daemon package (the daemon wires admin,
// not the other way round; what admin needs of the config it is handed).
package admin
