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
		// fish has no --generate-bash-completion hook: urfave/cli writes
		// the whole command tree out instead.
		s, err := c.App.ToFishCompletion()
		if err != nil {
			return fmt.Errorf("write fish completion: %w", err)
		}
		script = s
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

// The scripts ask relayctl itself for candidates (urfave/cli's
// --generate-bash-completion), so they follow the commands and flags.
const bashCompletion = `# relayctl bash completion: source <(relayctl completion bash)
_relayctl_complete() {
  local cur opts
  COMPREPLY=()
  cur="${COMP_WORDS[COMP_CWORD]}"
  if [[ "$cur" == -* ]]; then
    opts=$("${COMP_WORDS[@]:0:$COMP_CWORD}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    opts=$("${COMP_WORDS[@]:0:$COMP_CWORD}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "${opts}" -- "${cur}"))
  return 0
}
complete -o bashdefault -o default -F _relayctl_complete relayctl
`

// As a file in $fpath (the package's _relayctl) zsh autoloads it and
// calls it once per completion; sourced, it registers itself.
const zshCompletion = `#compdef relayctl
# relayctl zsh completion: source <(relayctl completion zsh)
_relayctl() {
  local -a opts
  local cur=${words[-1]}
  if [[ "$cur" == -* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} "$cur" --generate-bash-completion 2>/dev/null)}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion 2>/dev/null)}")
  fi
  if [[ "${opts[1]}" != "" ]]; then
    _describe 'values' opts
  else
    _files
  fi
}
if [[ "${zsh_eval_context[-1]}" == loadautofunc ]]; then
  _relayctl "$@"
else
  compdef _relayctl relayctl
fi
`
