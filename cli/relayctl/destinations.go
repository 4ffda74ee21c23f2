package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/relayd/relayd/daemon/admin/client"
	"github.com/urfave/cli/v2"
)

func destinationCommands(e *env) []*cli.Command {
	return []*cli.Command{
		{Name: "status", Usage: "daemon version, uptime, storage and per-destination counts", Action: e.status,
			Flags: []cli.Flag{wideFlag}},
		{Name: "destinations", Usage: "each destination: url, state, counters, last error", Action: e.destinations,
			Flags: []cli.Flag{wideFlag}},
		{Name: "pause", Usage: "hold a destination's deliveries (nothing is lost)", ArgsUsage: "DEST",
			Action: func(c *cli.Context) error { return e.pauseResume(c, (*client.Client).Pause) }},
		{Name: "resume", Usage: "release a paused destination", ArgsUsage: "DEST",
			Action: func(c *cli.Context) error { return e.pauseResume(c, (*client.Client).Resume) }},
	}
}

func (e *env) status(c *cli.Context) error {
	if err := args(c, 0, 0, ""); err != nil {
		return err
	}
	wide, err := isWide(c)
	if err != nil {
		return err
	}
	ctx, cancel := e.request(c)
	defer cancel()
	st, err := e.client(c).Status(ctx)
	if err != nil {
		return err
	}
	if e.json {
		return e.printJSON(st)
	}
	return writeStatus(e.stdout, st, e.now(), wide)
}

// writeStatus prints status as text: a line about the daemon, then a table.
func writeStatus(w io.Writer, st *client.Status, now time.Time, wide bool) error {
	fmt.Fprintf(w, "relayd %s, up %s, storage %s\n\n", st.Version,
		shortDuration(secs(st.UptimeS)), humanBytes(st.StorageBytes))
	t := newFitTable(w, wide, column{header: "DESTINATION", fit: keepStart, min: 12, rank: 1}, column{header: "STATE"},
		column{header: "PENDING"}, column{header: "IN-FLIGHT", wideOnly: true}, column{header: "RETRYING"},
		column{header: "DEAD"}, column{header: "DELIVERED"}, column{header: "FAILURES", wideOnly: true},
		column{header: "NEXT-PROBE"})
	for _, d := range st.Destinations {
		t.row(d.Name, stateCell(d.State, d.Reason), itoa(d.Pending), itoa(d.InFlight), itoa(d.Retrying), itoa(d.Dead), itoa(d.Delivered),
			strconv.Itoa(d.ConsecutiveFailures), agoPtr(d.NextProbeAt, now))
	}
	return t.flush()
}

func (e *env) destinations(c *cli.Context) error {
	if err := args(c, 0, 0, ""); err != nil {
		return err
	}
	wide, err := isWide(c)
	if err != nil {
		return err
	}
	ctx, cancel := e.request(c)
	defer cancel()
	l, err := e.client(c).Destinations(ctx)
	if err != nil {
		return err
	}
	if e.json {
		return e.printJSON(l)
	}
	return writeDestinations(e.stdout, l, e.now(), wide)
}

// writeDestinations prints the destinations table.
func writeDestinations(w io.Writer, l *client.DestinationList, now time.Time, wide bool) error {
	// The URL only with -o wide (an operator knows where billing is; the
	// error's cause matters more), the error shortened before a name,
	// which an operator types into pause and resume.
	t := newFitTable(w, wide, column{header: "NAME", fit: keepStart, min: 16, rank: 2}, column{header: "STATE"},
		column{header: "PENDING"}, column{header: "RETRYING"}, column{header: "DEAD"},
		column{header: "DELIVERED", wideOnly: true}, column{header: "IN-FLIGHT", wideOnly: true},
		column{header: "FAILURES", wideOnly: true}, column{header: "NEXT-PROBE", wideOnly: true},
		column{header: "LAST-ATTEMPT", wideOnly: true},
		column{header: "URL", fit: keepStart, min: 22, wideOnly: true}, column{header: "LAST-ERROR", fit: keepEnd, min: 28, rank: 1})
	for _, d := range l.Destinations {
		t.row(d.Name, stateCell(d.State, d.Reason), itoa(d.Pending), itoa(d.Retrying), itoa(d.Dead), itoa(d.Delivered),
			strconv.Itoa(d.InFlight), strconv.Itoa(d.ConsecutiveFailures), agoPtr(d.NextProbeAt, now),
			agoPtr(d.LastAttemptAt, now), orDash(d.URL), orDash(d.LastError))
	}
	return t.flush()
}

// stateCell is a destination's state with the reason it is paused for,
// if any: "paused (gone)".
func stateCell(state, reason string) string {
	if reason == "" {
		return state
	}
	return state + " (" + reason + ")"
}

func (e *env) pauseResume(c *cli.Context, call func(*client.Client, context.Context, string) (*client.DestinationState, error)) error {
	if err := args(c, 1, 1, "DEST"); err != nil {
		return err
	}
	ctx, cancel := e.request(c)
	defer cancel()
	st, err := call(e.client(c), ctx, c.Args().First())
	if err != nil {
		return err
	}
	if e.json {
		return e.printJSON(st)
	}
	_, err = fmt.Fprintf(e.stdout, "%s: %s\n", st.Destination, st.State)
	return err
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func secs(s int64) time.Duration { return time.Duration(s) * time.Second }
