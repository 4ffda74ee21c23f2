package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/relayd/relayd/daemon/admin/client"
	"github.com/urfave/cli/v2"
)

func destinationCommands(e *env) []*cli.Command {
	return []*cli.Command{
		{Name: "status", Usage: "daemon version, uptime, storage and per-destination counts", Action: e.status},
		{Name: "destinations", Usage: "each destination: url, state, counters, last error", Action: e.destinations},
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
	ctx, cancel := e.request(c)
	defer cancel()
	st, err := e.client(c).Status(ctx)
	if err != nil {
		return err
	}
	if e.json {
		return e.printJSON(st)
	}
	fmt.Fprintf(e.stdout, "relayd %s, up %s, storage %s\n\n", st.Version,
		shortDuration(secs(st.UptimeS)), humanBytes(st.StorageBytes))
	now := e.now()
	t := newTable(e.stdout, "DESTINATION", "STATE", "PENDING", "IN-FLIGHT", "RETRYING", "DEAD", "DELIVERED",
		"FAILURES", "NEXT-PROBE")
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
	ctx, cancel := e.request(c)
	defer cancel()
	l, err := e.client(c).Destinations(ctx)
	if err != nil {
		return err
	}
	if e.json {
		return e.printJSON(l)
	}
	now := e.now()
	t := newTable(e.stdout, "NAME", "STATE", "PENDING", "RETRYING", "DEAD", "DELIVERED", "IN-FLIGHT",
		"FAILURES", "NEXT-PROBE", "LAST-ATTEMPT", "URL", "LAST-ERROR")
	for _, d := range l.Destinations {
		t.row(d.Name, stateCell(d.State, d.Reason), itoa(d.Pending), itoa(d.Retrying), itoa(d.Dead), itoa(d.Delivered),
			strconv.Itoa(d.InFlight), strconv.Itoa(d.ConsecutiveFailures), agoPtr(d.NextProbeAt, now),
			agoPtr(d.LastAttemptAt, now),
			orDash(d.URL), orDash(oneLine(d.LastError, 60)))
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
