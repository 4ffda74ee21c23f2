package daemon

import (
	"bytes"
	"context"
	"encoding/pem"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/relayd/relayd/daemon/config"
	"github.com/relayd/relayd/relay"
)

// reloadRig is a running daemon whose Load answers the YAML in cfg (after
// running before, when set), logging into log.
type reloadRig struct {
	d      *Daemon
	in     string // ingress base URL
	log    *lockedBuffer
	mu     sync.Mutex
	cfg    string
	before func() // run by Load after parsing, as a file could change then
}

func startReloadRig(t *testing.T, yaml string) *reloadRig {
	t.Helper()
	rig := &reloadRig{log: &lockedBuffer{}, cfg: yaml}
	var ready atomic.Bool
	d, err := New(Options{
		Load:   rig.load,
		Logger: slog.New(slog.NewTextHandler(rig.log, nil)),
		Notify: func(state string) { ready.Store(state == "READY=1") },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, "ready", ready.Load)
	rig.d, rig.in = d, "http://"+d.IngressAddr().String()
	return rig
}

func (rig *reloadRig) load() (*config.Config, error) {
	rig.mu.Lock()
	defer rig.mu.Unlock()
	cfg, err := config.Parse([]byte(rig.cfg), "test")
	if err == nil && rig.before != nil {
		rig.before()
	}
	return cfg, err
}

func (rig *reloadRig) set(yaml string, before func()) {
	rig.mu.Lock()
	defer rig.mu.Unlock()
	rig.cfg, rig.before = yaml, before
}

func (rig *reloadRig) status(t *testing.T, name string) relay.DestinationStatus {
	t.Helper()
	for _, st := range rig.d.relay.Destinations() {
		if st.Name == name {
			return st
		}
	}
	t.Fatalf("destination %q is not running", name)
	return relay.DestinationStatus{}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "rdr") // short: unix socket path limit
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// TestReloadRefusedByIngressRestartsNoDestination: a reload whose routes
// do not compile (a key reading the token auth consumes; config.Validate
// lets it through) while its destinations would build is refused as a
// whole. The running destinations are not restarted, even the one whose
// settings the refused config changed: a delivery in flight stays leased
// by its instance and finishes once, a backing-off breaker keeps its
// state, and the old routes answer while the new one does not.
func TestReloadRefusedByIngressRestartsNoDestination(t *testing.T) {
	release := make(chan struct{})
	var slow, flaky atomic.Int32
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/flaky" {
			flaky.Add(1)
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if slow.Add(1) == 1 {
			<-release // the first delivery stays in flight until released
		}
	}))
	defer sink.Close()
	defer close(release) // before sink.Close: a blocked handler must end
	dir := shortDir(t)
	base := `
server: {listen: "127.0.0.1:0"}
admin: {socket: ` + filepath.Join(dir, "a.sock") + `}
storage: {dir: ` + filepath.Join(dir, "data") + `}
defaults: {retry: {initial_interval: 1h}, breaker: {failures: 1}}
`
	old := base + `
destinations:
  - {name: billing, url: "` + sink.URL + `/slow"}
  - {name: mailer, url: "` + sink.URL + `/flaky"}
routes:
  - {name: in, path: /in, destinations: [billing]}
  - {name: mail, path: /mail, destinations: [mailer]}
`
	rig := startReloadRig(t, old)
	post(t, rig.in+"/in", http.StatusAccepted)
	post(t, rig.in+"/mail", http.StatusAccepted)
	waitFor(t, "the billing delivery in flight", func() bool { return rig.status(t, "billing").InFlight == 1 })
	waitFor(t, "mailer backing off", func() bool { return rig.status(t, "mailer").State == relay.StateBackingOff })
	mailerBefore := rig.status(t, "mailer")

	// billing's timeout changes (a restart if it were applied), mailer
	// goes, and route "new" reads the token its auth consumes.
	rig.set(base+`
destinations:
  - {name: billing, url: "`+sink.URL+`/slow", timeout: 7s}
routes:
  - {name: in, path: /in, destinations: [billing]}
  - name: new
    path: /new
    destinations: [billing]
    auth: {token: {query: t, values: [not-a-real-secret]}}
    idempotency_key: query.t
`, nil)
	err := rig.d.Reload(context.Background())
	if err == nil || !strings.Contains(err.Error(), "idempotency_key") {
		t.Fatalf("reload = %v, want refused naming idempotency_key", err)
	}

	if st := rig.status(t, "billing"); st.InFlight != 1 {
		t.Errorf("billing in flight after the refused reload = %d, want 1 (restarted?)", st.InFlight)
	}
	if st := rig.status(t, "mailer"); st.State != mailerBefore.State || !st.NextProbeAt.Equal(mailerBefore.NextProbeAt) ||
		st.ConsecutiveFailures != mailerBefore.ConsecutiveFailures {
		t.Errorf("mailer after the refused reload: %+v, want as before: %+v", st, mailerBefore)
	}
	for _, line := range []string{"destination restarted", "destination removed"} {
		if strings.Contains(rig.log.String(), line) {
			t.Errorf("a refused reload logged %q:\n%s", line, rig.log.String())
		}
	}
	post(t, rig.in+"/mail", http.StatusAccepted) // an old route answers
	post(t, rig.in+"/new?t=not-a-real-secret", http.StatusNotFound)

	release <- struct{}{} // the handler's receive: the delivery finishes
	waitFor(t, "the in-flight delivery recorded", func() bool {
		return rig.d.store.Counts()["billing"].Delivered == 1
	})
	if n := slow.Load(); n != 1 {
		t.Errorf("billing's sink got %d requests, want 1 (the in-flight one, not sent again)", n)
	}
}

// TestReloadRefusedByRelayKeepsRoutes: a reload whose destinations do not
// build (a CA file that turned to garbage after validation) is refused
// before any route changes: the new route is not served, the old one is.
func TestReloadRefusedByRelayKeepsRoutes(t *testing.T) {
	tlsSink := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer tlsSink.Close()
	dir := shortDir(t)
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSink.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	base := `
server: {listen: "127.0.0.1:0"}
admin: {socket: ` + filepath.Join(dir, "a.sock") + `}
storage: {dir: ` + filepath.Join(dir, "data") + `}
destinations: [{name: billing, url: "` + tlsSink.URL + `/", ca_file: ` + ca + `}]
routes:
  - {name: in, path: /in, destinations: [billing]}
`
	rig := startReloadRig(t, base)
	post(t, rig.in+"/in", http.StatusAccepted)
	waitFor(t, "delivery over TLS", func() bool { return rig.d.store.Counts()["billing"].Delivered == 1 })

	rig.set(base+"  - {name: new, path: /new, destinations: [billing]}\n", func() {
		if err := os.WriteFile(ca, []byte("garbage"), 0o600); err != nil {
			t.Error(err)
		}
	})
	err := rig.d.Reload(context.Background())
	if err == nil || !strings.Contains(err.Error(), "billing") {
		t.Fatalf("reload = %v, want refused naming destination billing", err)
	}
	post(t, rig.in+"/new", http.StatusNotFound)
	post(t, rig.in+"/in", http.StatusAccepted)
	waitFor(t, "delivery with the running CA", func() bool { return rig.d.store.Counts()["billing"].Delivered == 2 })
}
