package daemon

import (
	"reflect"
	"testing"
	"time"

	"github.com/relayd/relayd/daemon/config"
	"github.com/relayd/relayd/relay"
)

// TestRelayDestinationsTakeConfigAsGiven: defaults live in daemon/config
// alone. What a destination leaves out comes from the file's defaults
// block (every value here differs from config.Default), and relay gets
// exactly that: a number the daemon supplied itself would show.
func TestRelayDestinationsTakeConfigAsGiven(t *testing.T) {
	cfg, err := config.Parse([]byte(`
defaults:
  timeout: 3s
  max_redirects: 2
  tls_skip_verify: true
  concurrency: 7
  retry: {initial_interval: 2s, multiplier: 3, randomization: 0.25, max_interval: 1m, max_elapsed: 2h, max_attempts: 9, on_status: [503]}
  breaker: {failures: 4, failing_after: 6}
destinations:
  - {name: plain, url: "http://127.0.0.1:9/"}
  - {name: own, url: "http://127.0.0.1:9/", max_redirects: 0, enabled: false, retry: {randomization: 0}, breaker: {failures: 1}}
routes: [{name: r, path: /in, destinations: [plain, own]}]
`), "test")
	if err != nil {
		t.Fatal(err)
	}
	inherited := relay.Destination{
		Name: "plain", URL: "http://127.0.0.1:9/", TLSSkipVerify: true, Timeout: 3 * time.Second,
		MaxRedirects: 2, Concurrency: 7, Enabled: true, BreakerFailures: 4, FailingAfter: 6,
		Retry: relay.RetryPolicy{
			InitialInterval: 2 * time.Second, Multiplier: 3, Randomization: 0.25, MaxInterval: time.Minute,
			MaxElapsed: 2 * time.Hour, MaxAttempts: 9, OnStatus: []relay.StatusRange{{Lo: 503, Hi: 503}},
		},
	}
	own := inherited
	own.Name, own.MaxRedirects, own.Enabled, own.BreakerFailures = "own", 0, false, 1
	own.Retry.Randomization = 0
	got := relayDestinations(cfg)
	for i, want := range []relay.Destination{inherited, own} {
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("destination %s:\n got %+v\nwant %+v", want.Name, got[i], want)
		}
	}
}
