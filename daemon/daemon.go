package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/relayd/relayd/daemon/admin"
	"github.com/relayd/relayd/daemon/admin/client"
	"github.com/relayd/relayd/daemon/config"
	"github.com/relayd/relayd/daemon/ingress"
	"github.com/relayd/relayd/daemon/metrics"
	"github.com/relayd/relayd/queue"
	"github.com/relayd/relayd/relay"
)

// Options wire a Daemon.
type Options struct {
	// Load reads the configuration with every default applied (config.Load,
	// config.Parse); it is called again on every Reload.
	Load    func() (*config.Config, error)
	Logger  *slog.Logger
	Version string
	// Listener, when set, is the ingress listener (systemd socket
	// activation); otherwise server.listen is bound.
	Listener net.Listener
	// Notify receives systemd state strings ("READY=1", "RELOADING=1",
	// "STOPPING=1"); nil means none.
	Notify func(state string)
	// DrainTimeout bounds how long shutdown waits for in-flight deliveries;
	// zero is config.DefaultDrainTimeout.
	DrainTimeout time.Duration
}

// Daemon is one running relayd: queue, relay, ingress and admin socket.
type Daemon struct {
	opts   Options
	logger *slog.Logger

	mu  sync.Mutex // serialises Reload; guards cfg
	cfg *config.Config
	// boot is the config New opened everything with: what listeners, the
	// admin socket and the store still run on after any reload.
	boot *config.Config

	store    *queue.Store
	relay    *relay.Relay
	ingress  *ingress.Server
	admin    *admin.Server
	ingLn    net.Listener
	adminLn  net.Listener
	meters   *metrics.Metrics
	metrics  *http.Server // nil unless admin.metrics_listen is set
	metLn    net.Listener
	started  time.Time
	closeOne sync.Once
}

// New loads the configuration and opens every component, undoing what it
// opened when a later step fails. Nothing is served until Run.
func New(opts Options) (_ *Daemon, err error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Notify == nil {
		opts.Notify = func(string) {}
	}
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = config.DefaultDrainTimeout
	}
	cfg, err := opts.Load()
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	// Not the named result: every failure below returns nil for it, and
	// the cleanup still needs what was opened.
	d := &Daemon{opts: opts, logger: opts.Logger, cfg: cfg, boot: cfg, started: time.Now()}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()

	// The registry exists whether or not metrics are served: the hooks
	// below report to it unconditionally, and a scrape reads the levels
	// (queue, relay) only once both are open.
	meters := &lateMetrics{}
	d.store, err = queue.Open(queue.Options{
		Dir:           cfg.Storage.Dir,
		Sync:          *cfg.Storage.Sync,
		Retention:     cfg.Storage.Retention.D(),
		MaxDisk:       int64(cfg.Storage.MaxDisk),
		MinFree:       int64(cfg.Storage.MinFree),
		Logger:        d.logger.With("component", "queue"),
		OnGroupCommit: meters.groupCommitted,
	})
	if err != nil {
		return nil, err // queue's error names the directory already
	}
	d.relay = relay.New(d.store, d.logger.With("component", "relay"))
	d.meters = metrics.New(metrics.Options{Store: d.store, Relay: d.relay, Version: opts.Version})
	meters.set(d.meters)
	d.relay.SetObserver(d.meters)
	d.meters.SetDestinations(destinationNames(cfg))
	d.meters.SetRoutes(routeNames(cfg))
	dests, err := d.relay.Build(relayDestinations(cfg), consumedAuth(cfg))
	if err != nil {
		return nil, fmt.Errorf("configure destinations: %w", err)
	}
	if err = d.relay.Install(dests); err != nil {
		return nil, fmt.Errorf("configure destinations: %w", err)
	}
	d.admin = admin.New(admin.Options{
		Store:   d.store,
		Relay:   d.relay,
		Logger:  d.logger.With("component", "admin"),
		Version: opts.Version,
		Started: d.started,
		Reload:  d.reloadChanges, // the admin logs the command, outcome included
		Censor:  d.censor,
		Access:  adminAccess(cfg),
	})
	d.ingress, err = ingress.New(cfg, ingress.Options{
		Store:       d.store,
		Logger:      d.logger.With("component", "ingress"),
		Status:      d.admin.MessageJSON,
		StatusByKey: d.admin.MessagesByKeyJSON,
		Version:     opts.Version,
		Observe:     d.meters.Request,
	})
	if err != nil {
		return nil, fmt.Errorf("configure ingress: %w", err)
	}
	if err = d.listen(cfg); err != nil {
		return nil, err
	}
	// Known only once bound (port 0, socket activation): a downstream's
	// redirect to one of them would loop messages back into relayd.
	own := []net.Addr{d.ingLn.Addr()}
	if d.metLn != nil {
		own = append(own, d.metLn.Addr())
	}
	d.relay.SetOwnListeners(own...)
	return d, nil
}

