package config

import "testing"

// TestStorageBackend: SPEC's storage.backend is accepted; badger is the
// default, jetstream is refused by name until it is built, anything else
// is unknown.
func TestStorageBackend(t *testing.T) {
	cfg, err := Parse([]byte("storage:\n  dir: /tmp/q\n"), "test.yaml")
	if err != nil || cfg.Storage.Backend != "badger" {
		t.Fatalf("default backend = %q, %v; want badger", cfg.Storage.Backend, err)
	}
	if _, err := Parse([]byte("storage:\n  backend: badger\n"), "test.yaml"); err != nil {
		t.Fatalf("backend: badger refused: %v", err)
	}
	for value, msg := range map[string]string{
		"jetstream": "jetstream is not available in this version",
		"redis":     "unknown backend",
	} {
		_, err := Parse([]byte("storage:\n  backend: "+value+"\n"), "test.yaml")
		checkProblems(t, asProblems(t, err), []want{{"storage.backend", msg}})
	}
}
