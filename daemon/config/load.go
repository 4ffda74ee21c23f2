package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// DefaultPath is where relayd looks for its configuration by default.
const DefaultPath = "/etc/relayd/relayd.yaml"

// Load reads the configuration file at path and returns it with defaults
// applied and validated. Problems in the file's content (unknown keys, type
// errors, unset variables, invalid values) are returned together as
// *Problems; a file that cannot be read or is not YAML gives a plain error.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(data, path)
}

// Parse is Load for bytes already read; source names them in errors (a
// file name, or e.g. "embedded example"). The steps: parse YAML, expand
// ${VAR} in values from the environment, decode strictly, apply defaults,
// Validate.
func Parse(data []byte, source string) (*Config, error) {
	return parse(data, source, osSources())
}

// parse is Parse with the sources of ${...} values. Validate runs even when
// decoding found problems, on what did decode, so that one run reports
// both kinds; it skips the paths that failed to decode. The problems are
// returned in the order of the file.
func parse(data []byte, source string, src sources) (*Config, error) {
	root, err := parseDocument(data, source)
	if err != nil {
		return nil, err
	}
	d := &decoder{src: src, expanded: map[string]bool{}, lines: map[string]int{}, failed: map[string]bool{}, budget: maxNodes}
	var c Config
	d.value(root, reflect.ValueOf(&c).Elem(), "")
	c.ApplyDefaults()
	ps := d.probs
	set := func(path string) bool { _, ok := d.lines[path]; return ok }
	if err := c.validate(&checks{hidden: d.hidden, failed: d.failed, set: set}); err != nil {
		var vs *Problems
		if !errors.As(err, &vs) {
			return nil, err
		}
		ps = append(ps, *vs...)
	}
	if len(ps) == 0 {
		return &c, nil
	}
	ps.locate(d.lines)
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
	return nil, &ps
}

// parseDocument parses data into the single YAML document's root node.
func parseDocument(data []byte, source string) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("config %s is empty", source)
		}
		return nil, fmt.Errorf("parse config %s: %w", source, yamlError(err))
	}
	for {
		var extra yaml.Node
		err := dec.Decode(&extra)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parse config %s: %w", source, yamlError(err))
		}
		if !isEmptyDocument(&extra) {
			return nil, fmt.Errorf("config %s holds several YAML documents (line %d starts another); want one", source, extra.Line)
		}
	}
	if isEmptyDocument(&doc) {
		return nil, fmt.Errorf("config %s is empty", source)
	}
	return doc.Content[0], nil
}

// quotedRE matches what yaml.v3's messages quote of the document.
var quotedRE = regexp.MustCompile("'[^']*'|\"[^\"]*\"|`[^`]*`")

// yamlError is a YAML syntax error with whatever it quotes of the document
// left out ("yaml: line 4: unknown anchor '…' referenced"): the quoted
// part can be a secret written in the file. The line number stays.
func yamlError(err error) error {
	return errors.New(quotedRE.ReplaceAllString(err.Error(), "'…'"))
}

// isEmptyDocument reports whether a document holds nothing but comments.
func isEmptyDocument(doc *yaml.Node) bool {
	if len(doc.Content) == 0 {
		return true
	}
	root := doc.Content[0]
	return root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null"
}

// locate fills in the line of each problem from the decoded paths: the
// line of the path itself or, for a key that is missing, of the nearest
// enclosing block.
func (ps *Problems) locate(lines map[string]int) {
	for i := range *ps {
		p := &(*ps)[i]
		if p.Line > 0 {
			continue
		}
		for path := p.Path; ; path = parentPath(path) {
			if l, ok := lines[path]; ok && l > 0 {
				p.Line = l
				break
			}
			if path == "" {
				break
			}
		}
	}
}

// parentPath strips the last key or index from a YAML path.
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}
