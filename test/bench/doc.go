// Package bench measures relayd as a whole: durable ingest against a no-op
// fasthttp server under the same load, and end-to-end delivered/s to a
// fasthttp sink, with its Go load generator (`make bench`, RELAYD_BENCH=1)
// and with wrk (`make bench-wrk`: wrk_bench_test.go, testdata/post512.lua);
// the real binary over a backlog of 1,000,000 (`make bench-backlog`,
// RELAYD_BACKLOG=1: memory, drain rate, restart, disk) and over cycles of
// churn (`make bench-churn`). Results go to docs/BENCHMARKS.md as ratios
// measured in one run.
package bench
