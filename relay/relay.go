package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/relayd/relayd/queue"
)

// ErrClosed is returned by Apply and Start after Close.
var ErrClosed = errors.New("relay closed")

// Relay runs the delivery workers of every destination.
type Relay struct {
	store  *queue.Store
	logger *slog.Logger
	events eventHub
	obs    observers
	scope  scope

	mu       sync.Mutex
	order    []*destination          // configuration order
	byName   map[string]*destination // the same, by name
	retiring []*destination          // stopped by a reload, finishing in-flight
	runCtx   context.Context         // nil until Start
	cancel   context.CancelFunc
	closed   bool
}

// New wires a Relay on store. Nothing runs until Start.
func New(store *queue.Store, logger *slog.Logger) *Relay {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Relay{store: store, logger: logger, byName: map[string]*destination{}}
}

// Apply builds dests and installs them (Build, then Install): the first
// call at startup, later ones from tests. It keeps the consumed
// credentials installed before.
func (r *Relay) Apply(dests []Destination) error {
	set, err := r.Build(dests, nil)
	if err != nil {
		return err
	}
	return r.Install(set)
}

// DestinationSet is a destination set built and not yet running: what
// Install swaps in. One that is never installed holds nothing to release.
type DestinationSet struct {
	built     []*destination
	consumed  map[string]ConsumedAuth // nil = keep the installed ones
	installed bool                    // its destinations belong to the Relay
}

// Build builds everything dests need to run — senders, TLS configs from
// their CA files, URLs, signing secrets, rate limits — and starts, stops
// and changes nothing, so a reload can build the routes too before it
// swaps either. consumed (SetConsumedAuth's map) is installed with the
// set; nil keeps the current one.
func (r *Relay) Build(dests []Destination, consumed map[string]ConsumedAuth) (*DestinationSet, error) {
	set := &DestinationSet{built: make([]*destination, 0, len(dests)), consumed: consumed}
	seen := map[string]bool{}
	for _, cfg := range dests {
		if cfg.Name == "" {
			return nil, errors.New("build destinations: a destination has no name")
		}
		if seen[cfg.Name] {
			return nil, fmt.Errorf("build destinations: %q configured twice", cfg.Name)
		}
		seen[cfg.Name] = true
		d, err := newDestination(cfg, r.store, r.logger, &r.events, &r.obs, &r.scope)
		if err != nil {
			return nil, fmt.Errorf("build destination %q: %w", cfg.Name, err)
		}
		set.built = append(set.built, d)
	}
	return set, nil
}

// Install swaps a built set in; it fails only after Close. A destination
// whose settings (and CA file content) are unchanged keeps running
// untouched, in-flight deliveries, breaker and all; a changed one is
// replaced, carrying over its breaker and held time, and starts once the
// instance it replaces has finished its in-flight deliveries; a removed
// one stops (its deliveries stay queued). Safe before or after Start.
func (r *Relay) Install(set *DestinationSet) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	if set.installed {
		return errors.New("install destinations: this set is already installed")
	}
	set.installed = true
	if set.consumed != nil {
		r.scope.consumed.set(set.consumed)
	}
	paused := r.store.PauseReasons()
	order := make([]*destination, 0, len(set.built))
	byName := make(map[string]*destination, len(set.built))
	for _, d := range set.built {
		old := r.byName[d.cfg.Name]
		if old != nil && old.sameAs(d) {
			order = append(order, old) // untouched
			byName[d.cfg.Name] = old
			continue
		}
		r.replace(old, d, paused)
		order = append(order, d)
		byName[d.cfg.Name] = d
	}
	for name, old := range r.byName {
		if byName[name] == nil {
			r.retire(old)
			r.logger.Info("destination removed; its deliveries stay queued", "destination", name)
		}
	}
	r.order, r.byName = order, byName
	return nil
}

