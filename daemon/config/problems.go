package config

import (
	"fmt"
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
