package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a configuration, located by its YAML path
// (e.g. "destinations[0].url") and, when it came from a file, its line.
type Problem struct {
	Path    string
	Message string
	// Line is the 1-based line in the file the problem points at; 0 when
	// unknown (a Config built in code rather than loaded).
	Line int
}

// String formats the problem as "path: message (line N)".
func (p Problem) String() string {
	path := p.Path
	if path == "" {
		path = "(top level)"
	}
	if p.Line > 0 {
		return fmt.Sprintf("%s: %s (line %d)", path, p.Message, p.Line)
	}
	return path + ": " + p.Message
}

// Problems is every problem found in one configuration. Load, Parse and
// Validate return it (as *Problems) so callers can print all of them at
// once instead of making the operator fix one error per run.
type Problems []Problem

// Error prints one problem per line.
func (ps *Problems) Error() string {
	lines := make([]string, len(*ps))
	for i, p := range *ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// add records a problem at path with a formatted message.
func (ps *Problems) add(path, format string, args ...any) {
	*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// addLine records a problem with a known line.
func (ps *Problems) addLine(path string, line int, format string, args ...any) {
	*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf(format, args...), Line: line})
}

// err returns ps as an error, or nil when there is nothing to report (never
// a typed nil inside a non-nil error).
func (ps *Problems) err() error {
	if len(*ps) == 0 {
		return nil
	}
	return ps
}

// joinPath appends a key to a YAML path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// indexPath appends a list index to a YAML path.
func indexPath(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// checks collects Validate's problems. hidden reports the paths whose
// values no message may show: those that can hold a credential and, after
// Parse, any that came from ${...} (an environment variable or a file is
// where secrets live, whatever the key).
type checks struct {
	list   Problems
	hidden func(path string) bool
	// failed holds the paths that did not decode (Parse's decoder knows
	// them; empty for a Config built in code). Nothing is checked at, under
	// or above them: a key with a type error was left unset, and "must be
	// greater than 0" or "set path or path_prefix" about it would mislead.
	failed map[string]bool
	// set reports whether the file itself set a path (nil: unknown, for a
	// Config built in code), so that a value a destination inherited from
	// defaults is reported once, at defaults.
	set func(path string) bool
}

// add records a problem at path, unless a decode problem already covers
// it; its message must quote no value, or only one passed through quote,
// got or shown.
func (ps *checks) add(path, format string, args ...any) {
	if ps.blocked(path) {
		return
	}
	ps.list.add(path, format, args...)
}

// blocked reports whether path is a failed path, lies under one, or holds
// one (a block whose key failed cannot be judged as a whole either).
func (ps *checks) blocked(path string) bool {
	if len(ps.failed) == 0 {
		return false
	}
	for p := path; ; p = parentPath(p) {
		if ps.failed[p] {
			return true
		}
		if p == "" {
			break
		}
	}
	for f := range ps.failed {
		if strings.HasPrefix(f, path+".") || strings.HasPrefix(f, path+"[") {
			return true
		}
	}
	return false
}

// anyFailed reports whether one of paths did not decode: a check that
// reads a sibling key ("set secret or secrets") is skipped then.
func (ps *checks) anyFailed(paths ...string) bool {
	for _, p := range paths {
		if ps.blocked(p) {
			return true
		}
	}
	return false
}

// namesIncomplete reports whether a destination (or its name, or the list)
// failed to decode: a reference to a name then cannot be judged unknown.
func (ps *checks) namesIncomplete() bool {
	for f := range ps.failed {
		rest, ok := strings.CutPrefix(f, "destinations")
		if f == "" || ok && (rest == "" || destIndexRE.MatchString(rest)) {
			return true
		}
	}
	return false
}

// destIndexRE matches what follows "destinations" in the path of a list
// item or of its name.
var destIndexRE = regexp.MustCompile(`^\[\d+\](\.name)?$`)

// dropInherited removes the problems of destination values the file did
// not set: they were inherited from defaults, whose own problem (or decode
// problem) is reported at defaults.… (once, not once per destination).
func (ps *checks) dropInherited() {
	if ps.set == nil {
		return
	}
	atDefaults := map[string]bool{}
	for _, p := range ps.list {
		if rest, ok := strings.CutPrefix(p.Path, "defaults."); ok {
			atDefaults[rest] = true
		}
	}
	kept := ps.list[:0]
	for _, p := range ps.list {
		if field, ok := destinationField(p.Path); ok && (atDefaults[field] || ps.blocked("defaults."+field)) && !ps.set(p.Path) {
			continue
		}
		kept = append(kept, p)
	}
	ps.list = kept
}

// destinationField splits "destinations[2].retry.multiplier" into
// "retry.multiplier".
func destinationField(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "destinations[")
	if !ok {
		return "", false
	}
	_, field, ok := strings.Cut(rest, "].")
	return field, ok
}

// shown reports whether the value at path may appear in a message.
func (ps *checks) shown(path string) bool { return !ps.hidden(path) }

// quote is the value at path quoted, or "the value" when it must not be
// shown; for messages of the form "%s is not ...".
func (ps *checks) quote(path, v string) string {
	if ps.shown(path) {
		return strconv.Quote(v)
	}
	return "the value"
}

// inline is ` "v"` for the value at path, or "" when it must not be shown;
// for messages such as "unknown scheme%s".
func (ps *checks) inline(path, v string) string {
	if ps.shown(path) {
		return " " + strconv.Quote(v)
	}
	return ""
}

// got is ", got V" for the value at path, or "" when it must not be shown.
func (ps *checks) got(path string, v any) string {
	if ps.shown(path) {
		return fmt.Sprintf(", got %v", v)
	}
	return ""
}
