package relay

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/url"
	"reflect"
	"sync"
	"time"

	"github.com/relayd/relayd/queue"
)

// leaseErrorDelay is how long a dispatcher waits after the store failed to
// lease, and pastDueRecheck how long after a due delivery it could not
// lease (held back by its ordering key); a kick or Wake comes sooner when
// that changes.
const (
	leaseErrorDelay = time.Second
	pastDueRecheck  = time.Second
)

// leaseState is where a leased delivery is.
type leaseState int

const (
	leaseHeld       leaseState = iota // with a worker
	leaseCompleting                   // the worker is recording its outcome
)

// destination runs one configured destination: a dispatcher that leases
// due deliveries and a pool of workers that send them.
type destination struct {
	cfg        Destination
	displayURL string // cfg.URL with any password redacted
	sender     *sender
	caPEM      []byte // to notice a changed CA file on reload
	store      *queue.Store
	logger     *slog.Logger
	events     *eventHub
	obs        *observers
	limiter    *tokenBucket // nil = no rate limit

	jobs chan *queue.Lease
	kick chan struct{} // a slot freed or pause changed

	mu       sync.Mutex
	started  bool
	stopped  bool
	cancel   context.CancelFunc // stops leasing
	done     chan struct{}      // closed when dispatcher and workers exited
	doneOnce sync.Once

	paused        bool
	pauseReason   string // "" = by the operator; ReasonGone
	health        health
	leases        map[*queue.Lease]leaseState
	breaker       *breaker
	held          heldTime // paused or breaker not closed, for max_elapsed
	lastAttemptAt time.Time
	lastError     string
}

func newDestination(cfg Destination, store *queue.Store, logger *slog.Logger, events *eventHub, obs *observers, sc *scope) (*destination, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	s, caPEM, err := newSender(cfg, sc)
	if err != nil {
		return nil, err
	}
	display := cfg.URL
	if u, err := url.Parse(cfg.URL); err == nil {
		display = u.Redacted()
	}
	return &destination{
		cfg:        cfg,
		displayURL: display,
		sender:     s,
		caPEM:      caPEM,
		store:      store,
		logger:     logger.With("destination", cfg.Name),
		events:     events,
		obs:        obs,
		limiter:    newTokenBucket(cfg.RateLimit),
		jobs:       make(chan *queue.Lease, cfg.Concurrency),
		kick:       make(chan struct{}, 1),
		done:       make(chan struct{}),
		leases:     map[*queue.Lease]leaseState{},
		breaker:    newBreaker(cfg.BreakerFailures, cfg.Retry),
	}, nil
}

// sameAs reports whether o was built from the same settings (and CA file
// content), so a reload keeps d running untouched.
func (d *destination) sameAs(o *destination) bool {
	return reflect.DeepEqual(d.cfg, o.cfg) && bytes.Equal(d.caPEM, o.caPEM)
}

// inherit carries the live failure state of the instance d replaces: its
// breaker (with d's threshold and schedule) and its held time.
func (d *destination) inherit(old *destination) {
	old.mu.Lock()
	brk, held, at, lastErr := *old.breaker, old.held, old.lastAttemptAt, old.lastError
	h := old.health
	old.mu.Unlock()
	held.spans = append([]heldSpan(nil), held.spans...)
	brk.configure(d.cfg.BreakerFailures, d.cfg.Retry)
	d.mu.Lock()
	*d.breaker, d.held, d.lastAttemptAt, d.lastError = brk, held, at, lastErr
	d.health = h
	d.held.set(d.holding(), time.Now())
	d.mu.Unlock()
}

// start runs the dispatcher and workers under ctx once after is closed (the
// instance it replaces has finished; nil = at once). A disabled destination
// runs nothing.
func (d *destination) start(ctx context.Context, after <-chan struct{}) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.started || d.stopped {
		return
	}
	d.started = true
	if !d.cfg.Enabled {
		d.closeDone()
		return
	}
	ctx, d.cancel = context.WithCancel(ctx)
	go d.run(ctx, after)
}

func (d *destination) run(ctx context.Context, after <-chan struct{}) {
	defer d.closeDone()
	if after != nil {
		select {
		case <-after:
		case <-ctx.Done():
			return
		}
	}
	var workers sync.WaitGroup
	for range d.cfg.Concurrency {
		workers.Go(func() { d.work(ctx) })
	}
	d.dispatch(ctx)
	close(d.jobs)
	workers.Wait()
	d.sender.clients.closeIdle()
}

