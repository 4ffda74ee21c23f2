package relay

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// recorder is an Observer keeping what it is told.
type recorder struct {
	mu       sync.Mutex
	attempts []string // destination/outcome/dead
	breaker  []string // destination/to
}

func (r *recorder) Attempted(dest, outcome string, took time.Duration, dead bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if took <= 0 {
		outcome += "(no duration)"
	}
	r.attempts = append(r.attempts, fmt.Sprintf("%s/%s/%v", dest, outcome, dead))
}

func (r *recorder) BreakerChanged(dest, to string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.breaker = append(r.breaker, dest+"/"+to)
}

func (r *recorder) seen() (attempts, breaker []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.attempts), slices.Clone(r.breaker)
}

// The observer hears every attempt with its outcome (a timeout and a
// refused redirect by those names) and every breaker transition, in order.
func TestObserverHearsOutcomesAndTransitions(t *testing.T) {
	t.Parallel()
	slowSink := newSink(t, func(http.ResponseWriter, *http.Request, int) { time.Sleep(300 * time.Millisecond) })
	redirect := newSink(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Location", "http://169.254.1.1/")
		w.WriteHeader(http.StatusFound)
	})
	flaky := newSink(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n < 3 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	slow := testDest("slow", slowSink.URL)
	slow.Timeout, slow.Retry.MaxAttempts = 50*time.Millisecond, 1
	dests := []Destination{slow, testDest("linklocal", redirect.URL), testDest("flaky", flaky.URL)}
	dests[2].Concurrency = 1 // the three failures in a row come before the success
	store := openStore(t, "")
	r := New(store, quiet)
	rec := &recorder{}
	r.SetObserver(rec)
	if err := r.Apply(dests); err != nil {
		t.Fatal(err)
	}
	for _, d := range dests {
		enqueueTo(t, store, d.Name)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r.Close(ctx)
	})
	want := []string{"slow/timeout/true", "linklocal/refused_redirect/true",
		"flaky/retry/false", "flaky/retry/false", "flaky/retry/false", "flaky/delivered/false"}
	waitFor(t, "every attempt observed", func() bool { a, _ := rec.seen(); return len(a) == len(want) })
	attempts, breaker := rec.seen()
	for _, w := range want {
		if !slices.Contains(attempts, w) {
			t.Errorf("attempts %v lack %s", attempts, w)
		}
	}
	if w := []string{"flaky/open", "flaky/half_open", "flaky/closed"}; !slices.Equal(breaker, w) {
		t.Errorf("breaker transitions %v, want %v", breaker, w)
	}
}
