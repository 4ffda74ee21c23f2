package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

// pagingHint is the ls command that fetches the next (older) page: every
// flag the operator set, repeated, and --before the last message shown.
// It walks the command's flags rather than naming them, so a flag added
// to ls is repeated too. A relative --since (2h) is given as the time it
// meant, so the next page has the same lower bound.
func pagingHint(c *cli.Context, next time.Time, since time.Time) string {
	parts := []string{"relayctl"}
	if c.IsSet("socket") {
		parts = append(parts, "--socket", shellQuote(c.String("socket")))
	}
	parts = append(parts, c.Command.Name)
	for _, f := range c.Command.Flags {
		name := f.Names()[0]
		if name == "before" || !c.IsSet(name) {
			continue
		}
		val := fmt.Sprint(c.Value(name))
		if name == "since" && !since.IsZero() {
			val = since.UTC().Format(time.RFC3339Nano)
		}
		parts = append(parts, "--"+name, shellQuote(val))
	}
	return strings.Join(append(parts, "--before", next.UTC().Format(time.RFC3339Nano)), " ")
}

// shellQuote quotes s for a POSIX shell unless it is plainly safe, so the
// hint can be pasted as is whatever a key or route name holds.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/+@=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