// stop makes d lease nothing more; in-flight deliveries finish. finished
// tells when they have.
func (d *destination) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopped = true
	if d.cancel != nil {
		d.cancel()
	} else {
		d.closeDone() // never ran
	}
}

func (d *destination) finished() <-chan struct{} { return d.done }

func (d *destination) closeDone() { d.doneOnce.Do(func() { close(d.done) }) }

// abandon releases every lease whose attempt has not finished (Close ran
// out of time); their workers record nothing when they return.
func (d *destination) abandon() int {
	d.mu.Lock()
	var left []*queue.Lease
	for l, st := range d.leases {
		if st == leaseHeld {
			left = append(left, l)
			delete(d.leases, l)
		}
	}
	d.mu.Unlock()
	for _, l := range left {
		d.store.Release(l)
	}
	return len(left)
}

func (d *destination) setPaused(paused bool) {
	d.mu.Lock()
	d.paused, d.pauseReason = paused, ""
	d.held.set(d.holding(), time.Now())
	d.mu.Unlock()
	d.signal()
}

// holding reports whether d holds its deliveries back: paused, or its
// breaker not closed (a probe aside). d.mu is held.
func (d *destination) holding() bool { return d.paused || !d.breaker.closed() }

func (d *destination) signal() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// slots returns how many more deliveries may be leased now: none when
// paused, none while the breaker is open (wait says until when), one probe
// when it is half-open, else up to concurrency.
func (d *destination) slots(now time.Time) (free int, wait time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.paused {
		return 0, -1
	}
	was := d.breaker.state
	limit, wait := d.breaker.limit(now)
	if was == breakerOpen && d.breaker.state == breakerHalfOpen {
		if obs := d.obs.get(); obs != nil {
			obs.BreakerChanged(d.cfg.Name, BreakerHalfOpen)
		}
	}
	switch {
	case limit == 0:
		return 0, wait
	case limit < 0:
		limit = d.cfg.Concurrency
	}
	return limit - len(d.leases), -1
}

// dispatch leases due deliveries while slots are free and otherwise sleeps
// until the next is due, the store announces a new one, a worker frees a
// slot, or ctx is done.
func (d *destination) dispatch(ctx context.Context) {
	wake := d.store.Wake(d.cfg.Name)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for ctx.Err() == nil {
		wait, again := d.leaseDue()
		if again {
			continue
		}
		var timeout <-chan time.Time
		if wait >= 0 {
			timer.Reset(wait)
			timeout = timer.C
		}
		select {
		case <-ctx.Done():
		case <-d.kick:
		case <-wake:
		case <-timeout:
		}
	}
}

// leaseDue leases what is due into free slots. It returns again=true when
// every free slot was filled (more may be due), else how long to sleep
// (-1 = until signalled).
func (d *destination) leaseDue() (wait time.Duration, again bool) {
	now := time.Now()
	free, wait := d.slots(now)
	if free <= 0 {
		return wait, false
	}
	leases, err := d.store.Lease(d.cfg.Name, now, free)
	if err != nil {
		if !errors.Is(err, queue.ErrClosed) {
			d.logger.Error("lease deliveries", "err", err)
		}
		return leaseErrorDelay, false
	}
	d.mu.Lock()
	for _, l := range leases {
		d.leases[l] = leaseHeld
	}
	d.mu.Unlock()
	for _, l := range leases {
		d.jobs <- l // never blocks: at most concurrency leases exist
	}
	if len(leases) == free {
		return 0, true
	}
	next, ok := d.store.NextDue(d.cfg.Name)
	if !ok {
		return -1, false
	}
	if wait = time.Until(next); wait <= 0 {
		wait = pastDueRecheck
	}
	return wait, false
}

// work sends the deliveries handed to it until jobs is closed. After ctx is
// done, leases not yet started are released, not sent.
func (d *destination) work(ctx context.Context) {
	scratch := make([]byte, responsePrefix)
	for l := range d.jobs {
		if ctx.Err() != nil || (d.limiter != nil && d.limiter.wait(ctx) != nil) || d.holdsBack() {
			d.release(l)
			continue
		}
		d.deliver(l, scratch)
	}
}

// holdsBack reports whether a leased delivery must go back unsent: the
// breaker opened after it was leased. Released, it spends no attempt.
func (d *destination) holdsBack() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.breaker.holds(time.Now())
}

func (d *destination) release(l *queue.Lease) {
	d.mu.Lock()
	_, held := d.leases[l]
	delete(d.leases, l)
	d.mu.Unlock()
	if held {
		d.store.Release(l)
	}
	d.signal()
}
