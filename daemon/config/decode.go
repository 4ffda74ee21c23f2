package config

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder fills a Config from a parsed YAML node tree. It is strict like
// yaml.v3's KnownFields(true), but it reports every unknown key, duplicate
// key and type error at once, each with its YAML path and line, which
// yaml.v3's own errors do not carry ("line 7: field x not found in type
// config.Destination", and no line at all for a custom unmarshaler's error).
// Leaf values are still decoded by yaml.v3, so scalars mean what they mean
// in YAML.
type decoder struct {
	src   sources
	probs Problems
	// failed holds the paths that did not decode (and, for a misspelt
	// key, the key it was probably meant to be): what Validate would say
	// about them is a consequence of the decode problem, not another one.
	failed map[string]bool
	// expanded holds the paths whose values came from ${...}: they may be
	// secrets whatever the key, so no problem shows them.
	expanded map[string]bool
	// lines maps every decoded path to its line, so Validate's problems can
	// be located in the file too.
	lines map[string]int
	// budget bounds the nodes visited: aliases and merge keys can make a
	// small file describe an exponentially large (or cyclic) tree.
	budget int
}

// maxNodes is far above any real config and far below "hangs the daemon".
const maxNodes = 100000

var unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()

// value decodes n into v (settable) at path.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	if !d.spend(n) {
		return
	}
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	d.lines[path] = n.Line
	if n.Kind == yaml.ScalarNode {
		var ok bool
		if n, ok = d.expand(n, path); !ok {
			return
		}
		if n.ShortTag() == "!!null" {
			return // unset: leave the zero value (nil pointer, empty string)
		}
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.value(n, v.Elem(), path)
		return
	}
	if reflect.PointerTo(v.Type()).Implements(unmarshalerType) {
		d.leaf(n, v, path)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.mapping(n, v, path)
	case reflect.Slice:
		d.sequence(n, v, path)
	case reflect.Map:
		d.stringMap(n, v, path)
	default:
		d.leaf(n, v, path)
	}
}

// fail records a decode problem at path and marks the path as failed.
func (d *decoder) fail(path string, line int, format string, args ...any) {
	d.probs.addLine(path, line, format, args...)
	d.failed[path] = true
}

// spend takes one node from the budget, reporting once when it runs out.
func (d *decoder) spend(n *yaml.Node) bool {
	d.budget--
	if d.budget == -1 {
		d.fail("", n.Line, "too many nodes after expanding aliases (more than %d)", maxNodes)
	}
	return d.budget >= 0
}

// expand applies ${...} expansion to a scalar. It returns a copy when the
// value changed; a plain scalar then loses its resolved tag so that, e.g.,
// "${CONCURRENCY:-4}" is decoded as the integer 4.
func (d *decoder) expand(n *yaml.Node, path string) (*yaml.Node, bool) {
	v, expanded, err := expandEnv(n.Value, d.src)
	if err != nil {
		d.fail(path, n.Line, "%v", err)
		return n, false
	}
	if expanded {
		d.expanded[path] = true
	}
	if v == n.Value {
		return n, true
	}
	c := *n
	c.Value = v
	if c.Style == 0 {
		c.Tag = ""
	}
	return &c, true
}

// mapping decodes a YAML mapping into the struct v, field by yaml tag.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(path, n.Line, "want a mapping (key: value), got %s", describe(n))
		return
	}
	// Merge keys first, so that the mapping's own keys override them.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if isMergeKey(n.Content[i]) {
			d.merge(n.Content[i+1], v, path)
		}
	}
	fields := structFields(v.Type())
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.fail(path, k.Line, "keys must be plain strings, got %s", describe(k))
			continue
		}
		key, kp := k.Value, joinPath(path, k.Value)
		idx, known := fields[key]
		if !known {
			hint, meant := suggest(key, fields)
			d.fail(kp, k.Line, "unknown key %q%s", key, hint)
			if meant != "" {
				d.failed[joinPath(path, meant)] = true
			}
			continue
		}
		if first, dup := seen[key]; dup {
			d.fail(kp, k.Line, "key %q appears twice (first on line %d)", key, first)
			continue
		}
		seen[key] = k.Line
		d.value(val, v.Field(idx), kp)
	}
}

