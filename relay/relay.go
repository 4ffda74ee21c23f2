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

// Apply installs a destination set: the first call at startup, later ones on
// reload. It builds every client first (CA files, URLs) and changes nothing
// when one fails. Destinations kept by name whose settings changed are
// restarted; removed ones stop (their deliveries stay queued). Safe to call
// before or after Start.
func (r *Relay) Apply(dests []Destination) error {
	built := make([]*destination, 0, len(dests))
	seen := map[string]bool{}
	for _, cfg := range dests {
		if cfg.Name == "" {
			return errors.New("apply destinations: a destination has no name")
		}
		if seen[cfg.Name] {
			return fmt.Errorf("apply destinations: %q configured twice", cfg.Name)
		}
		seen[cfg.Name] = true
		d, err := newDestination(cfg, r.store, r.logger, &r.events, &r.obs, &r.scope)
		if err != nil {
			return fmt.Errorf("apply destination %q: %w", cfg.Name, err)
		}
		built = append(built, d)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	paused := r.store.PauseReasons()
	order := make([]*destination, 0, len(built))
	byName := make(map[string]*destination, len(built))
	for _, d := range built {
		old := r.byName[d.cfg.Name]
		if old != nil && old.sameAs(d) {
			order = append(order, old) // untouched
			byName[d.cfg.Name] = old
			continue
		}
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
