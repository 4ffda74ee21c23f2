package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/relayd/relayd/daemon/admin/client"
	"github.com/relayd/relayd/daemon/config"
	"github.com/urfave/cli/v2"
)

func controlCommands(e *env) []*cli.Command {
	return []*cli.Command{
		{Name: "tail", Usage: "follow deliveries as they happen, one line each, until interrupted; reconnects after a restart",
			Action: e.tail, Flags: []cli.Flag{
				&cli.StringFlag{Name: "dest", Usage: "only events of this destination"},
				&cli.StringFlag{Name: "route", Usage: "only events of messages taken by this route"},
				&cli.StringFlag{Name: "state", Usage: "only events showing this result (comma-separated): " + strings.Join(eventResults, ", ")},
				&cli.IntFlag{Name: "n", Usage: fmt.Sprintf("first the last N matching events (up to %d)", recentEvents)},
			}},
		{Name: "reload", Usage: "re-read the config (as SIGHUP); a bad config is refused and the old one kept",
			Action: e.reload},
		{Name: "config", Usage: "work with config files offline",
			Action: func(c *cli.Context) error {
				if c.NArg() > 0 {
					return usagef("unknown command \"config %s\" (want: config check FILE)", c.Args().First())
				}
				return usagef("usage: relayctl config check FILE")
			},
			Subcommands: []*cli.Command{
				{Name: "check", Usage: "validate a config file offline; print every problem", ArgsUsage: "FILE",
					Action: e.configCheck},
			}},
	}
}

func (e *env) tail(c *cli.Context) error {
	if err := args(c, 0, 0, "[--dest D] [--route R] [--state S] [-n N]"); err != nil {
		return err
	}
	q := client.TailQuery{Destination: c.String("dest"), Route: c.String("route"), Last: c.Int("n")}
	if c.IsSet("state") {
		q.States = strings.Split(c.String("state"), ",")
	}
	for _, st := range q.States {
		if !slices.Contains(eventResults, st) {
			return usagef("--state %q: an event shows one of %s", st, strings.Join(eventResults, ", "))
		}
	}
	if q.Last < 0 || q.Last > recentEvents {
		return usagef("-n %d: want 0 to %d (relayd keeps the last %d events)", q.Last, recentEvents, recentEvents)
	}
	return e.follow(c.Context, e.client(c), q)
}

// eventResults are what a tail event shows; recentEvents is how many
// relayd keeps for -n (admin.RecentEvents).
var eventResults = []string{"delivered", "retrying", "dead", "breaker-open", "breaker-closed"}

const recentEvents = 1000

// tailRetry bounds the wait between reconnection attempts.
const (
	tailRetryMin = 100 * time.Millisecond
	tailRetryMax = 2 * time.Second
)

// follow prints events until ctx is done. When relayd goes away (a
// restart) it says so on stderr, tries again with backoff until relayd is
// back, and says so again; the backlog (-n) is asked for only once. A
// refusal (403, a bad filter) or a failure to print ends it.
func (e *env) follow(ctx context.Context, cl *client.Client, q client.TailQuery) error {
	var printErr error
	show := func(ev client.Event) error {
		if e.json {
			printErr = e.printEvent(ev) // one JSON document per event: a stream has no single end
		} else {
			_, printErr = fmt.Fprintln(e.stdout, eventLine(ev, e.now()))
		}
		return printErr
	}
	connected, away := false, false
	wait := tailRetryMin
	for {
		err := cl.TailWith(ctx, q, func() {
			if away {
				fmt.Fprintln(e.stderr, "relayctl: reconnected")
			}
			connected, away, wait = true, false, tailRetryMin
		}, show)
		var apiErr *client.Error
		switch {
		case ctx.Err() != nil:
			return nil
		case printErr != nil:
			return printErr
		case !connected || errors.As(err, &apiErr):
			return err // relayd never answered, or refused the stream
		}
		q.Last = 0 // what was shown before stays shown
		if !away {
			fmt.Fprintln(e.stderr, "relayctl: relayd went away; reconnecting…")
			away = true
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, tailRetryMax)
	}
}

func (e *env) printEvent(ev client.Event) error {
	b, err := jsonLine(ev)
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(b)
	return err
}

// eventLine is one tail line: time, id, destination, attempt, outcome; a
// breaker transition gets a line of its own.
func eventLine(ev client.Event, now time.Time) string {
	if ev.ID == "" && ev.Attempt == 0 {
		return breakerLine(ev, now)
	}
	outcome := strconv.Itoa(ev.Status)
	if ev.Status == 0 {
		outcome = "error"
	}
	line := fmt.Sprintf("%s  %s  %-12s #%d  %s  %s  %dms", ev.At.Local().Format("15:04:05"), ev.ID,
		ev.Destination, ev.Attempt, ev.Result, outcome, ev.DurationMS)
	if ev.Error != "" {
		line += "  " + errorCell(ev.Error, 80)
	}
	if ev.NextAttemptAt != nil {
		line += "  next " + ago(*ev.NextAttemptAt, now)
	}
	return line
}

