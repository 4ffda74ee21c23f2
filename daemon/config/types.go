package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration written in Go syntax ("10s", "72h").
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML parses Go duration syntax.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("invalid duration %q (use Go syntax such as 10s, 5m, 72h)", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes Go duration syntax.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Size is a byte count written as a plain number or with a unit
// ("512KiB", "1MiB", "10MB", "2GiB").
type Size int64

// UnmarshalYAML parses a byte size.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseSize(n.Value)
	if err != nil {
		return err
	}
	*s = Size(v)
	return nil
}

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1},
}

// ParseSize parses "1MiB", "512KB", "1048576" into bytes.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || (mult > 1 && n > (1<<62)/mult) {
		return 0, fmt.Errorf("invalid size %q (use bytes or a unit: 512KiB, 1MiB, 1GB)", s)
	}
	return n * mult, nil
}

// StatusMatch is one entry of retry.on_status: a code (429) or a class ("5xx").
type StatusMatch struct {
	Lo, Hi int // inclusive
}

// Matches reports whether code is covered.
func (m StatusMatch) Matches(code int) bool { return code >= m.Lo && code <= m.Hi }

// UnmarshalYAML accepts 429, "429" or "5xx".
func (m *StatusMatch) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseStatusMatch(n.Value)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// MarshalYAML writes the code or class back.
func (m StatusMatch) MarshalYAML() (any, error) {
	if m.Lo == m.Hi {
		return m.Lo, nil
	}
	return fmt.Sprintf("%dxx", m.Lo/100), nil
}

// ParseStatusMatch parses "429" or "5xx".
func ParseStatusMatch(s string) (StatusMatch, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if len(t) == 3 && strings.HasSuffix(t, "xx") && t[0] >= '1' && t[0] <= '5' {
		c := int(t[0]-'0') * 100
		return StatusMatch{Lo: c, Hi: c + 99}, nil
	}
	c, err := strconv.Atoi(t)
	if err != nil || c < 100 || c > 599 {
		return StatusMatch{}, fmt.Errorf("invalid status %q (use a code 100-599 or a class like 5xx)", s)
	}
	return StatusMatch{Lo: c, Hi: c}, nil
}