// isMergeKey reports whether k is YAML's merge key "<<".
func isMergeKey(k *yaml.Node) bool { return k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" }

// merge applies a YAML merge key ("<<: *anchor") to the struct v.
func (d *decoder) merge(n *yaml.Node, v reflect.Value, path string) {
	if !d.spend(n) {
		return
	}
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.SequenceNode {
		for _, m := range n.Content {
			d.merge(m, v, path)
		}
		return
	}
	d.mapping(n, v, path)
}

// sequence decodes a YAML sequence into the slice v. An explicit empty list
// yields an empty, non-nil slice, so defaults can tell "[]" from "unset".
func (d *decoder) sequence(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.fail(path, n.Line, "want a list, got %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.value(item, s.Index(i), indexPath(path, i))
	}
	v.Set(s)
}

// stringMap decodes a YAML mapping into a map with string keys.
func (d *decoder) stringMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(path, n.Line, "want a mapping (key: value), got %s", describe(n))
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.fail(path, k.Line, "keys must be plain strings, got %s", describe(k))
			continue
		}
		kp := joinPath(path, k.Value)
		if m.MapIndex(reflect.ValueOf(k.Value)).IsValid() {
			d.fail(kp, k.Line, "key %q appears twice", k.Value)
			continue
		}
		e := reflect.New(v.Type().Elem()).Elem()
		d.value(val, e, kp)
		m.SetMapIndex(reflect.ValueOf(k.Value), e)
	}
	v.Set(m)
}

// leaf decodes a scalar into a basic type or a type with its own
// UnmarshalYAML (Duration, Size, StatusMatch).
func (d *decoder) leaf(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.fail(path, n.Line, "want %s, got %s", expected(v.Type()), describe(n))
		return
	}
	if v.Kind() == reflect.String && v.Type() == reflect.TypeOf("") {
		v.SetString(n.Value) // any scalar is a string; keep it verbatim
		return
	}
	err := n.Decode(v.Addr().Interface())
	if err == nil {
		return
	}
	_, isTypeErr := err.(*yaml.TypeError)
	switch {
	case d.hidden(path): // the types' own errors quote the value
		d.fail(path, n.Line, "want %s", expected(v.Type()))
	case isTypeErr:
		d.fail(path, n.Line, "want %s, got %q", expected(v.Type()), n.Value)
	default:
		d.fail(path, n.Line, "%v", err)
	}
}

// hidden reports whether the value at path must not appear in a problem:
// it can be a credential, or it came from ${...}.
// A destination's value may be inherited from defaults (ApplyDefaults), so
// it is hidden when the default it took is.
func (d *decoder) hidden(path string) bool {
	if d.expanded[path] || secretPath(path) {
		return true
	}
	if rest, ok := strings.CutPrefix(path, "destinations["); ok {
		if _, field, ok := strings.Cut(rest, "]."); ok {
			return d.expanded["defaults."+field]
		}
	}
	return false
}

// structFields maps yaml key → field index.
func structFields(t reflect.Type) map[string]int {
	m := make(map[string]int, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			m[name] = i
		}
	}
	return m
}

// expected names what a Go type expects, for error messages.
func expected(t reflect.Type) string {
	switch t {
	case reflect.TypeOf(Duration(0)):
		return "a duration such as 10s"
	case reflect.TypeOf(Size(0)):
		return "a size such as 1MiB"
	case reflect.TypeOf(StatusMatch{}):
		return "a status code or class such as 429 or 5xx"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.Float64:
		return "a number"
	default:
		return "a string"
	}
}

// describe names the kind of a node, for error messages. A scalar's value
// is not shown: it may be a secret written where a block was meant.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return "a single value"
	}
}

// suggest returns a "did you mean" hint for a misspelt key and the key
// meant, or the list of valid keys (and "") when none is close.
func suggest(key string, fields map[string]int) (hint, meant string) {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	best, bestDist := "", 3
	for _, name := range names {
		if dist := editDistance(key, name); dist < bestDist {
			best, bestDist = name, dist
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best), best
	}
	return " (valid keys: " + strings.Join(names, ", ") + ")", ""
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
