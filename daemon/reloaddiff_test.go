package daemon

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/relayd/relayd/daemon/config"
)

const diffBase = `
server: {listen: "127.0.0.1:8080", status_token: tok-old-canary}
admin: {socket: /tmp/a.sock}
storage: {dir: /tmp/data}
destinations:
  - {name: billing, url: "http://127.0.0.1:9101/", headers: {Authorization: "Bearer old-canary"}}
  - {name: mailer, url: "http://127.0.0.1:9102/"}
routes:
  - {name: eq, path: /eq, destinations: [billing]}
  - {name: solus, path: /solus, destinations: [mailer]}
`

func parseDiffConfig(t *testing.T, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), "test")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestReloadDiff(t *testing.T) {
	tests := []struct {
		name                    string
		from, to                string
		added, removed, changed [2][]string // routes, destinations
		restart                 []string
	}{
		{name: "nothing", from: diffBase, to: diffBase},
		{name: "destination added", from: diffBase,
			to:    strings.Replace(diffBase, "routes:", "  - {name: crm, url: \"http://127.0.0.1:9103/\"}\nroutes:", 1),
			added: [2][]string{{}, {"crm"}}},
		{name: "route points elsewhere", from: diffBase,
			to:      strings.Replace(diffBase, "path: /eq, destinations: [billing]", "path: /eq, destinations: [billing, mailer]", 1),
			changed: [2][]string{{"eq"}, {}}},
		{name: "secret changed: by name only", from: diffBase,
			to:      strings.ReplaceAll(diffBase, "old-canary", "new-canary"),
			changed: [2][]string{{}, {"billing"}}},
		{name: "removed and restart keys", from: diffBase,
			to: strings.NewReplacer("127.0.0.1:8080", "127.0.0.1:8081", "/tmp/data", "/tmp/data2",
				"\n  - {name: solus, path: /solus, destinations: [mailer]}", "",
				"admin: {socket: /tmp/a.sock}", "admin: {socket: /tmp/b.sock, metrics_listen: \"127.0.0.1:9464\"}",
				"server: {", "server: {max_conns: 10, ").Replace(diffBase),
			removed: [2][]string{{"solus"}, {}},
			restart: []string{"server.listen", "server.max_conns", "admin.socket", "admin.metrics_listen", "storage.dir"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from := parseDiffConfig(t, tt.from)
			res := reloadDiff(from, from, parseDiffConfig(t, tt.to))
			got := [][]string{res.Added.Routes, res.Added.Destinations, res.Removed.Routes, res.Removed.Destinations,
				res.Changed.Routes, res.Changed.Destinations, res.RestartNeeded}
			want := [][]string{tt.added[0], tt.added[1], tt.removed[0], tt.removed[1], tt.changed[0], tt.changed[1], tt.restart}
			for i := range want {
				if want[i] == nil {
					want[i] = []string{}
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("added r/d, removed r/d, changed r/d, restart:\n got  %q\n want %q", got, want)
			}
			b, _ := json.Marshal(res)
			if strings.Contains(string(b), "canary") || strings.Contains(string(b), "9101") {
				t.Errorf("a value in the reload answer: %s", b)
			}
		})
	}
}

// TestReloadDiffLiveKeysNeedNoRestart: what ingress swaps on reload
// (status token, trusted proxies, body limit, censor fields) is not
// reported as needing a restart.
func TestReloadDiffLiveKeysNeedNoRestart(t *testing.T) {
	to := strings.NewReplacer("tok-old-canary", "tok-new-canary",
		"server: {", "server: {max_body_size: 2MiB, trusted_proxies: [10.0.0.0/8], censor_fields: [pin], ").Replace(diffBase)
	base := parseDiffConfig(t, diffBase)
	if res := reloadDiff(base, base, parseDiffConfig(t, to)); len(res.RestartNeeded) != 0 {
		t.Fatalf("restart needed for live keys: %v", res.RestartNeeded)
	}
}

// TestReloadDiffRestartKeysAgainstBoot: a key that needed a restart still
// does at the next reload (the listener did not move), and a change
// reverted to the running value no longer does.
func TestReloadDiffRestartKeysAgainstBoot(t *testing.T) {
	boot := parseDiffConfig(t, diffBase)
	moved := parseDiffConfig(t, strings.Replace(diffBase, "127.0.0.1:8080", "127.0.0.1:8081", 1))
	if got := reloadDiff(boot, moved, moved).RestartNeeded; !reflect.DeepEqual(got, []string{"server.listen"}) {
		t.Errorf("second reload: restart needed %q, want server.listen", got)
	}
	if got := reloadDiff(boot, moved, boot).RestartNeeded; len(got) != 0 {
		t.Errorf("reverted: restart needed %q", got)
	}
}
