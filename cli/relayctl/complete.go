package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/relayd/relayd/daemon/admin/client"
	"github.com/urfave/cli/v2"
)

// completeCommand is the hidden first argument of the completion hook the
// bash, zsh and fish scripts call: `relayctl __complete WORD... CURRENT`,
// with the words typed after "relayctl" and the (maybe empty) word being
// completed last. It prints one candidate a line, or filesDirective alone.
// It is not a urfave/cli command: run dispatches it before --json is
// hoisted and before any flag is parsed, so the words arrive as typed.
const completeCommand = "__complete"

// filesDirective, alone on its line, asks the script to complete file
// names (config check FILE, --socket PATH).
const filesDirective = ":files"

// completeTimeout bounds all the hook's admin requests: a TAB must not
// hang on a stuck daemon.
const completeTimeout = time.Second

// Values a command's --state takes: ls filters on every state, replay and
// purge take only the ones they act on (their checks in messages.go).
var stateValues = map[string][]string{
	"ls":     client.States,
	"replay": {"dead", "delivered", "retrying", "pending"},
	"purge":  {"dead", "delivered"},
}

// position is where the cursor is in the command line: in which command,
// after which flags and arguments.
type position struct {
	app         *cli.App
	cmd         *cli.Command // nil: at the top, before any command
	path        string       // "pause", "config check"
	flags       []cli.Flag   // the flags valid here
	args        []string     // positional arguments already given
	valueOf     cli.Flag     // the word being completed is this flag's value
	socket      string       // --socket given on the line, else ""
	afterDashes bool         // "--" seen: only arguments follow
}

// completeHook prints the candidates for words; it never fails: a
// completion that cannot ask the daemon offers nothing.
func (e *env) completeHook(ctx context.Context, words []string) int {
	if len(words) == 0 {
		words = []string{""}
	}
	words = joinEquals(words)
	cur := words[len(words)-1]
	pos, ok := locate(newApp(e), words[:len(words)-1])
	if !ok {
		return exitOK
	}
	ctx, cancel := context.WithTimeout(ctx, completeTimeout)
	defer cancel()
	d := daemonValues{client: client.New(pos.socketPath()), ctx: ctx}
	writeCandidates(e.stdout, candidates(pos, cur, &d), cur)
	return exitOK
}

// joinEquals undoes bash's split of "--dest=bil" into "--dest", "=",
// "bil" (= is in COMP_WORDBREAKS): the "=" goes, the value stays a word of
// its own, which is also the word bash replaces.
func joinEquals(words []string) []string {
	out := make([]string, 0, len(words))
	for i, w := range words {
		if w == "=" && i > 0 && strings.HasPrefix(words[i-1], "-") {
			if i == len(words)-1 {
				out = append(out, "") // "--dest=<TAB>": an empty value
			}
			continue
		}
		out = append(out, w)
	}
	return out
}

// locate walks the words before the cursor through app's command tree.
// It reports false for a line it cannot follow (an unknown command).
func locate(app *cli.App, words []string) (position, bool) {
	pos := position{app: app, flags: app.Flags}
	for _, w := range words {
		switch {
		case pos.valueOf != nil:
			pos.setValue(pos.valueOf, w)
			pos.valueOf = nil
		case w == "--" && !pos.afterDashes:
			pos.afterDashes = true
		case strings.HasPrefix(w, "-") && w != "-" && !pos.afterDashes:
			name, value, inline := strings.Cut(strings.TrimLeft(w, "-"), "=")
			f := findFlag(pos.flags, name)
			switch {
			case f == nil || !takesValue(f):
			case inline:
				pos.setValue(f, value)
			default:
				pos.valueOf = f
			}
		default:
			if !pos.enter(w) {
				return pos, false
			}
		}
	}
	return pos, true
}

// enter takes a positional word: a (sub)command, or an argument of the
// current command.
func (p *position) enter(w string) bool {
	var cmds []*cli.Command
	switch {
	case p.cmd == nil:
		cmds = p.app.Commands
	case len(p.cmd.Subcommands) > 0 && len(p.args) == 0:
		cmds = p.cmd.Subcommands
	default:
		p.args = append(p.args, w)
		return true
	}
	for _, c := range cmds {
		if c.HasName(w) {
			p.cmd, p.flags, p.args = c, c.Flags, nil
			p.path = strings.TrimSpace(p.path + " " + c.Name)
			return true
		}
	}
	return false
}

