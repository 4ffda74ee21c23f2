package main

import (
	"encoding/json"
	"fmt"

	"github.com/urfave/cli/v2"
)

func shellCommands(e *env) []*cli.Command {
	return []*cli.Command{
		{Name: "completion", Usage: "print a shell completion script", ArgsUsage: "bash|zsh|fish", Action: e.completion},
		// The packages' relayctl.1: `make man` runs it, so the page is
		// the same definitions --help prints.
		{Name: "man", Usage: "print relayctl's man page (roff)", Hidden: true, Action: e.man},
		{Name: "version", Usage: "print relayctl's version", Action: e.version},
	}
}

func (e *env) version(c *cli.Context) error {
	if err := args(c, 0, 0, ""); err != nil {
		return err
	}
	if e.json {
		return e.printJSON(map[string]string{"version": version})
	}
	_, err := fmt.Fprintln(e.stdout, "relayctl", version)
	return err
}

func (e *env) completion(c *cli.Context) error {
	if err := args(c, 1, 1, "bash|zsh|fish"); err != nil {
		return err
	}
	var script string
	switch c.Args().First() {
	case "bash":
		script = bashCompletion
	case "zsh":
		script = zshCompletion
	case "fish":
		script = fishCompletion
	default:
		return usagef("completion %q: want bash, zsh or fish", c.Args().First())
	}
	_, err := fmt.Fprint(e.stdout, script)
	return err
}

func (e *env) man(c *cli.Context) error {
	page, err := c.App.ToManWithSection(1)
	if err != nil {
		return fmt.Errorf("write man page: %w", err)
	}
	_, err = fmt.Fprint(e.stdout, page)
	return err
}

// jsonLine encodes v as one line of newline-delimited JSON.
func jsonLine(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode JSON: %w", err)
	}
	return append(b, '\n'), nil
}
