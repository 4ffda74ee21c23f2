package torture

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"
)

// fastRetry makes a delivery that failed (or was in flight at a crash) due
// again quickly, so a scenario's drain takes seconds.
const fastRetry = `defaults:
  timeout: 2s
  retry: {initial_interval: 100ms, multiplier: 2, max_interval: 1s}
`

// TestKill9UnderLoad kills relayd with SIGKILL at random moments while
// senders post and the sink receives, restarts it on the same state
// directory each time, and checks after a final drain that every callback
// answered 202 reached the sink.
func TestKill9UnderLoad(t *testing.T) {
	cycles := pick(5, 50)
	// 5 ms per request keeps a few deliveries in flight at each kill.
	sk := startSink(t, 5*time.Millisecond)
	r := newRelayd(t, "", fastRetry+
		"destinations: [{name: sink, url: \"http://"+sk.addr+"/\"}]\n"+
		"routes: [{name: in, path: /in, destinations: [sink]}]\n")
	r.start()

	s := newSender(r.addr, "k9", 200)
	ctx, stop := context.WithCancel(context.Background())
	senders := s.run(ctx, 300, 8)
	for c := 0; c < cycles; c++ {
		// Up for 100..600 ms: long enough to ingest and deliver, short
		// enough that the kill lands in the middle of both.
		up := time.Now().Add(time.Duration(100+rand.IntN(500)) * time.Millisecond)
		acked, _ := s.counts()
		waitFor(t, "callbacks acknowledged in this cycle", 20*time.Second, func() bool {
			n, _ := s.counts()
			return n > acked && time.Now().After(up)
		})
		r.kill()
		r.start()
	}
	stop()
	senders.Wait()

	ids := s.ackedIDs()
	if !waitUntil(pick(60*time.Second, 5*time.Minute), func() bool { return sk.missing(ids) == 0 }) {
		t.Fatalf("lost: %d of %d acknowledged callbacks never arrived after the last restart", sk.missing(ids), len(ids))
	}
	acked, failed := s.counts()
	delivered, distinct, _ := sk.counts()
	figure(t, "kill -9 under load", "cycles=%d acked=%d refused_or_failed=%d delivered=%d distinct=%d lost=%d duplicates=%d",
		cycles, acked, failed, delivered, distinct, sk.missing(ids), delivered-distinct)
}
