package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/relayd/relayd/daemon/admin/client"
	"github.com/urfave/cli/v2"
)

var timeUsage = "a duration meaning ago (2h) or an RFC 3339 time"

func messageCommands(e *env) []*cli.Command {
	return []*cli.Command{
		{Name: "ls", Usage: "list messages, newest first", Action: e.list, Flags: []cli.Flag{
			&cli.StringFlag{Name: "dest", Usage: "only messages with a delivery to this destination"},
			&cli.StringFlag{Name: "state", Usage: "only messages with a delivery in this state: " + strings.Join(client.States, ", ")},
			&cli.StringFlag{Name: "route", Usage: "only messages taken by this route"},
			&cli.StringFlag{Name: "key", Usage: "only messages whose idempotency key, ordering key or tracing id is this"},
			&cli.StringFlag{Name: "since", Usage: "received at or after: " + timeUsage},
			&cli.StringFlag{Name: "before", Usage: "received before: " + timeUsage},
			&cli.IntFlag{Name: "limit", Value: 50, Usage: "at most this many (1-10000)"},
		}},
		{Name: "show", Usage: "a message (headers, body, route) and every attempt per destination; by id, or by a key (idempotency, ordering, tracing) naming one message",
			ArgsUsage: "ID|KEY", Action: e.show},
		{Name: "replay", Usage: "deliver again from a fresh retry schedule; prints how many",
			ArgsUsage: "ID... | --state STATE [--dest D] [--since T]", Action: e.replay, Flags: []cli.Flag{
				&cli.StringFlag{Name: "dest", Usage: "only deliveries to this destination"},
				&cli.StringFlag{Name: "state", Usage: "deliveries in this state: dead, delivered, retrying, pending"},
				&cli.StringFlag{Name: "since", Usage: "messages received at or after: " + timeUsage},
				&cli.StringFlag{Name: "before", Usage: "messages received before: " + timeUsage},
			}},
		{Name: "purge", Usage: "delete dead or delivered deliveries; prints how many", Action: e.purge, Flags: []cli.Flag{
			&cli.StringFlag{Name: "state", Usage: "dead or delivered (required)"},
			&cli.StringFlag{Name: "dest", Usage: "only deliveries to this destination"},
			&cli.StringFlag{Name: "before", Usage: "only messages received before: " + timeUsage},
		}},
	}
}

// timeFlag parses a --since/--before flag; unset gives the zero time.
func (e *env) timeFlag(c *cli.Context, name string) (time.Time, error) {
	if !c.IsSet(name) {
		return time.Time{}, nil
	}
	t, err := client.ParseTime(c.String(name), e.now())
	if err != nil {
		return time.Time{}, usagef("--%s: %v", name, err)
	}
	return t, nil
}

// listQuery checks ls's flags before anything is sent.
func (e *env) listQuery(c *cli.Context) (client.ListQuery, error) {
	q := client.ListQuery{Destination: c.String("dest"), State: c.String("state"), Route: c.String("route"),
		Key: c.String("key"), Limit: c.Int("limit")}
	if c.IsSet("key") && q.Key == "" {
		return q, usagef("--key: empty")
	}
	if q.State != "" && !client.ValidState(q.State) {
		return q, usagef("--state %q: want one of %s", q.State, strings.Join(client.States, ", "))
	}
	if q.Limit < 1 || q.Limit > 10000 {
		return q, usagef("--limit %d: want 1 to 10000", q.Limit)
	}
	var err error
	if q.Since, err = e.timeFlag(c, "since"); err != nil {
		return q, err
	}
	q.Before, err = e.timeFlag(c, "before")
	return q, err
}

