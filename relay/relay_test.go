package relay

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relayd/relayd/queue"
)

func TestDeliverRecordsAttempt(t *testing.T) {
	t.Parallel()
	s := newSink(t, func(w http.ResponseWriter, _ *http.Request, _ int) { _, _ = w.Write([]byte("thanks")) })
	store := openStore(t, "")
	startRelay(t, store, testDest("billing", s.URL+"/eq_callback"))
	id := enqueueTo(t, store, "billing")
	d := waitState(t, store, id, "billing", queue.StateDelivered)
	got := s.got()
	if len(got) != 1 || string(got[0].Body) != string(eqCallback().Body) ||
		got[0].Header.Get("Content-Type") != "application/x-www-form-urlencoded; charset=utf-8" {
		t.Fatalf("sink saw %+v", got)
	}
	if len(d.Attempts) != 1 {
		t.Fatalf("%d attempts recorded, want 1", len(d.Attempts))
	}
	a := d.Attempts[0]
	if a.Status != 200 || a.Error != "" || string(a.Response) != "thanks" || a.At.IsZero() || a.Duration <= 0 {
		t.Errorf("attempt recorded as %+v", a)
	}
}

func TestRetryThenDelivered(t *testing.T) {
	t.Parallel()
	s := newSink(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n < 2 {
			w.WriteHeader(503)
		}
	})
	store := openStore(t, "")
	r := startRelay(t, store, testDest("billing", s.URL))
	events, cancel := r.Subscribe(10)
	defer cancel()
	id := enqueueTo(t, store, "billing")
	d := waitState(t, store, id, "billing", queue.StateDelivered)

	var attempts []string
	for _, req := range s.got() {
		attempts = append(attempts, req.Header.Get("X-Relay-Attempt"))
	}
	if strings.Join(attempts, ",") != "1,2,3" {
		t.Errorf("X-Relay-Attempt %v, want 1,2,3", attempts)
	}
	if len(d.Attempts) != 3 || d.Attempts[0].Status != 503 || d.Attempts[0].Error == "" || d.Attempts[2].Status != 200 {
		t.Errorf("attempts recorded: %+v", d.Attempts)
	}
	var results []string
	for range 3 {
		select {
		case e := <-events:
			if e.MessageID != id || e.Destination != "billing" {
				t.Errorf("event %+v", e)
			}
			if e.Result == ResultRetrying && !e.NextAttemptAt.After(e.At) {
				t.Errorf("retrying event without a next attempt time: %+v", e)
			}
			results = append(results, e.Result)
		case <-time.After(5 * time.Second):
			t.Fatal("missing event")
		}
	}
	if strings.Join(results, ",") != "retrying,retrying,delivered" {
		t.Errorf("events %v", results)
	}
}

func TestDeadAtOnce(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		respond   func(w http.ResponseWriter, r *http.Request, n int)
		wantError string
	}{
		"400": {func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(400) }, "HTTP 400"},
		"too many redirects": {func(w http.ResponseWriter, r *http.Request, n int) {
			http.Redirect(w, r, "/again", http.StatusTemporaryRedirect)
		}, "too many redirects"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := newSink(t, tc.respond)
			store := openStore(t, "")
			startRelay(t, store, testDest("billing", s.URL))
			id := enqueueTo(t, store, "billing")
			d := waitState(t, store, id, "billing", queue.StateDead)
			if d.AttemptCount != 1 || !strings.Contains(d.Attempts[0].Error, tc.wantError) {
				t.Errorf("%d attempts, last %+v; want 1 with %q", d.AttemptCount, d.Attempts, tc.wantError)
			}
		})
	}
}

func TestDeadAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	s := newSink(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(500) })
	store := openStore(t, "")
	dest := testDest("billing", s.URL)
	dest.Retry.MaxAttempts = 3
	startRelay(t, store, dest)
	id := enqueueTo(t, store, "billing")
	d := waitState(t, store, id, "billing", queue.StateDead)
	if d.AttemptCount != 3 || s.count() != 3 || !strings.Contains(d.Attempts[2].Error, "max_attempts") {
		t.Errorf("dead after %d attempts (sink %d), last error %q", d.AttemptCount, s.count(), d.Attempts[len(d.Attempts)-1].Error)
	}
}

func TestScheduleSurvivesRestart(t *testing.T) {
	t.Parallel()
	var fail atomic.Bool
	fail.Store(true)
	s := newSink(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		if fail.Load() {
			w.WriteHeader(503)
		}
	})
	dir := t.TempDir()
	store := openStore(t, dir)
	dest := testDest("billing", s.URL)
	dest.Retry.InitialInterval, dest.Retry.MaxInterval = 300*time.Millisecond, time.Second
	r := New(store, quiet)
	if err := r.Apply([]Destination{dest}); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	id := enqueueTo(t, store, "billing")
	d := waitState(t, store, id, "billing", queue.StateRetrying)
	if d.NextAttemptAt.IsZero() {
		t.Fatal("next attempt time not persisted")
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	fail.Store(false)
	startRelay(t, store, dest) // a fresh relay resumes from the store
	d = waitState(t, store, id, "billing", queue.StateDelivered)
	if d.AttemptCount != 2 || d.Attempts[1].At.Before(d.Attempts[0].At.Add(150*time.Millisecond)) {
		t.Errorf("attempts %+v: the second must follow the persisted schedule", d.Attempts)
	}
}

