package main

import (
	"bufio"
	"fmt"
	"strings"
	"time"

	"github.com/relayd/relayd/daemon/admin/client"
	"github.com/urfave/cli/v2"
)

// confirmAbove is how many deliveries replay and purge change on a
// terminal without asking; more need a "y" or --yes.
const confirmAbove = 100

var (
	dryRunFlag = &cli.BoolFlag{Name: "dry-run", Usage: "print how many deliveries would change and a few message ids; change nothing"}
	yesFlag    = &cli.BoolFlag{Name: "yes", Aliases: []string{"y"},
		Usage: fmt.Sprintf("do not ask for confirmation on a terminal (asked above %d deliveries)", confirmAbove)}
)

// bulkAction is replay or purge: the same request run as a dry run or for
// real.
type bulkAction struct {
	verb string // "replay", "purge"
	run  func(dryRun bool) (n int, sample []string, result any, err error)
}

func (e *env) replay(c *cli.Context) error {
	req, err := e.replayRequest(c)
	if err != nil {
		return err
	}
	ctx, cancel := e.request(c)
	defer cancel()
	return e.bulk(c, bulkAction{verb: "replay", run: func(dry bool) (int, []string, any, error) {
		r := req
		r.DryRun = dry
		res, err := e.client(c).Replay(ctx, r)
		if err != nil {
			return 0, nil, nil, err
		}
		return res.Replayed, res.Sample, res, nil
	}})
}

func (e *env) purge(c *cli.Context) error {
	if err := args(c, 0, 0, "--state dead|delivered [--dest D] [--before T] [--dry-run] [--yes]"); err != nil {
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
	return e.bulk(c, bulkAction{verb: "purge", run: func(dry bool) (int, []string, any, error) {
		pq := q
		pq.DryRun = dry
		res, err := e.client(c).Purge(ctx, pq)
		if err != nil {
			return 0, nil, nil, err
		}
		return res.Purged, res.Sample, res, nil
	}})
}

// bulk runs a: only as a dry run with --dry-run; on a terminal without
// --yes, a dry run first, and above confirmAbove deliveries only once the
// operator answered y. Scripts (stdin not a terminal) are never asked.
func (e *env) bulk(c *cli.Context, a bulkAction) error {
	if c.Bool("dry-run") {
		n, sample, res, err := a.run(true)
		if err != nil {
			return err
		}
		if e.json {
			return e.printJSON(res)
		}
		return e.printDryRun(a.verb, n, sample)
	}
	if e.stdin != nil && !c.Bool("yes") {
		n, _, _, err := a.run(true)
		if err != nil {
			return err
		}
		if n > confirmAbove && !e.confirm(fmt.Sprintf("%s %d deliveries? [y/N] ", a.verb, n)) {
			return fmt.Errorf("%s not confirmed: nothing changed (--yes skips the question)", a.verb)
		}
	}
	n, _, res, err := a.run(false)
	if err != nil {
		return err
	}
	if e.json {
		return e.printJSON(res)
	}
	return e.counted(pastTense(a.verb), n)
}

func pastTense(verb string) string {
	if strings.HasSuffix(verb, "e") {
		return verb + "d"
	}
	return verb + "ed"
}

// printDryRun says how many deliveries would change and names a few of
// their messages, newest first.
func (e *env) printDryRun(verb string, n int, sample []string) error {
	noun := "deliveries"
	if n == 1 {
		noun = "delivery"
	}
	fmt.Fprintf(e.stdout, "dry run: would %s %d %s; nothing changed\n", verb, n, noun)
	if len(sample) == 0 {
		return nil
	}
	fmt.Fprintf(e.stdout, "messages (newest first, %d shown):\n", len(sample))
	for _, id := range sample {
		if _, err := fmt.Fprintln(e.stdout, "  "+id); err != nil {
			return err
		}
	}
	return nil
}

// confirm asks question on stderr and reads one line from the terminal:
// only y or yes agrees; anything else, or end of input, refuses.
func (e *env) confirm(question string) bool {
	fmt.Fprint(e.stderr, question)
	line, _ := bufio.NewReader(e.stdin).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	return false
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
		return req, usagef("usage: relayctl replay ID... | relayctl replay --state dead [--dest D] [--since T] [--dry-run] [--yes]")
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
