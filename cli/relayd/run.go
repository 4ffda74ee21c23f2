package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/v22/activation"
	sd "github.com/coreos/go-systemd/v22/daemon"
	"github.com/relayd/relayd/daemon"
	"github.com/urfave/cli/v2"
)

var logFlag = &cli.StringFlag{
	Name:    "log-level",
	Value:   "info",
	Usage:   "debug, info, warn or error",
	EnvVars: []string{"RELAYD_LOG_LEVEL"},
}

var logFormatFlag = &cli.StringFlag{
	Name:  "log-format",
	Value: "text",
	Usage: "text (logfmt) or json (one object a line); under systemd (JOURNAL_STREAM names stderr) " +
		"each line starts with its journald priority and carries no time",
	EnvVars: []string{"RELAYD_LOG_FORMAT"},
}

func runAction(c *cli.Context) error {
	// The store holds bodies and headers uncensored: every file relayd
	// creates is its user's alone, whatever umask it was started with.
	// The admin socket's mode is set explicitly.
	syscall.Umask(0o077)
	logger, err := newLogger(os.Stderr, logOptions{
		Level:   c.String("log-level"),
		Format:  c.String("log-format"),
		Journal: journalStream(os.Stderr),
	})
	if err != nil {
		return err
	}
	load, name, err := configSource(c)
	if err != nil {
		return err
	}
	logger.Info("loading config", "source", name)
	ln, err := activatedListener()
	if err != nil {
		return err
	}
	// Signals are caught before anything starts: a SIGHUP's default action
	// would kill a daemon that is still opening its queue.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	d, err := daemon.New(daemon.Options{
		Load:     load,
		Logger:   logger,
		Version:  version,
		Listener: ln,
		Notify:   notify(logger),
	})
	if err != nil {
		return err
	}
	go reloadOnHangup(ctx, hup, d, logger)
	go watchdog(ctx, d, logger)
	return d.Run(ctx)
}

// activatedListener returns the ingress listener systemd passed
// (LISTEN_FDS, relayd.socket), or nil when relayd was not socket-activated.
func activatedListener() (net.Listener, error) {
	lns, err := activation.Listeners()
	if err != nil {
		return nil, fmt.Errorf("socket activation: %w", err)
	}
	for _, ln := range lns {
		if ln != nil {
			return ln, nil
		}
	}
	return nil, nil
}

// notify forwards daemon states to systemd when run under Type=notify.
func notify(logger *slog.Logger) func(string) {
	return func(state string) {
		if _, err := sd.SdNotify(false, state); err != nil {
			logger.Warn("sd_notify", "state", state, "err", err)
		}
	}
}

// watchdog pings systemd at half the configured WatchdogSec while the
// queue accepts writes; a wedged store then gets relayd restarted.
func watchdog(ctx context.Context, d *daemon.Daemon, logger *slog.Logger) {
	interval, err := sd.SdWatchdogEnabled(false)
	if err != nil || interval == 0 {
		return
	}
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := d.Healthy(); err != nil {
				logger.Error("unhealthy; withholding watchdog ping", "err", err)
				continue
			}
			sd.SdNotify(false, sd.SdNotifyWatchdog)
		}
	}
}

// reloadOnHangup turns SIGHUP into Daemon.Reload; a refused config is
// logged by Reload and the running one kept.
func reloadOnHangup(ctx context.Context, hup <-chan os.Signal, d *daemon.Daemon, logger *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			_ = d.Reload(ctx) // logs its one line, success or refusal
		}
	}
}
