// Package bench measures relayd as a whole: durable ingest against a no-op
// fasthttp server under the same load, and end-to-end delivered/s to a
// fasthttp sink. Run with `make bench` (RELAYD_BENCH=1); results go to
// docs/BENCHMARKS.md as ratios measured in one run.
package bench