// listen binds what the daemon serves: the ingress listener (unless
// systemd passed one), the admin socket and the optional metrics listener.
func (d *Daemon) listen(cfg *config.Config) (err error) {
	if d.ingLn = d.opts.Listener; d.ingLn == nil {
		if d.ingLn, err = net.Listen("tcp", cfg.Server.Listen); err != nil {
			return fmt.Errorf("listen for callbacks on %s: %w", cfg.Server.Listen, err)
		}
	}
	if d.adminLn, err = admin.Listen(cfg.Admin.Socket, adminAccess(cfg)); err != nil {
		return fmt.Errorf("open admin socket: %w", err)
	}
	if cfg.Admin.MetricsListen != "" {
		if d.metLn, err = net.Listen("tcp", cfg.Admin.MetricsListen); err != nil {
			return fmt.Errorf("listen for metrics on %s: %w", cfg.Admin.MetricsListen, err)
		}
		page := d.admin.StatusPage(admin.PageOptions{Token: d.statusPageToken, Rates: d.recentRates})
		d.metrics = &http.Server{Handler: admin.MetricsHandler(d.store, d.meters.Handler(), page), ReadHeaderTimeout: 5 * time.Second}
	}
	return nil
}

// IngressAddr is the bound ingress address (useful with port 0).
func (d *Daemon) IngressAddr() net.Addr { return d.ingLn.Addr() }

// Healthy reports whether relayd works (systemd watchdog): the queue is
// open and its writes succeed. A full disk (storage.max_disk or min_free)
// is not unhealthy: ingress answers 503 for it, and a restart would not
// free any space, so the watchdog must not restart relayd in a loop.
func (d *Daemon) Healthy() error {
	if err := d.store.Writable(); err != nil && !errors.Is(err, queue.ErrFull) {
		return err
	}
	return nil
}

// Run serves callbacks and the admin socket and delivers until ctx is
// cancelled, then shuts down in reverse order of startup and returns nil
// after a clean stop.
func (d *Daemon) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Delivery starts first so that what a previous run left queued is
	// resumed; Start returns once the dispatchers run.
	if err := d.relay.Start(ctx); err != nil {
		d.Close()
		return fmt.Errorf("start delivery: %w", err)
	}
	errc := make(chan error, 3)
	if d.metrics != nil {
		go func() { errc <- wrapServe("serve metrics", d.metrics.Serve(d.metLn)) }()
	}
	go func() { errc <- wrapServe("serve admin socket", d.admin.Serve(d.adminLn)) }()
	go func() { errc <- wrapServe("serve callbacks", d.ingress.Serve(d.ingLn)) }()
	d.mu.Lock() // a reload may already be swapping the config
	dir := d.cfg.Storage.Dir
	d.mu.Unlock()
	d.logger.Info("relayd started", "version", d.opts.Version, "listen", d.ingLn.Addr().String(),
		"admin_socket", d.adminLn.Addr().String(), "storage", dir)
	d.opts.Notify("READY=1")

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
		d.logger.Error("component stopped; shutting down", "err", runErr)
	}
	d.opts.Notify("STOPPING=1")
	d.shutdown()
	return runErr
}

