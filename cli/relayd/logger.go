package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// logOptions say how relayd's log lines look.
type logOptions struct {
	Level  string // debug, info, warn or error
	Format string // text or json
	// Journal: stderr is the systemd journal. Each line then starts with
	// its syslog priority ("<4>") and carries no time of its own.
	Journal bool
}

// newLogger returns the daemon's one logger, writing a line per record to w.
func newLogger(w io.Writer, o logOptions) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.Level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", o.Level)
	}
	opts := &slog.HandlerOptions{Level: level}
	var lw *priorityWriter
	if o.Journal {
		lw = &priorityWriter{w: w}
		w = lw
		// journald stamps every line itself when it receives it.
		opts.ReplaceAttr = dropTime
	}
	var h slog.Handler
	switch o.Format {
	case "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("--log-format %q: want text or json", o.Format)
	}
	if lw != nil {
		h = &priorityHandler{inner: h, w: lw}
	}
	return slog.New(h), nil
}

func dropTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// journalStream reports whether stderr is the journal stream systemd
// connected (JOURNAL_STREAM=<st_dev>:<st_ino> of that stream, per
// systemd.exec(5)). The variable alone is not enough: a child relayd whose
// stderr was redirected elsewhere inherits it.
func journalStream(f *os.File) bool {
	dev, ino, ok := strings.Cut(os.Getenv("JOURNAL_STREAM"), ":")
	if !ok {
		return false
	}
	wantDev, err1 := strconv.ParseUint(dev, 10, 64)
	wantIno, err2 := strconv.ParseUint(ino, 10, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return false
	}
	return uint64(st.Dev) == wantDev && uint64(st.Ino) == wantIno
}

// syslogPriority is the sd-daemon(3) prefix journald reads a line's
// priority from (SyslogLevelPrefix=yes, systemd's default).
func syslogPriority(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "<3>" // SD_ERR
	case l >= slog.LevelWarn:
		return "<4>" // SD_WARNING
	case l >= slog.LevelInfo:
		return "<6>" // SD_INFO
	}
	return "<7>" // SD_DEBUG
}

// priorityHandler prefixes each record's line with its syslog priority.
// The inner handler formats the line and writes it once (slog's built-in
// handlers do); the level is handed to the writer under one lock, shared
// by every handler derived with WithAttrs or WithGroup.
type priorityHandler struct {
	inner slog.Handler
	w     *priorityWriter
}

func (h *priorityHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *priorityHandler) Handle(ctx context.Context, r slog.Record) error {
	h.w.mu.Lock()
	defer h.w.mu.Unlock()
	h.w.prefix = syslogPriority(r.Level)
	return h.inner.Handle(ctx, r)
}

func (h *priorityHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &priorityHandler{inner: h.inner.WithAttrs(as), w: h.w}
}

func (h *priorityHandler) WithGroup(name string) slog.Handler {
	return &priorityHandler{inner: h.inner.WithGroup(name), w: h.w}
}

// priorityWriter writes each line with the current record's prefix, in one
// write so that the prefix and its line reach journald together.
type priorityWriter struct {
	mu     sync.Mutex // held by priorityHandler.Handle around each record
	w      io.Writer
	prefix string
	buf    []byte
}

func (p *priorityWriter) Write(b []byte) (int, error) {
	p.buf = append(append(p.buf[:0], p.prefix...), b...)
	if _, err := p.w.Write(p.buf); err != nil {
		return 0, err
	}
	return len(b), nil
}