// concurrencySink counts requests in progress at once.
type concurrencySink struct {
	*sink
	now, peak atomic.Int32
	fail      atomic.Bool
	delay     atomic.Int64 // time.Duration
}

func newConcurrencySink(t *testing.T, delay time.Duration) *concurrencySink {
	c := &concurrencySink{}
	c.delay.Store(int64(delay))
	c.sink = newSink(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		n := c.now.Add(1)
		for {
			p := c.peak.Load()
			if n <= p || c.peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(time.Duration(c.delay.Load())) // the work a slow downstream does
		c.now.Add(-1)
		if c.fail.Load() {
			w.WriteHeader(503)
		}
	})
	return c
}

func TestBreakerProbesOneAtATime(t *testing.T) {
	t.Parallel()
	c := newConcurrencySink(t, 5*time.Millisecond)
	c.fail.Store(true)
	store := openStore(t, "")
	dest := testDest("billing", c.URL)
	dest.Concurrency = 4
	dest.Retry.InitialInterval, dest.Retry.MaxInterval = 5*time.Millisecond, 20*time.Millisecond
	r := startRelay(t, store, dest)
	var ids []string
	for range 12 {
		ids = append(ids, enqueueTo(t, store, "billing"))
	}
	waitFor(t, "backing-off", func() bool { return statusOf(r, "billing").State == StateBackingOff })
	waitFor(t, "probe only", func() bool { return statusOf(r, "billing").InFlight <= 1 })
	c.peak.Store(c.now.Load())
	base := c.count()
	waitFor(t, "20 probes", func() bool { return c.count() >= base+20 })
	if p := c.peak.Load(); p > 1 {
		t.Fatalf("%d requests at once while backing off, want 1", p)
	}
	if st := statusOf(r, "billing"); st.ConsecutiveFailures < specBreakerFailures || st.LastError == "" {
		t.Errorf("status %+v", st)
	}

	// The destination recovers: back to full concurrency.
	c.delay.Store(0)
	c.fail.Store(false)
	for _, id := range ids {
		waitState(t, store, id, "billing", queue.StateDelivered)
	}
	if st := statusOf(r, "billing"); st.State != StateActive || st.ConsecutiveFailures != 0 {
		t.Errorf("after recovery: %+v", st)
	}
}

func TestFullConcurrencyWhenHealthy(t *testing.T) {
	t.Parallel()
	c := newConcurrencySink(t, 30*time.Millisecond)
	store := openStore(t, "")
	dest := testDest("billing", c.URL)
	dest.Concurrency = 3
	startRelay(t, store, dest)
	var ids []string
	for range 9 {
		ids = append(ids, enqueueTo(t, store, "billing"))
	}
	for _, id := range ids {
		waitState(t, store, id, "billing", queue.StateDelivered)
	}
	if p := c.peak.Load(); p != 3 {
		t.Errorf("peak concurrency %d, want exactly concurrency (3)", p)
	}
}

func TestPauseResume(t *testing.T) {
	t.Parallel()
	paused := newSink(t, nil)
	other := newSink(t, nil)
	store := openStore(t, "")
	r := startRelay(t, store, testDest("billing", paused.URL), testDest("mailer", other.URL))
	if err := r.Pause("billing"); err != nil {
		t.Fatal(err)
	}
	if st := statusOf(r, "billing"); st.State != StatePaused || !store.Paused()["billing"] {
		t.Fatalf("state %q, persisted %v", st.State, store.Paused())
	}
	id := enqueueTo(t, store, "billing", "mailer")
	// The same message reaching the other destination shows the relay ran.
	waitState(t, store, id, "mailer", queue.StateDelivered)
	if n := paused.count(); n != 0 || delivery(t, store, id, "billing").State == queue.StateDelivered {
		t.Fatalf("paused destination received %d requests", n)
	}
	if err := r.Resume("billing"); err != nil {
		t.Fatal(err)
	}
	waitState(t, store, id, "billing", queue.StateDelivered)
	if store.Paused()["billing"] || statusOf(r, "billing").State != StateActive {
		t.Error("resume not persisted or shown")
	}
}

