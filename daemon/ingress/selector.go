package ingress

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/relayd/relayd/daemon/config"
)

// errBadBody is wrapped by selector reads that met a body they could not
// parse; the request is answered 400.
var errBadBody = errors.New("malformed body")

// selector is a compiled config.Selector.
type selector struct {
	src  config.Source
	path []string // JSON key path; else one name
	text string   // as written in the config, for messages
}

func compileSelector(s string) (*selector, error) {
	if s == "" {
		return nil, nil
	}
	cs, err := config.ParseSelector(s)
	if err != nil {
		return nil, err
	}
	return &selector{src: cs.Source, path: cs.Path, text: s}, nil
}

// request is one inbound request as selectors see it. The JSON and the
// multipart form are parsed at most once, and only when a selector needs
// them.
type request struct {
	ctx *fasthttp.RequestCtx

	jsonParsed bool
	jsonValue  any
	jsonErr    error

	formParsed bool
	form       *multipart.Form
	formErr    error
}

// value returns the selected value and whether it is present. The bytes may
// point into fasthttp's buffers: valid only during the handler.
func (rq *request) value(s *selector) (val []byte, found bool, err error) {
	h := &rq.ctx.Request
	switch s.src {
	case config.SourceHeader:
		v := h.Header.Peek(s.path[0])
		return v, v != nil, nil
	case config.SourceQuery:
		args := rq.ctx.QueryArgs()
		if !args.Has(s.path[0]) {
			return nil, false, nil
		}
		return args.Peek(s.path[0]), true, nil
	case config.SourceForm:
		return rq.formValue(s.path[0])
	case config.SourceJSON:
		return rq.jsonSelect(s.path)
	}
	return nil, false, fmt.Errorf("unknown selector source %q", s.src)
}

var multipartPrefix = []byte("multipart/form-data")

func (rq *request) formValue(name string) ([]byte, bool, error) {
	h := &rq.ctx.Request
	if !bytes.HasPrefix(h.Header.ContentType(), multipartPrefix) {
		// PostArgs parses only application/x-www-form-urlencoded bodies.
		args := h.PostArgs()
		if !args.Has(name) {
			return nil, false, nil
		}
		return args.Peek(name), true, nil
	}
	if !rq.formParsed {
		rq.formParsed = true
		rq.form, rq.formErr = h.MultipartForm()
		if rq.formErr != nil {
			rq.formErr = fmt.Errorf("%w: multipart form: %v", errBadBody, rq.formErr)
		}
	}
	if rq.formErr != nil {
		return nil, false, rq.formErr
	}
	vs := rq.form.Value[name]
	if len(vs) == 0 {
		return nil, false, nil
	}
	return []byte(vs[0]), true, nil
}

func (rq *request) jsonSelect(path []string) ([]byte, bool, error) {
	if !rq.jsonParsed {
		rq.jsonParsed = true
		rq.jsonValue, rq.jsonErr = parseJSON(rq.ctx.Request.Body())
	}
	if rq.jsonErr != nil {
		return nil, false, rq.jsonErr
	}
	return selectJSON(rq.jsonValue, path)
}

// parseJSON decodes body keeping numbers as their JSON text. An empty body
// holds no values (nil, nil); anything else must be one JSON value.
func parseJSON(body []byte) (any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: JSON: %v", errBadBody, err)
	}
	if rest := body[dec.InputOffset():]; len(bytes.TrimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%w: JSON: data after the value", errBadBody)
	}
	return v, nil
}

// selectJSON walks path through objects (by key) and arrays (by index).
// Strings are selected without quotes, numbers as their JSON text, booleans
// as true/false, objects and arrays as compact JSON; null is not found.
func selectJSON(v any, path []string) ([]byte, bool, error) {
	for _, key := range path {
		switch node := v.(type) {
		case map[string]any:
			next, ok := node[key]
			if !ok {
				return nil, false, nil
			}
			v = next
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(node) {
				return nil, false, nil
			}
			v = node[i]
		default:
			return nil, false, nil
		}
	}
	switch leaf := v.(type) {
	case nil:
		return nil, false, nil
	case string:
		return []byte(leaf), true, nil
	case json.Number:
		return []byte(leaf), true, nil
	case bool:
		return strconv.AppendBool(nil, leaf), true, nil
	default:
		b, err := json.Marshal(leaf)
		if err != nil {
			return nil, false, fmt.Errorf("render selected JSON: %w", err)
		}
		return b, true, nil
	}
}
