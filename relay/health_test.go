package relay

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/relayd/relayd/queue"
)

func TestHealthTransitions(t *testing.T) {
	t.Parallel()
	type step struct {
		r    queue.Result
		want healthChange
	}
	d, r, ok := queue.Dead, queue.Retry, queue.Delivered
	cases := map[string]struct {
		after int
		steps []step
	}{
		"failing at the threshold, once":  {3, []step{{d, healthSame}, {d, healthSame}, {d, healthFailing}, {d, healthSame}}},
		"retries neither count nor reset": {2, []step{{d, healthSame}, {r, healthSame}, {d, healthFailing}, {r, healthSame}}},
		"a delivery resets the count":     {2, []step{{d, healthSame}, {ok, healthSame}, {d, healthSame}, {d, healthFailing}}},
		"a delivery recovers, once":       {1, []step{{d, healthFailing}, {ok, healthRecovered}, {ok, healthSame}}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var h health
			for i, s := range tc.steps {
				if got := h.observe(s.r, tc.after); got != s.want {
					t.Fatalf("step %d (%v): change %v, want %v", i, s.r, got, s.want)
				}
			}
		})
	}
}

// A destination whose deliveries go dead FailingAfter times in a row shows
// failing until one is delivered; pause and backing-off take precedence.
func TestFailingUntilDelivered(t *testing.T) {
	t.Parallel()
	var status atomic.Int32
	status.Store(400)
	s := newSink(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(int(status.Load())) })
	store := openStore(t, "")
	dest := testDest("billing", s.URL)
	dest.FailingAfter = 3
	r := startRelay(t, store, dest)
	for i := range 3 {
		if st := statusOf(r, "billing"); st.State != StateActive {
			t.Fatalf("after %d dead: state %q, want active", i, st.State)
		}
		waitState(t, store, enqueueTo(t, store, "billing"), "billing", queue.StateDead)
		// The store has the death before the worker counts it.
		waitFor(t, "dead counted", func() bool { return statusOf(r, "billing").ConsecutiveDead == i+1 })
	}
	if st := statusOf(r, "billing"); st.State != StateFailing || st.ConsecutiveDead != 3 {
		t.Fatalf("after 3 dead: state %q, %d dead in a row; want failing, 3", st.State, st.ConsecutiveDead)
	}
	if err := r.Pause("billing"); err != nil {
		t.Fatal(err)
	}
	if st := statusOf(r, "billing"); st.State != StatePaused {
		t.Fatalf("paused while failing shows %q", st.State)
	}
	if err := r.Resume("billing"); err != nil {
		t.Fatal(err)
	}
	status.Store(200)
	waitState(t, store, enqueueTo(t, store, "billing"), "billing", queue.StateDelivered)
	waitFor(t, "delivery counted", func() bool { return statusOf(r, "billing").ConsecutiveDead == 0 })
	if st := statusOf(r, "billing"); st.State != StateActive || st.ConsecutiveDead != 0 {
		t.Fatalf("after a delivery: state %q, %d dead in a row; want active, 0", st.State, st.ConsecutiveDead)
	}
}