func TestPausePersistsAcrossRelays(t *testing.T) {
	t.Parallel()
	store := openStore(t, "")
	dest := testDest("billing", "http://127.0.0.1:9/")
	r1 := New(store, quiet)
	if err := r1.Apply([]Destination{dest}); err != nil {
		t.Fatal(err)
	}
	if err := r1.Pause("billing"); err != nil {
		t.Fatal(err)
	}
	r2 := New(store, quiet)
	if err := r2.Apply([]Destination{dest}); err != nil {
		t.Fatal(err)
	}
	if st := statusOf(r2, "billing"); st.State != StatePaused {
		t.Errorf("a new relay shows %q, want paused", st.State)
	}
}

func TestDisabledDestinationLeasesNothing(t *testing.T) {
	t.Parallel()
	off := newSink(t, nil)
	on := newSink(t, nil)
	store := openStore(t, "")
	disabled := testDest("billing", off.URL)
	disabled.Enabled = false
	r := startRelay(t, store, disabled, testDest("mailer", on.URL))
	id := enqueueTo(t, store, "billing", "mailer")
	waitState(t, store, id, "mailer", queue.StateDelivered)
	if off.count() != 0 || delivery(t, store, id, "billing").State != queue.StatePending {
		t.Fatal("a disabled destination was delivered to")
	}
	if st := statusOf(r, "billing"); st.State != StateDisabled {
		t.Errorf("state %q, want disabled", st.State)
	}
}

func TestUnknownDestination(t *testing.T) {
	t.Parallel()
	r := New(openStore(t, ""), quiet)
	for name, call := range map[string]func(string) error{"pause": r.Pause, "resume": r.Resume} {
		err := call("nope")
		if !errors.Is(err, ErrUnknownDestination) || !strings.Contains(err.Error(), "nope") {
			t.Errorf("%s: %v, want ErrUnknownDestination naming nope", name, err)
		}
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var arrived []time.Time
	s := newSink(t, func(_ http.ResponseWriter, _ *http.Request, _ int) {
		mu.Lock()
		arrived = append(arrived, time.Now())
		mu.Unlock()
	})
	store := openStore(t, "")
	dest := testDest("billing", s.URL)
	dest.RateLimit = 20 // one per 50 ms
	dest.Concurrency = 6
	startRelay(t, store, dest)
	var ids []string
	for range 6 {
		ids = append(ids, enqueueTo(t, store, "billing"))
	}
	for _, id := range ids {
		waitState(t, store, id, "billing", queue.StateDelivered)
	}
	// Six sends at 20/s span five 50 ms intervals. Measured at the sink,
	// so transit jitter is allowed for; without the limit, six concurrent
	// workers deliver all of them within a few milliseconds.
	mu.Lock()
	defer mu.Unlock()
	if span := arrived[len(arrived)-1].Sub(arrived[0]); len(arrived) != 6 || span < 200*time.Millisecond {
		t.Errorf("%d deliveries at 20/s spanned %v at the sink, want 6 spanning ≥ 250ms (200ms with jitter)", len(arrived), span)
	}
}

func TestCloseWaitsForInFlight(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	s := newSink(t, func(_ http.ResponseWriter, _ *http.Request, _ int) {
		entered <- struct{}{}
		<-release
	})
	store := openStore(t, "")
	r := New(store, quiet)
	if err := r.Apply([]Destination{testDest("billing", s.URL)}); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	id := enqueueTo(t, store, "billing")
	<-entered
	closed := make(chan error, 1)
	go func() { closed <- r.Close(context.Background()) }()
	waitFor(t, "dispatcher stopped", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.closed
	})
	close(release)
	if err := <-closed; err != nil {
		t.Fatalf("close: %v", err)
	}
	// Close returned only after the attempt was recorded.
	if d := delivery(t, store, id, "billing"); d.State != queue.StateDelivered || d.AttemptCount != 1 {
		t.Fatalf("after close: %s with %d attempts, want delivered", d.State, d.AttemptCount)
	}
	if err := r.Close(context.Background()); err != nil {
		t.Errorf("second close: %v", err)
	}
}

func TestCloseReleasesWhenTimeRunsOut(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	var once sync.Once
	s := newSink(t, func(_ http.ResponseWriter, _ *http.Request, _ int) {
		once.Do(func() { entered <- struct{}{} })
		<-release
	})
	defer close(release)
	store := openStore(t, "")
	r := New(store, quiet)
	if err := r.Apply([]Destination{testDest("billing", s.URL)}); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	id := enqueueTo(t, store, "billing")
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := r.Close(ctx); err == nil {
		t.Fatal("close reported nothing left in flight")
	}
	// Released: not in flight, due again, nothing recorded.
	d := delivery(t, store, id, "billing")
	if d.State == queue.StateDelivering || d.AttemptCount != 0 {
		t.Fatalf("after close: %s with %d attempts, want released", d.State, d.AttemptCount)
	}
	if ls, err := store.Lease("billing", time.Now(), 1); err != nil || len(ls) != 1 {
		t.Fatalf("released delivery not leasable again: %v %v", ls, err)
	}
}
