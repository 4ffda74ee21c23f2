package relay

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/relayd/relayd/queue"
)

func TestApplyWithBadCAFileChangesNothing(t *testing.T) {
	t.Parallel()
	oldSink := newSink(t, nil)
	newSinkSrv := newSink(t, nil)
	store := openStore(t, "")
	r := startRelay(t, store, testDest("billing", oldSink.URL))
	before := r.Destinations()

	badCA := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(badCA, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	broken := testDest("mailer", "https://127.0.0.1:9/")
	broken.CAFile = badCA
	if err := r.Apply([]Destination{testDest("billing", newSinkSrv.URL), broken}); err == nil {
		t.Fatal("apply accepted a bad CA file")
	}
	after := r.Destinations()
	if len(after) != 1 || after[0].URL != before[0].URL {
		t.Fatalf("destinations changed by a failed apply: %+v", after)
	}
	id := enqueueTo(t, store, "billing")
	waitState(t, store, id, "billing", queue.StateDelivered)
	if oldSink.count() != 1 || newSinkSrv.count() != 0 {
		t.Fatalf("delivered to old %d, new %d; want the old settings", oldSink.count(), newSinkSrv.count())
	}
}

func TestApplyReload(t *testing.T) {
	t.Parallel()
	a1, a2, b := newSink(t, nil), newSink(t, nil), newSink(t, nil)
	store := openStore(t, "")
	r := startRelay(t, store, testDest("billing", a1.URL), testDest("mailer", b.URL), testDest("gone", b.URL))
	r.mu.Lock()
	mailer, billing := r.byName["mailer"], r.byName["billing"]
	r.mu.Unlock()

	if err := r.Apply([]Destination{testDest("mailer", b.URL), testDest("billing", a2.URL)}); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	keptMailer, newBilling := r.byName["mailer"], r.byName["billing"]
	r.mu.Unlock()
	if keptMailer != mailer {
		t.Error("an unchanged destination was restarted")
	}
	if newBilling == billing {
		t.Error("a changed destination was not restarted")
	}
	<-billing.finished() // the old instance stopped

	var names []string
	for _, st := range r.Destinations() {
		names = append(names, st.Name)
	}
	if len(names) != 2 || names[0] != "mailer" || names[1] != "billing" {
		t.Errorf("destinations %v, want [mailer billing] in configuration order", names)
	}

	id := enqueueTo(t, store, "billing", "mailer", "gone")
	waitState(t, store, id, "billing", queue.StateDelivered)
	waitState(t, store, id, "mailer", queue.StateDelivered)
	if a1.count() != 0 || a2.count() != 1 {
		t.Errorf("old URL got %d, new URL %d; want the new one", a1.count(), a2.count())
	}
	if d := delivery(t, store, id, "gone"); d.State != queue.StatePending {
		t.Errorf("removed destination's delivery is %s, want pending (kept queued)", d.State)
	}
	// Configured again, it delivers what waited.
	if err := r.Apply([]Destination{testDest("mailer", b.URL), testDest("billing", a2.URL), testDest("gone", b.URL)}); err != nil {
		t.Fatal(err)
	}
	waitState(t, store, id, "gone", queue.StateDelivered)
}

func TestApplyRejectsDuplicateNames(t *testing.T) {
	t.Parallel()
	r := New(openStore(t, ""), quiet)
	if err := r.Apply([]Destination{testDest("a", "http://127.0.0.1:9"), testDest("a", "http://127.0.0.1:9")}); err == nil {
		t.Fatal("duplicate destination names accepted")
	}
}

// TestBuildChangesNothingUntilInstall: a built set changes neither the
// running destinations nor the consumed credentials (a reload may still
// be refused by its routes); Install swaps both, and only once.
func TestBuildChangesNothingUntilInstall(t *testing.T) {
	t.Parallel()
	oldSink, newSinkSrv := newSink(t, nil), newSink(t, nil)
	store := openStore(t, "")
	r := startRelay(t, store, testDest("billing", oldSink.URL))
	r.SetConsumedAuth(map[string]ConsumedAuth{"in": {Query: []string{"old"}}})
	r.mu.Lock()
	running := r.byName["billing"]
	r.mu.Unlock()

	set, err := r.Build([]Destination{testDest("billing", newSinkSrv.URL)}, map[string]ConsumedAuth{"in": {Query: []string{"new"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.scope.consumed.of("in").Query; len(got) != 1 || got[0] != "old" {
		t.Errorf("consumed credentials after Build = %v, want the old ones", got)
	}
	id := enqueueTo(t, store, "billing")
	waitState(t, store, id, "billing", queue.StateDelivered)
	r.mu.Lock()
	same := r.byName["billing"] == running
	r.mu.Unlock()
	if !same || oldSink.count() != 1 || newSinkSrv.count() != 0 {
		t.Fatalf("after Build: same instance %t, old sink %d, new sink %d; want the running one untouched", same, oldSink.count(), newSinkSrv.count())
	}

	if err := r.Install(set); err != nil {
		t.Fatal(err)
	}
	if got := r.scope.consumed.of("in").Query; len(got) != 1 || got[0] != "new" {
		t.Errorf("consumed credentials after Install = %v, want the new ones", got)
	}
	id = enqueueTo(t, store, "billing")
	waitState(t, store, id, "billing", queue.StateDelivered)
	if newSinkSrv.count() != 1 {
		t.Errorf("new sink got %d after Install, want 1", newSinkSrv.count())
	}
	if err := r.Install(set); err == nil {
		t.Error("a set was installed twice")
	}
}
