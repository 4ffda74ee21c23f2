package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/relayd/relayd/daemon/admin/client"
)

// keyMatchesAsked is how many messages show asks for when its argument is
// a key: enough to say "more than 100" and to list a few of them.
const keyMatchesAsked = 101

// keyIDsShown is how many ids an ambiguous key's error lists.
const keyIDsShown = 5

// ambiguousKeyError is show's answer to a key that names several messages:
// exit 1, and with --json the ids as well.
type ambiguousKeyError struct {
	key  string
	ids  []string
	more bool // more than the ids counted
}

func (e *ambiguousKeyError) Error() string {
	n := fmt.Sprint(len(e.ids))
	if e.more {
		n = fmt.Sprintf("more than %d", len(e.ids))
	}
	shown := e.ids[:min(len(e.ids), keyIDsShown)]
	list := strings.Join(shown, ", ")
	if len(e.ids) > len(shown) {
		list += ", …"
	}
	return fmt.Sprintf("key %q names %s messages: %s; use relayctl ls --key %q", e.key, n, list, e.key)
}

// jsonBody is the error document with every id counted.
func (e *ambiguousKeyError) jsonBody() any {
	return struct {
		client.ErrorBody
		IDs []string `json:"ids"`
	}{client.ErrorBody{Error: 1, ErrorMessage: e.Error()}, e.ids}
}

// messageByIDOrKey fetches the message arg names: as an id first, then as
// an idempotency key, ordering key or tracing id that names exactly one
// message.
func messageByIDOrKey(ctx context.Context, cl *client.Client, arg string) (*client.Message, error) {
	var idErr error
	if client.ValidID(arg) {
		m, err := cl.Message(ctx, arg)
		var ae *client.Error
		if err == nil || !errors.As(err, &ae) || ae.Status != http.StatusNotFound {
			return m, err
		}
		idErr = err
	}
	l, err := cl.List(ctx, client.ListQuery{Key: arg, Limit: keyMatchesAsked})
	if err != nil {
		return nil, fmt.Errorf("find messages by key: %w", err)
	}
	switch len(l.Messages) {
	case 0:
		if idErr != nil {
			return nil, idErr // "no message <id>", as before keys
		}
		return nil, fmt.Errorf("no message has the id or key %q", arg)
	case 1:
		return cl.Message(ctx, l.Messages[0].ID)
	}
	e := &ambiguousKeyError{key: arg, more: len(l.Messages) == keyMatchesAsked}
	for _, m := range l.Messages[:min(len(l.Messages), keyMatchesAsked-1)] {
		e.ids = append(e.ids, m.ID)
	}
	return nil, e
}
