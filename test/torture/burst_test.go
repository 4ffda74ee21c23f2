package torture

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// TestMaxDiskUnderBurst posts 32 KiB callbacks at full speed against
// storage.max_disk: 96MiB with nothing draining, samples the store's size
// on disk, and reports its peak against the cap; after a restart every
// acknowledged callback must still be queued. A full filesystem
// (storage.min_free) is test/e2e TestFullDiskAnswers503AndLosesNothing,
// which needs root for its tmpfs. Full version only: the burst writes
// hundreds of MiB.
func TestMaxDiskUnderBurst(t *testing.T) {
	if !full {
		t.Skip("full version only (make torture): the burst writes hundreds of MiB")
	}
	const capBytes = 96 << 20
	r := newRelayd(t, ", max_disk: 96MiB", fastRetry+
		"destinations: [{name: parked, url: \"http://127.0.0.1:9/\", enabled: false}]\n"+
		"routes: [{name: in, path: /in, destinations: [parked]}]\n")
	r.start()

	ctx, stop := context.WithCancel(context.Background())
	peak := make(chan int64, 1)
	go func() {
		var top int64
		for ctx.Err() == nil {
			top = max(top, r.storeBytes())
			time.Sleep(20 * time.Millisecond) // a sampling period, not a wait
		}
		peak <- top
	}()
	s := newSender(r.addr, "burst", 32<<10)
	start := time.Now()
	senders := s.run(ctx, 1e6, 16)
	waitFor(t, "the first refusal", 2*time.Minute, func() bool { _, failed := s.counts(); return failed > 0 })
	firstRefusal := time.Since(start)
	time.Sleep(3 * time.Second) // keep pushing past the cap
	stop()
	senders.Wait()
	top := <-peak
	acked, refused := s.counts()

	r.cmd.Process.Signal(syscall.SIGTERM)
	r.waitExit(drainBound + exitMargin)
	r.start()
	var st struct {
		Destinations []struct {
			Pending int `json:"pending"`
		} `json:"destinations"`
	}
	r.relayctl(&st, "status")
	if len(st.Destinations) != 1 || st.Destinations[0].Pending != acked {
		t.Fatalf("after a restart: %+v queued, %d were acknowledged", st.Destinations, acked)
	}
	figure(t, "max_disk under a burst", "cap=96MiB peak store=%.1fMiB (%.2f× the cap); acked=%d (%.1fMiB of bodies) refused=%d; first 503 after %s",
		float64(top)/(1<<20), float64(top)/capBytes, acked, float64(acked)*32/1024, refused, firstRefusal.Round(time.Millisecond))
}
