package config

import (
	"fmt"
	"strings"
)

// Source is where a selector reads its value from.
type Source string

// The sources a selector can read.
const (
	SourceJSON   Source = "json"
	SourceForm   Source = "form"
	SourceQuery  Source = "query"
	SourceHeader Source = "header"
)

// Selector names one value of an inbound request: json.a.b (a path into a
// JSON body), form.x (a urlencoded or multipart form field), query.x (a
// query-string parameter) or header.X-Name (a header, case-insensitive).
type Selector struct {
	Source Source
	// Path is the JSON key path for SourceJSON, else a single name.
	Path []string
}

// String writes the selector back in config syntax.
func (s Selector) String() string { return string(s.Source) + "." + strings.Join(s.Path, ".") }

// ParseSelector parses "json.a.b", "form.x", "query.x" or "header.X-Name".
func ParseSelector(s string) (Selector, error) {
	src, rest, ok := strings.Cut(s, ".")
	if !ok || rest == "" {
		return Selector{}, fmt.Errorf("invalid selector %q: want json.a.b, form.x, query.x or header.X-Name", s)
	}
	switch Source(src) {
	case SourceJSON:
		parts := strings.Split(rest, ".")
		for _, p := range parts {
			if p == "" {
				return Selector{}, fmt.Errorf("invalid selector %q: empty JSON key", s)
			}
		}
		return Selector{Source: SourceJSON, Path: parts}, nil
	case SourceForm, SourceQuery, SourceHeader:
		if strings.TrimSpace(rest) != rest {
			return Selector{}, fmt.Errorf("invalid selector %q: name has surrounding spaces", s)
		}
		return Selector{Source: Source(src), Path: []string{rest}}, nil
	default:
		return Selector{}, fmt.Errorf("invalid selector %q: unknown source %q (want json, form, query or header)", s, src)
	}
}
