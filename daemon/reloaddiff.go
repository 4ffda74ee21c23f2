package daemon

import (
	"reflect"
	"strings"

	"github.com/relayd/relayd/daemon/admin/client"
	"github.com/relayd/relayd/daemon/config"
)

// liveKeys are the keys of server, admin and storage that a reload
// applies (ingress swaps them with its route table; censoring is rebuilt
// from the running config). Every other key of those sections belongs to
// a listener, the admin socket or the open store and needs a restart.
var liveKeys = map[string]bool{
	"server.trusted_proxies": true,
	"server.status_token":    true,
	"server.max_body_size":   true,
	"server.censor_fields":   true,
	// The status page reads its token from the running config per request.
	"admin.status_page_token": true,
}

// reloadDiff says what a reload from old to cur changes: destinations and
// routes added, removed and changed, by name, and the keys of cur that
// differ from boot, the config the process started with, and so take
// effect only after a restart (compared with boot, not old: a second
// reload must still name a listen address the first could not apply).
// Names and key paths only: a value may be a secret.
func reloadDiff(boot, old, cur *config.Config) client.ReloadResult {
	res := client.ReloadResult{Result: "OK", Reloaded: true, RestartNeeded: []string{}}
	res.Added.Destinations, res.Removed.Destinations, res.Changed.Destinations =
		diffNamed(old.Destinations, cur.Destinations, func(d config.Destination) string { return d.Name })
	res.Added.Routes, res.Removed.Routes, res.Changed.Routes =
		diffNamed(old.Routes, cur.Routes, func(r config.Route) string { return r.Name })
	for _, sec := range []struct {
		name     string
		old, cur any
	}{{"server", boot.Server, cur.Server}, {"admin", boot.Admin, cur.Admin}, {"storage", boot.Storage, cur.Storage}} {
		for _, key := range changedKeys(sec.name, sec.old, sec.cur) {
			if !liveKeys[key] {
				res.RestartNeeded = append(res.RestartNeeded, key)
			}
		}
	}
	return res
}

// diffNamed compares two lists of named items: the names only in cur, only
// in old, and in both with any difference (in file order of cur, then old).
func diffNamed[T any](old, cur []T, name func(T) string) (added, removed, changed []string) {
	added, removed, changed = []string{}, []string{}, []string{}
	before := make(map[string]T, len(old))
	for _, o := range old {
		before[name(o)] = o
	}
	now := make(map[string]bool, len(cur))
	for _, c := range cur {
		n := name(c)
		now[n] = true
		o, ok := before[n]
		switch {
		case !ok:
			added = append(added, n)
		case !reflect.DeepEqual(o, c):
			changed = append(changed, n)
		}
	}
	for _, o := range old {
		if !now[name(o)] {
			removed = append(removed, name(o))
		}
	}
	return added, removed, changed
}

// changedKeys names the fields of two values of one config section that
// differ, as YAML paths ("storage.max_disk"); a field that is itself a
// block is compared whole.
func changedKeys(section string, old, cur any) []string {
	ov, cv := reflect.ValueOf(old), reflect.ValueOf(cur)
	var keys []string
	for i := range ov.NumField() {
		f := ov.Type().Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		if !reflect.DeepEqual(ov.Field(i).Interface(), cv.Field(i).Interface()) {
			keys = append(keys, section+"."+tag)
		}
	}
	return keys
}