func (e *env) list(c *cli.Context) error {
	if err := args(c, 0, 0, "[--dest D] [--state S] [--route R] [--key K] [--since T] [--before T] [--limit N]"); err != nil {
		return err
	}
	q, err := e.listQuery(c)
	if err != nil {
		return err
	}
	ctx, cancel := e.request(c)
	defer cancel()
	l, err := e.client(c).List(ctx, q)
	if err != nil {
		return err
	}
	if e.json {
		return e.printJSON(l)
	}
	if len(l.Messages) == 0 {
		_, err := fmt.Fprintln(e.stdout, "no messages matched")
		return err
	}
	now := e.now()
	t := newTable(e.stdout, "ID", "RECEIVED", "ROUTE", "DELIVERIES")
	for _, m := range l.Messages {
		ds := make([]string, 0, len(m.Deliveries))
		for _, d := range m.Deliveries {
			ds = append(ds, d.Destination+":"+d.State)
		}
		t.row(m.ID, ago(m.ReceivedAt, now), orDash(m.Route), strings.Join(ds, " "))
	}
	if err := t.flush(); err != nil {
		return err
	}
	if l.NextBefore != nil {
		fmt.Fprintf(e.stdout, "(more: relayctl ls --before %s)\n", l.NextBefore.Format(time.RFC3339Nano))
	}
	return nil
}

func (e *env) show(c *cli.Context) error {
	if err := args(c, 1, 1, "ID|KEY"); err != nil {
		return err
	}
	arg := c.Args().First()
	if arg == "" {
		return usagef("empty message id or key")
	}
	ctx, cancel := e.request(c)
	defer cancel()
	m, err := messageByIDOrKey(ctx, e.client(c), arg)
	if err != nil {
		return err
	}
	if e.json {
		return e.printJSON(m)
	}
	return writeMessage(e.stdout, m, e.now())
}

func (e *env) replay(c *cli.Context) error {
	req, err := e.replayRequest(c)
	if err != nil {
		return err
	}
	ctx, cancel := e.request(c)
	defer cancel()
	res, err := e.client(c).Replay(ctx, req)
	if err != nil {
		return err
	}
	if e.json {
		return e.printJSON(res)
	}
	return e.counted("replayed", res.Replayed)
}

// replayRequest checks replay's ids or filter before anything is sent.
func (e *env) replayRequest(c *cli.Context) (client.ReplayRequest, error) {
	var req client.ReplayRequest
	filtered := c.IsSet("dest") || c.IsSet("state") || c.IsSet("since") || c.IsSet("before")
	if c.NArg() > 0 {
		if filtered {
			return req, usagef("replay takes message ids or --state/--dest/--since/--before, not both")
		}
		for _, id := range c.Args().Slice() {
			if !client.ValidID(id) {
				return req, usagef("malformed message id %q: want 32 characters a-z0-9", id)
			}
		}
		req.IDs = c.Args().Slice()
		return req, nil
	}
	req.Destination, req.State = c.String("dest"), c.String("state")
	switch req.State {
	case "dead", "delivered", "retrying", "pending":
	case "":
		return req, usagef("usage: relayctl replay ID... | relayctl replay --state dead [--dest D] [--since T]")
	default:
		return req, usagef("--state %q: replay takes dead, delivered, retrying or pending", req.State)
	}
	for _, f := range []struct {
		name string
		dst  **time.Time
	}{{"since", &req.Since}, {"before", &req.Before}} {
		t, err := e.timeFlag(c, f.name)
		if err != nil {
			return req, err
		}
		if !t.IsZero() {
			*f.dst = &t
		}
	}
	return req, nil
}

func (e *env) purge(c *cli.Context) error {
	if err := args(c, 0, 0, "--state dead|delivered [--dest D] [--before T]"); err != nil {
		return err
	}
	q := client.PurgeQuery{State: c.String("state"), Destination: c.String("dest")}
	if q.State != "dead" && q.State != "delivered" {
		return usagef("purge needs --state dead or --state delivered")
	}
	var err error
	if q.Before, err = e.timeFlag(c, "before"); err != nil {
		return err
	}
	ctx, cancel := e.request(c)
	defer cancel()
	res, err := e.client(c).Purge(ctx, q)
	if err != nil {
		return err
	}
	if e.json {
		return e.printJSON(res)
	}
	return e.counted("purged", res.Purged)
}

// counted prints "replayed 3 deliveries", saying so when nothing matched.
func (e *env) counted(verb string, n int) error {
	var err error
	switch n {
	case 0:
		_, err = fmt.Fprintf(e.stdout, "%s 0 deliveries (nothing matched)\n", verb)
	case 1:
		_, err = fmt.Fprintf(e.stdout, "%s 1 delivery\n", verb)
	default:
		_, err = fmt.Fprintf(e.stdout, "%s %d deliveries\n", verb, n)
	}
	return err
}
