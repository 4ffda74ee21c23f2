package e2e

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestReloadPrintsWhatChanged: relayctl reload names the destinations and
// routes added and changed; a changed server.listen is named as needing a
// restart (exit 1) while the rest takes effect.
func TestReloadPrintsWhatChanged(t *testing.T) {
	sk := startSink(t, "127.0.0.1:0")
	cfg := eqCallbackConfig(sk.addr)
	r := newRelayd(t, cfg)
	r.start()

	added := strings.Replace(cfg, "routes:", "  - name: crm\n    url: http://"+sk.addr+"/crm\nroutes:", 1)
	added = strings.Replace(added, "destinations: [billing]", "destinations: [billing, crm]", 1)
	r.writeConfig(added)
	out, errs, code := ctl(t, r, "", "reload")
	want := "config reloaded\n  destinations added:   crm\n  routes changed:       eq-callback\n"
	if code != 0 || out != want || errs != "" {
		t.Fatalf("reload: exit %d\n%s%s\nwant:\n%s", code, out, errs, want)
	}
	a := r.accept("/eq_callback", "text/plain", "x")
	waitFor(t, "delivery to crm", func() bool { return strings.Contains(r.show(a.ID), `"destination": "crm"`) })

	r.writeConfig(strings.Replace(added, "listen: 127.0.0.1:0", "listen: "+reservePort(t), 1))
	out, errs, code = ctl(t, r, "", "--json", "reload")
	var res struct {
		Reloaded      bool     `json:"reloaded"`
		RestartNeeded []string `json:"restart_needed"`
		Error         int      `json:"error"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 1 || !res.Reloaded || res.Error != 1 ||
		!reflect.DeepEqual(res.RestartNeeded, []string{"server.listen"}) {
		t.Fatalf("reload with a new listen: exit %d %v\n%s%s", code, err, out, errs)
	}
	r.accept("/eq_callback", "text/plain", "still on the old listener")
	if _, errs, code = ctl(t, r, "", "reload"); code != 1 || !strings.Contains(errs, "after a restart of relayd: server.listen") {
		t.Fatalf("text reload with a new listen: exit %d %s", code, errs)
	}
}

// show is relayctl show ID --json.
func (r *relayd) show(id string) string {
	r.t.Helper()
	out, _ := r.relayctl("show", id, "--json")
	return out
}
