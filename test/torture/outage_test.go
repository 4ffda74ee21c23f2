package torture

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestDownstreamOutage keeps a steady load on a route that fans out to a
// failing and a healthy destination. The failing sink answers 503 for a
// while, then refuses connections, then recovers. The healthy destination
// must keep receiving throughout, and everything acknowledged must reach
// both sinks after the recovery. RSS, ingress p99 and the requests that
// reached the failing sink are reported.
func TestDownstreamOutage(t *testing.T) {
	before, phase := pick(2*time.Second, 20*time.Second), pick(3*time.Second, 75*time.Second)
	failing, healthy := startSink(t, 0), startSink(t, 0)
	r := newRelayd(t, "", fastRetry+
		"destinations:\n"+
		"  - {name: failing, url: \"http://"+failing.addr+"/\"}\n"+
		"  - {name: healthy, url: \"http://"+healthy.addr+"/\"}\n"+
		"routes: [{name: in, path: /in, destinations: [failing, healthy]}]\n")
	r.start()

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	rss := sampleRSS(ctx, r)
	s := newSender(r.addr, "out", 500)
	senders := s.run(ctx, pick(100.0, 200.0), 8)

	start := time.Now()
	time.Sleep(before) // the scenario's clock: load before the outage
	outage := time.Now()
	failing.setMode(answer503)
	time.Sleep(phase)
	_, _, hits503 := failing.counts()
	failing.setMode(refuseConns)
	time.Sleep(phase)
	end := time.Now()
	stop()
	senders.Wait()
	ids := s.ackedIDs()

	// The healthy destination flowed while the other one was down: it got
	// deliveries during the outage and drains everything before recovery.
	duringOutage := healthy.okBetween(outage, end)
	if duringOutage == 0 {
		t.Fatalf("the healthy destination received nothing during the outage")
	}
	waitFor(t, "the healthy destination to receive everything while the other is still down", 60*time.Second, func() bool {
		return healthy.missing(ids) == 0
	})
	failing.setMode(answerOK)
	recovered := time.Now()
	waitFor(t, "the failing destination to drain after recovery", pick(60*time.Second, 5*time.Minute), func() bool {
		return failing.missing(ids) == 0
	})
	drain := time.Since(recovered)

	p99Before, nBefore := s.p99(start, outage)
	p99During, nDuring := s.p99(outage, end)
	acked, failed := s.counts()
	samples := <-rss
	figure(t, "downstream outage", "before=%s 503=%s refused=%s acked=%d not_acked=%d", before, phase, phase, acked, failed)
	figure(t, "downstream outage", "ingress p99 before=%s (n=%d) during=%s (n=%d)",
		p99Before.Round(time.Microsecond), nBefore, p99During.Round(time.Microsecond), nDuring)
	figure(t, "downstream outage", "requests to the failing sink during %s of 503: %d", phase, hits503)
	figure(t, "downstream outage", "healthy deliveries during the outage=%d; failing drained %s after recovery", duringOutage, drain.Round(time.Millisecond))
	figure(t, "downstream outage", "RSS KiB start=%d max=%d end=%d (%d samples)", samples[0], slices.Max(samples), samples[len(samples)-1], len(samples))
}

// sampleRSS reads relayd's RSS every 250 ms until ctx ends, then sends
// every reading.
func sampleRSS(ctx context.Context, r *relayd) <-chan []int {
	out := make(chan []int, 1)
	go func() {
		samples := []int{r.rssKiB()}
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				out <- append(samples, r.rssKiB())
				return
			case <-tick.C:
				samples = append(samples, r.rssKiB())
			}
		}
	}()
	return out
}
