package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/relayd/relayd/daemon/admin/client"
	"github.com/urfave/cli/v2"
)

// DefaultSocket is where relayd's admin socket lives unless configured.
const DefaultSocket = "/run/relayd/admin.sock"

// requestTimeout bounds every admin request but tail.
const requestTimeout = 2 * time.Minute

// Exit codes (SPEC.md): 0 ok, 1 failure, 2 usage.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError is a command line relayctl cannot run: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// env is what every command needs: where to write, how (JSON or text),
// the clock and the admin client.
type env struct {
	stdout, stderr io.Writer
	// stdin is the terminal relayctl may ask on; nil when stdin is not
	// one (a script), and then nothing is asked.
	stdin io.Reader
	json  bool
	now   func() time.Time
}

// run runs relayctl with args (args[0] is the program name) and returns
// the process exit code; it never asks a question.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runOn(ctx, args, nil, stdout, stderr)
}

// runOn is run with a terminal (nil: none) to ask for confirmations on.
func runOn(ctx context.Context, args []string, terminal io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr, stdin: terminal, now: time.Now}
	if len(args) > 1 && args[1] == completeCommand {
		return e.completeHook(ctx, args[2:])
	}
	args, e.json = hoistJSONFlag(args)
	err := newApp(e).RunContext(ctx, args)
	return e.finish(err)
}

// hoistJSONFlag moves every --json to the front, so that it works after
// the command too (`relayctl show ID --json`, as SPEC.md writes it); the
// flag parser stops at the first positional argument.
func hoistJSONFlag(args []string) ([]string, bool) {
	if len(args) == 0 {
		return args, false
	}
	rest := []string{}
	found := false
	for i, a := range args[1:] {
		if a == "--" {
			rest = append(rest, args[1+i:]...)
			break
		}
		if a == "--json" || a == "-json" || a == "--json=true" {
			found = true
			continue
		}
		rest = append(rest, a)
	}
	out := []string{args[0]}
	if found {
		out = append(out, "--json")
	}
	return append(out, rest...), found
}

// finish reports err (as JSON on stdout with --json, else on stderr) and
// returns the exit code.
func (e *env) finish(err error) int {
	if err == nil {
		return exitOK
	}
	code := exitFailure
	var ue *usageError
	if errors.As(err, &ue) {
		code = exitUsage
	}
	if e.json {
		var body any = client.ErrorBody{Error: 1, ErrorMessage: err.Error()}
		var detailed interface{ jsonBody() any }
		if errors.As(err, &detailed) {
			body = detailed.jsonBody() // the same, with more fields
		}
		b, _ := json.Marshal(body)
		fmt.Fprintln(e.stdout, string(b))
		return code
	}
	fmt.Fprintln(e.stderr, "relayctl:", err)
	if code == exitUsage {
		fmt.Fprintln(e.stderr, "run 'relayctl --help' or 'relayctl COMMAND --help' for usage")
	}
	return code
}

// client returns the admin client for the --socket in effect.
func (e *env) client(c *cli.Context) *client.Client {
	return client.New(c.String("socket"))
}

// request is the context of one admin request.
func (e *env) request(c *cli.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Context, requestTimeout)
}

// printJSON writes v as the command's one JSON document.
func (e *env) printJSON(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

func newApp(e *env) *cli.App {
	app := &cli.App{
		Name:      "relayctl",
		Usage:     "inspect and steer a running relayd through its admin socket",
		UsageText: "relayctl [--socket PATH] [--json] COMMAND [ARGS]",
		Version:   version,
		Writer:    e.stdout,
		ErrWriter: e.stderr,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "socket", Value: DefaultSocket, EnvVars: []string{"RELAYD_SOCKET"},
				Usage: "relayd's admin socket"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON document (errors as {\"error\":1,\"error_message\":...})"},
		},
		HideHelpCommand: true,
		Action: func(c *cli.Context) error {
			if c.Args().First() == "help" {
				return cli.ShowAppHelp(c)
			}
			if c.NArg() > 0 {
				return usagef("unknown command %q", c.Args().First())
			}
			cli.ShowAppHelp(c)
			return usagef("no command given")
		},
		// Exit codes are decided by run, never by urfave/cli.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   onUsageError,
	}
	app.Commands = append(app.Commands, destinationCommands(e)...)
	app.Commands = append(app.Commands, messageCommands(e)...)
	app.Commands = append(app.Commands, controlCommands(e)...)
	app.Commands = append(app.Commands, shellCommands(e)...)
	setUsageErrors(app.Commands)
	return app
}

func onUsageError(_ *cli.Context, err error, _ bool) error {
	return &usageError{msg: err.Error()}
}

// setUsageErrors makes flag errors of every (sub)command usage errors.
func setUsageErrors(cmds []*cli.Command) {
	for _, c := range cmds {
		c.OnUsageError = onUsageError
		setUsageErrors(c.Subcommands)
	}
}

// args checks a command's positional argument count.
func args(c *cli.Context, min, max int, names string) error {
	n := c.NArg()
	if n < min || (max >= 0 && n > max) {
		name := c.Command.HelpName // "relayctl config check"
		if name == "" {
			name = "relayctl " + c.Command.Name
		}
		return usagef("usage: %s %s", name, names)
	}
	return nil
}
