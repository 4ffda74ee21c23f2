package main

import (
	"context"
	"strings"
	"testing"

	"github.com/relayd/relayd/daemon/admin/admintest"
	"github.com/relayd/relayd/daemon/admin/client"
)

// reloadEnv answers every reload with res.
func reloadEnv(t *testing.T, res client.ReloadResult) *admintest.Env {
	return admintest.Start(t, admintest.Options{Reload: func(context.Context) (client.ReloadResult, error) { return res, nil }})
}

func TestReloadPrintsWhatChanged(t *testing.T) {
	res := admintest.NothingChanged()
	res.Added.Destinations = []string{"crm"}
	res.Changed.Routes = []string{"eq-callback", "solus"}
	e := reloadEnv(t, res)
	r := relayctl(t, e.Socket, "reload")
	want := "config reloaded\n  destinations added:   crm\n  routes changed:       eq-callback, solus\n"
	if r.code != 0 || r.stdout != want || r.stderr != "" {
		t.Fatalf("reload: %+v\nwant stdout %q", r, want)
	}
	r = relayctl(t, e.Socket, "--json", "reload")
	if r.code != 0 {
		t.Fatalf("reload --json: %+v", r)
	}
	golden(t, "reload_changes", r.stdout)
}

func TestReloadNeedingRestartExitsOne(t *testing.T) {
	res := admintest.NothingChanged()
	res.Changed.Destinations = []string{"billing"}
	res.RestartNeeded = []string{"server.listen", "storage.dir"}
	e := reloadEnv(t, res)
	r := relayctl(t, e.Socket, "reload")
	if r.code != 1 || r.stdout != "config reloaded\n  destinations changed: billing\n" ||
		r.stderr != "relayctl: the rest was applied, but these changes take effect only after a restart of relayd: server.listen, storage.dir\n" {
		t.Fatalf("reload: %+v", r)
	}
	r = relayctl(t, e.Socket, "--json", "reload")
	if r.code != 1 || !strings.Contains(r.stdout, `"error":1`) {
		t.Fatalf("reload --json: %+v", r)
	}
	golden(t, "reload_restart_needed", r.stdout)
}
