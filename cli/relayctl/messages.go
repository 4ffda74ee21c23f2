package main

import (
	"fmt"
	"io"
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
			wideFlag,
		}},
		{Name: "show", Usage: "a message (headers, body, route) and every attempt per destination; by id, or by a key (idempotency, ordering, tracing) naming one message",
			ArgsUsage: "ID|KEY", Action: e.show},
		{Name: "replay", Usage: "deliver again from a fresh retry schedule; prints how many",
			ArgsUsage: "ID... | --state STATE [--dest D] [--since T]", Action: e.replay, Flags: []cli.Flag{
				&cli.StringFlag{Name: "dest", Usage: "only deliveries to this destination"},
				&cli.StringFlag{Name: "state", Usage: "deliveries in this state: dead, delivered, retrying, pending"},
				&cli.StringFlag{Name: "since", Usage: "messages received at or after: " + timeUsage},
				&cli.StringFlag{Name: "before", Usage: "messages received before: " + timeUsage},
				dryRunFlag, yesFlag,
			}},
		{Name: "purge", Usage: "delete dead or delivered deliveries; prints how many", Action: e.purge, Flags: []cli.Flag{
			&cli.StringFlag{Name: "state", Usage: "dead or delivered (required)"},
			&cli.StringFlag{Name: "dest", Usage: "only deliveries to this destination"},
			&cli.StringFlag{Name: "before", Usage: "only messages received before: " + timeUsage},
			dryRunFlag, yesFlag,
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
	if err := args(c, 0, 0, "[--dest D] [--state S] [--route R] [--key K] [--since T] [--before T] [--limit N] [-o wide]"); err != nil {
		return err
	}
	q, err := e.listQuery(c)
	if err != nil {
		return err
	}
	wide, err := isWide(c)
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
	if err := writeList(e.stdout, l, e.now(), wide); err != nil {
		return err
	}
	if l.NextBefore != nil {
		fmt.Fprintf(e.stdout, "(more: %s)\n", pagingHint(c, *l.NextBefore, q.Since))
	}
	return nil
}

// writeList prints messages as a table, newest first as listed.
func writeList(w io.Writer, l *client.MessageList, now time.Time, wide bool) error {
	t := newFitTable(w, wide, column{header: "ID"}, column{header: "RECEIVED"},
		column{header: "METHOD", wideOnly: true}, column{header: "PATH", wideOnly: true, fit: keepStart, min: 12},
		column{header: "ROUTE", fit: keepStart, min: 12}, column{header: "DELIVERIES", fit: keepStart, min: 20, rank: 1})
	for _, m := range l.Messages {
		ds := make([]string, 0, len(m.Deliveries))
		for _, d := range m.Deliveries {
			ds = append(ds, d.Destination+":"+d.State)
		}
		t.row(m.ID, ago(m.ReceivedAt, now), orDash(m.Method), orDash(m.Path), orDash(m.Route), strings.Join(ds, " "))
	}
	return t.flush()
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