// breakerLine is a tail line for a destination's breaker transition:
// "12:00:01  billing  breaker-open  HTTP 503 …  probe in 2s".
func breakerLine(ev client.Event, now time.Time) string {
	line := fmt.Sprintf("%s  %-12s  %s", ev.At.Local().Format("15:04:05"), ev.Destination, ev.Result)
	if ev.Error != "" {
		line += "  " + errorCell(ev.Error, 80)
	}
	if ev.NextAttemptAt != nil {
		line += "  probe " + ago(*ev.NextAttemptAt, now)
	}
	return line
}

func (e *env) reload(c *cli.Context) error {
	if err := args(c, 0, 0, ""); err != nil {
		return err
	}
	ctx, cancel := e.request(c)
	defer cancel()
	res, err := e.client(c).Reload(ctx)
	if err != nil {
		return err
	}
	var restart error
	if len(res.RestartNeeded) > 0 {
		restart = &restartError{res: res}
	}
	if e.json {
		if restart != nil {
			return restart // printed as the answer plus error and error_message
		}
		return e.printJSON(res)
	}
	if err := writeReload(e.stdout, res); err != nil {
		return err
	}
	return restart
}

// writeReload prints what a reload changed, one line per kind of change.
func writeReload(w io.Writer, res *client.ReloadResult) error {
	lines := []string{"config reloaded"}
	for _, l := range []struct {
		what  string
		names []string
	}{
		{"destinations added", res.Added.Destinations}, {"destinations removed", res.Removed.Destinations},
		{"destinations changed", res.Changed.Destinations}, {"routes added", res.Added.Routes},
		{"routes removed", res.Removed.Routes}, {"routes changed", res.Changed.Routes},
	} {
		if len(l.names) > 0 {
			lines = append(lines, fmt.Sprintf("  %-21s %s", l.what+":", strings.Join(l.names, ", ")))
		}
	}
	if len(lines) == 1 && len(res.RestartNeeded) == 0 {
		lines[0] += ": nothing changed"
	}
	_, err := fmt.Fprintln(w, strings.Join(lines, "\n"))
	return err
}

// restartError is a reload that applied what it could while some changed
// keys wait for a restart: exit 1, naming them.
type restartError struct{ res *client.ReloadResult }

func (e *restartError) Error() string {
	return "the rest was applied, but these changes take effect only after a restart of relayd: " +
		strings.Join(e.res.RestartNeeded, ", ")
}

// jsonBody is the reload answer with error and error_message added.
func (e *restartError) jsonBody() any {
	return struct {
		*client.ReloadResult
		client.ErrorBody
	}{e.res, client.ErrorBody{Error: 1, ErrorMessage: e.Error()}}
}

// configCheckResult is config check --json on success.
type configCheckResult struct {
	Result       string `json:"result"`
	File         string `json:"file"`
	Routes       int    `json:"routes"`
	Destinations int    `json:"destinations"`
}

func (e *env) configCheck(c *cli.Context) error {
	if err := args(c, 1, 1, "FILE"); err != nil {
		return err
	}
	file := c.Args().First()
	cfg, err := config.Load(file)
	if err != nil {
		var ps *config.Problems
		if errors.As(err, &ps) {
			return &problemsError{file: file, problems: *ps}
		}
		return fmt.Errorf("%s: %w", file, err)
	}
	if e.json {
		return e.printJSON(configCheckResult{Result: "OK", File: file, Routes: len(cfg.Routes), Destinations: len(cfg.Destinations)})
	}
	_, err = fmt.Fprintf(e.stdout, "%s: OK (%d routes, %d destinations)\n", file, len(cfg.Routes), len(cfg.Destinations))
	return err
}

// problemsError is a config file's problems: one line each in text, and
// with --json also a list a script can read without parsing the message.
type problemsError struct {
	file     string
	problems config.Problems
}

func (e *problemsError) Error() string {
	return fmt.Sprintf("%s: invalid (%s)\n%v", e.file, plural(len(e.problems), "problem"), &e.problems)
}

// problemJSON is one problem in config check --json.
type problemJSON struct {
	Path    string `json:"path"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

// jsonBody is the error document with the problems listed.
func (e *problemsError) jsonBody() any {
	list := make([]problemJSON, len(e.problems))
	for i, p := range e.problems {
		list[i] = problemJSON{Path: p.Path, Line: p.Line, Message: p.Message}
	}
	return struct {
		client.ErrorBody
		Problems []problemJSON `json:"problems"`
	}{client.ErrorBody{Error: 1, ErrorMessage: e.Error()}, list}
}

// plural is "1 problem" or "3 problems".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
