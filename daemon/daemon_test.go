package daemon

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
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

// TestNewFailsCleanly: a startup that fails part way (storage locked by
// another relayd, port or socket in use) returns an error naming the
// problem, undoes what it opened, and never panics.
func TestNewFailsCleanly(t *testing.T) {
	dir, err := os.MkdirTemp("", "rdd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cfg := func(data, listen, socket string) func() (*config.Config, error) {
		yaml := `
server: {listen: "` + listen + `"}
admin: {socket: ` + filepath.Join(dir, socket) + `}
storage: {dir: ` + filepath.Join(dir, data) + `}
destinations: [{name: d, url: "http://127.0.0.1:9/"}]
routes: [{name: r, path: /in, destinations: [d]}]
`
		return func() (*config.Config, error) { return config.Parse([]byte(yaml), "test") }
	}
	quiet := slog.New(slog.DiscardHandler)
	first, err := New(Options{Load: cfg("data", "127.0.0.1:0", "a.sock"), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	taken := first.IngressAddr().String()

	cases := []struct {
		name, data, listen, socket, want string
	}{
		{"storage locked by another relayd", "data", "127.0.0.1:0", "b.sock", "open queue"},
		{"port in use", "data2", taken, "c.sock", "listen for callbacks on " + taken},
		{"admin socket in use", "data3", "127.0.0.1:0", "a.sock", "admin socket"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := New(Options{Load: cfg(c.data, c.listen, c.socket), Logger: quiet})
			if err == nil {
				d.Close()
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not say %q", err, c.want)
			}
			// What the failed New opened was closed: its store opens again.
			if c.data != "data" {
				s, err := queue.Open(queue.Options{Dir: filepath.Join(dir, c.data)})
				if err != nil {
					t.Fatalf("store left locked after a failed New: %v", err)
				}
				s.Close()
			}
		})
	}
}