// replace starts d in place of old (nil for a new destination). r.mu is
// held.
func (r *Relay) replace(old, d *destination, paused map[string]string) {
	d.pauseReason, d.paused = paused[d.cfg.Name]
	d.held.set(d.paused, time.Now()) // paused before a restart: held from now
	var after <-chan struct{}
	if old != nil {
		d.inherit(old)
		after = r.retire(old)
		r.logger.Info("destination restarted with new settings", "destination", d.cfg.Name)
	}
	if r.runCtx != nil {
		d.start(r.runCtx, after)
	}
}

// retire stops old gracefully and keeps it until its in-flight deliveries
// finish; the returned channel closes then. r.mu is held.
func (r *Relay) retire(old *destination) <-chan struct{} {
	old.stop()
	kept := r.retiring[:0]
	for _, d := range r.retiring {
		select {
		case <-d.finished():
		default:
			kept = append(kept, d)
		}
	}
	r.retiring = append(kept, old)
	return old.finished()
}

// SetOwnListeners tells relay the bound addresses of relayd's own
// listeners; a redirect that would reach one of them is refused. A
// listener on 0.0.0.0 or :: stands for every local address with its port.
func (r *Relay) SetOwnListeners(addrs ...net.Addr) { r.scope.own.set(addrs) }

// SetConsumedAuth installs, by route name, the credentials each route's
// auth consumed; they are removed from what is forwarded to a destination
// without ForwardAuth. Called at startup and on every reload.
func (r *Relay) SetConsumedAuth(byRoute map[string]ConsumedAuth) { r.scope.consumed.set(byRoute) }

// Start runs the dispatchers of every enabled destination and returns; they
// run until ctx is cancelled or Close. A second call is an error.
func (r *Relay) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	if r.runCtx != nil {
		return errors.New("relay already started")
	}
	r.runCtx, r.cancel = context.WithCancel(ctx)
	for _, d := range r.order {
		d.start(r.runCtx, nil)
	}
	return nil
}

// Close stops leasing, waits for in-flight deliveries until ctx is done,
// releases what is left, and returns. Safe to call twice.
func (r *Relay) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	if r.cancel != nil {
		r.cancel()
	}
	all := append(append([]*destination(nil), r.order...), r.retiring...)
	r.mu.Unlock()

	for _, d := range all {
		d.stop()
	}
	released := 0
	for _, d := range all {
		select {
		case <-d.finished():
		case <-ctx.Done():
			released += d.abandon()
		}
	}
	if released > 0 {
		r.logger.Warn("shutdown: released deliveries still in flight; they will be sent again", "count", released)
		return fmt.Errorf("close relay: released %d deliveries still in flight: %w", released, ctx.Err())
	}
	return nil
}

// Pause holds dest's deliveries (persisted in the queue): nothing more is
// leased; deliveries in flight finish. The caller logs it (the admin
// socket's one line per command, with who asked), so Pause and Resume log
// nothing: a second line would repeat the event.
func (r *Relay) Pause(dest string) error { return r.setPaused(dest, true) }

// Resume releases a paused destination's deliveries.
func (r *Relay) Resume(dest string) error { return r.setPaused(dest, false) }

func (r *Relay) setPaused(name string, paused bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := r.byName[name]
	if d == nil {
		return fmt.Errorf("%w: %q", ErrUnknownDestination, name)
	}
	if err := r.store.SetPaused(name, paused); err != nil {
		return fmt.Errorf("persist paused=%t for %q: %w", paused, name, err)
	}
	d.setPaused(paused)
	return nil
}

// Destinations returns the live state of every configured destination, in
// configuration order.
func (r *Relay) Destinations() []DestinationStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]DestinationStatus, 0, len(r.order))
	for _, d := range r.order {
		out = append(out, d.status())
	}
	return out
}

// Subscribe returns a channel of delivery events and a cancel func. A slow
// subscriber misses events rather than slowing delivery.
func (r *Relay) Subscribe(buffer int) (<-chan Event, func()) {
	return r.events.subscribe(buffer)
}
