package daemon

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/relayd/relayd/daemon/config"
	"github.com/relayd/relayd/queue"
)

// TestFullStoreIsHealthyForTheWatchdog: at storage.max_disk the queue
// refuses callbacks, but withholding the watchdog ping would make systemd
// restart relayd in a loop without freeing a byte.
func TestFullStoreIsHealthyForTheWatchdog(t *testing.T) {
	dir, err := os.MkdirTemp("", "rdd") // short: unix socket path limit
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	yaml := `
server: {listen: "127.0.0.1:0"}
admin: {socket: ` + filepath.Join(dir, "a.sock") + `}
storage: {dir: ` + filepath.Join(dir, "data") + `, max_disk: 1}
destinations: [{name: d, url: "http://127.0.0.1:9/"}]
routes: [{name: r, path: /in, destinations: [d]}]
`
	d, err := New(Options{
		Load:   func() (*config.Config, error) { return config.Parse([]byte(yaml), "test") },
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.store.Writable(); !errors.Is(err, queue.ErrFull) {
		t.Fatalf("store at max_disk: Writable() = %v, want ErrFull", err)
	}
	if err := d.Healthy(); err != nil {
		t.Fatalf("Healthy() = %v for a full store, want nil", err)
	}
	d.store.Close()
	if err := d.Healthy(); err == nil {
		t.Fatal("Healthy() = nil for a closed store")
	}
}
