package main

// The three scripts are thin: each passes the words typed so far to
// `relayctl __complete` (complete.go) and offers what it prints, so the
// commands, flags and the daemon's destinations, routes and ids are known
// in one place. The hook prints ":files" alone where file names belong.
// Its output is read line by line and never expanded by the shell.

const bashCompletion = `# relayctl bash completion: source <(relayctl completion bash)
_relayctl() {
  local cur="${COMP_WORDS[COMP_CWORD]}" out
  out=$("${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
  COMPREPLY=()
  if [[ "$out" == ":files" ]]; then
    [[ "$cur" == "=" ]] && cur=""
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  elif [[ -n "$out" ]]; then
    mapfile -t COMPREPLY <<<"$out"
  fi
  return 0
}
complete -F _relayctl relayctl
`

// As a file in $fpath (the package's _relayctl) zsh autoloads it and
// calls it once per completion; sourced, it registers itself.
const zshCompletion = `#compdef relayctl
# relayctl zsh completion: source <(relayctl completion zsh)
_relayctl() {
  local -a cands
  cands=("${(@f)$(${words[1]} __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
  cands=(${cands:#})
  if [[ "${cands[1]}" == ":files" ]]; then
    _files
  elif (( ${#cands} )); then
    compadd -- "${cands[@]}"
  fi
}
if [[ "${zsh_eval_context[-1]}" == loadautofunc ]]; then
  _relayctl "$@"
else
  compdef _relayctl relayctl
fi
`

const fishCompletion = `# relayctl fish completion: relayctl completion fish | source
function __relayctl_complete
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    set -l out ($words[1] __complete $words[2..-1] "$cur" 2>/dev/null)
    if test "$out" = ":files"
        __fish_complete_path "$cur"
    else
        printf '%s\n' $out
    end
end
complete -c relayctl -e
complete -c relayctl -f -a '(__relayctl_complete)'
`