func (p *position) setValue(f cli.Flag, value string) {
	if slices.Contains(f.Names(), "socket") {
		p.socket = value
	}
}

// socketPath is the socket the line names, else the one relayctl would
// use: its environment variable, else the default.
func (p *position) socketPath() string {
	if p.socket != "" {
		return p.socket
	}
	sf, ok := findFlag(p.app.Flags, "socket").(*cli.StringFlag)
	if !ok {
		return DefaultSocket
	}
	for _, name := range sf.EnvVars {
		if v := os.Getenv(name); v != "" {
			return v
		}
	}
	return sf.Value
}

func findFlag(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		if slices.Contains(f.Names(), name) {
			return f
		}
	}
	return nil
}

func takesValue(f cli.Flag) bool {
	v, ok := f.(interface{ TakesValue() bool })
	return ok && v.TakesValue()
}

// candidates are what may stand where cur is; writeCandidates filters
// them by cur.
func candidates(pos position, cur string, d *daemonValues) []string {
	if pos.valueOf != nil {
		return flagValues(pos, pos.valueOf, d)
	}
	if strings.HasPrefix(cur, "-") && !pos.afterDashes {
		if name, _, inline := strings.Cut(strings.TrimLeft(cur, "-"), "="); inline {
			f := findFlag(pos.flags, name)
			if f == nil || !takesValue(f) {
				return nil
			}
			return withPrefix("--"+name+"=", flagValues(pos, f, d))
		}
		return flagNames(pos)
	}
	if pos.cmd == nil {
		return commandNames(pos.app.Commands)
	}
	if len(pos.cmd.Subcommands) > 0 && len(pos.args) == 0 {
		return commandNames(pos.cmd.Subcommands)
	}
	return argValues(pos, d)
}

// argValues are a command's positional arguments.
func argValues(pos position, d *daemonValues) []string {
	first := len(pos.args) == 0
	switch {
	case (pos.path == "pause" || pos.path == "resume") && first:
		return d.destinations(false)
	case pos.path == "show" && first:
		return d.recentIDs()
	case pos.path == "replay":
		return slices.DeleteFunc(d.recentIDs(), func(id string) bool { return slices.Contains(pos.args, id) })
	case pos.path == "completion" && first:
		return []string{"bash", "zsh", "fish"}
	case pos.path == "config check" && first:
		return []string{filesDirective}
	}
	return nil
}

// flagValues are the values flag f may take in pos's command.
func flagValues(pos position, f cli.Flag, d *daemonValues) []string {
	switch f.Names()[0] {
	case "socket":
		return []string{filesDirective}
	case "dest":
		return d.destinations(true)
	case "state":
		return stateValues[pos.path]
	case "route":
		return d.routes()
	}
	return nil
}

func flagNames(pos position) []string {
	names := []string{"--help", "--json"}
	if pos.cmd == nil {
		names = append(names, "--version")
	}
	for _, f := range pos.flags {
		for _, n := range f.Names() {
			if len(n) > 1 && !slices.Contains(names, "--"+n) {
				names = append(names, "--"+n)
			}
		}
	}
	return names
}

// commandNames are the visible commands: never "help", which urfave/cli
// adds to a command with subcommands and which a TAB has no use for.
func commandNames(cmds []*cli.Command) []string {
	var names []string
	for _, c := range cmds {
		if !c.Hidden && c.Name != "help" {
			names = append(names, c.Name)
		}
	}
	return names
}

func withPrefix(prefix string, values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = prefix + v
	}
	return out
}

// writeCandidates prints those starting with cur, one a line; the files
// directive passes as is.
func writeCandidates(w io.Writer, cands []string, cur string) {
	if len(cands) == 1 && cands[0] == filesDirective {
		fmt.Fprintln(w, filesDirective)
		return
	}
	for _, c := range cands {
		if strings.HasPrefix(c, cur) {
			fmt.Fprintln(w, c)
		}
	}
}
