package main

import (
	"context"
	"slices"

	"github.com/relayd/relayd/daemon/admin/client"
)

// Completion asks the daemon for so many of the newest messages: their
// ids for show and replay, their routes for --route.
const (
	recentIDs      = 20
	recentForRoute = 500
)

// daemonValues fetches completion candidates from the daemon. Every
// failure (relayd down, a peer refused, the timeout) gives nothing: a TAB
// prints no error. What comes back is checked before it reaches a shell:
// an id must look like one, a name may hold only what config names may.
type daemonValues struct {
	client *client.Client
	ctx    context.Context
}

// destinations are the configured destinations' names; withRemoved adds
// the removed ones that still have deliveries (a filter may name them,
// pause and resume may not).
func (d *daemonValues) destinations(withRemoved bool) []string {
	st, err := d.client.Status(d.ctx)
	if err != nil {
		return nil
	}
	var names []string
	for _, dest := range st.Destinations {
		if (withRemoved || dest.State != "removed") && safeName(dest.Name) {
			names = append(names, dest.Name)
		}
	}
	return names
}

// recentIDs are the ids of the newest messages, newest first.
func (d *daemonValues) recentIDs() []string {
	l, err := d.client.List(d.ctx, client.ListQuery{Limit: recentIDs})
	if err != nil {
		return nil
	}
	var ids []string
	for _, m := range l.Messages {
		if client.ValidID(m.ID) {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

// routes are the routes of the newest messages: the admin API has no
// list of configured routes, and a route without recent messages is one
// that ls --route would find nothing for anyway.
func (d *daemonValues) routes() []string {
	l, err := d.client.List(d.ctx, client.ListQuery{Limit: recentForRoute})
	if err != nil {
		return nil
	}
	var names []string
	for _, m := range l.Messages {
		if safeName(m.Route) && !slices.Contains(names, m.Route) {
			names = append(names, m.Route)
		}
	}
	slices.Sort(names)
	return names
}

// safeName reports whether s is a name as config allows them (letters,
// digits, '_', '.', '-'): nothing a shell would expand or split.
func safeName(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c == '_' || c == '.' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
