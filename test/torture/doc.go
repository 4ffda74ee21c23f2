// Package torture runs the real relayd and relayctl binaries through faults
// an operator fears: kill -9 under load, a downstream outage (503, then
// refused connections), a downstream that never answers, a burst against
// storage.max_disk, and a thousand slowloris connections. Sinks and senders
// are real HTTP peers on 127.0.0.1 that count every id.
//
// `go test ./...` runs the short version of each scenario (seconds, fewer
// cycles and connections); `make torture` (RELAYD_TORTURE=1) runs the full
// one. Both log the figures docs/RELIABILITY.md reports as `figure:` lines
// (shown with -v). Tests assert what must hold (nothing acknowledged is
// lost, other destinations keep flowing, SIGTERM exits in its bound);
// latencies and sizes are reported, not asserted.
package torture
