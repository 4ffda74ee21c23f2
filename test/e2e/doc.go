// Package e2e holds end-to-end tests: they build the real relayd and
// relayctl binaries, run them against real HTTP sinks on 127.0.0.1, and
// check what an operator would check — answers, deliveries, relayctl output,
// exit codes — across kill -9, SIGHUP and SIGTERM.
package e2e