func wrapServe(what string, err error) error {
	if err == nil || errors.Is(err, net.ErrClosed) || errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// shutdown stops taking callbacks first, then lets in-flight deliveries
// finish (bounded), then closes the admin socket and the queue.
func (d *Daemon) shutdown() {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), d.opts.DrainTimeout)
	defer cancel()
	if err := d.ingress.Shutdown(ctx); err != nil {
		d.logger.Warn("stop ingress", "err", err)
	}
	if err := d.relay.Close(ctx); err != nil {
		d.logger.Warn("drain deliveries", "err", err)
	}
	if d.metrics != nil {
		d.metrics.Shutdown(ctx)
	}
	if err := d.admin.Shutdown(ctx); err != nil {
		d.logger.Warn("stop admin socket", "err", err)
	}
	d.Close()
	d.logger.Info("relayd stopped", "took", time.Since(start).Round(time.Millisecond).String())
}

// Reload re-reads the configuration, builds its destinations and routes,
// and swaps both in only when both built. A config that fails to load,
// validate or build is refused and the running one kept.
// Changes to server.listen, admin.* and storage.* need a restart and are
// logged as such. The outcome is logged in one line ("config reloaded" or
// "reload refused"); relayctl's reload is logged by the admin socket instead.
func (d *Daemon) Reload(ctx context.Context) error {
	res, err := d.swapConfig()
	if err != nil {
		d.logger.Error("reload refused; keeping the running config", "err", err)
		return err
	}
	d.logger.Info("config reloaded", "restart_needed", strings.Join(res.RestartNeeded, ","))
	return nil
}

// reloadChanges is Reload answering what changed (reloadDiff: routes and
// destinations by name, the keys that need a restart) without its
// outcome's log line, for the admin socket.
func (d *Daemon) reloadChanges(context.Context) (client.ReloadResult, error) {
	return d.swapConfig()
}

// swapConfig loads the configuration and applies it, answering what
// changed; every outcome is counted in the reload metrics.
func (d *Daemon) swapConfig() (client.ReloadResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	res, err := d.applyConfig()
	d.meters.Reloaded(err)
	return res, err
}

// applyConfig loads the configuration and swaps it in; d.mu is held. Both
// halves are built first — destinations (clients, TLS, CA files) and the
// route table — and swapped only when both built: a refused reload leaves
// the running destinations and routes untouched, and restarts nothing.
func (d *Daemon) applyConfig() (client.ReloadResult, error) {
	d.opts.Notify("RELOADING=1")
	defer d.opts.Notify("READY=1")
	cfg, err := d.opts.Load()
	if err != nil {
		return client.ReloadResult{}, fmt.Errorf("reload refused, running config kept: %w", err)
	}
	dests, err := d.relay.Build(relayDestinations(cfg), consumedAuth(cfg))
	if err != nil {
		return client.ReloadResult{}, fmt.Errorf("reload refused, running config kept: %w", err)
	}
	routes, err := ingress.Compile(cfg)
	if err != nil {
		return client.ReloadResult{}, fmt.Errorf("reload refused, running config kept: %w", err)
	}
	// Install fails only once the relay is closed (shutting down); the
	// routes are then left as they were too. The route table goes second
	// because its swap cannot fail.
	if err := d.relay.Install(dests); err != nil {
		return client.ReloadResult{}, fmt.Errorf("reload refused, running config kept: %w", err)
	}
	d.ingress.Install(routes)
	res := reloadDiff(d.boot, d.cfg, cfg)
	for _, key := range res.RestartNeeded {
		d.logger.Warn("config change needs a restart to take effect", "key", key)
	}
	d.cfg = cfg
	d.meters.SetDestinations(destinationNames(cfg))
	d.meters.SetRoutes(routeNames(cfg))
	return res, nil
}

// Close releases everything New opened. Safe to call twice; Run calls it.
func (d *Daemon) Close() {
	d.closeOne.Do(func() {
		if d.adminLn != nil {
			d.adminLn.Close()
		}
		if d.ingLn != nil {
			d.ingLn.Close()
		}
		if d.metLn != nil {
			d.metLn.Close()
		}
		if d.store != nil {
			if err := d.store.Close(); err != nil {
				d.logger.Error("close queue", "err", err)
			}
		}
	})
}
