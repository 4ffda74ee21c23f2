package admin

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Listen opens the admin unix socket at socketPath with mode 0660, creating
// its parent directory (0750) when missing. A stale socket file that nobody
// answers on is replaced; a socket another process listens on is an error.
func Listen(socketPath string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(socketPath), 0o750); err != nil {
		return nil, fmt.Errorf("create admin socket directory: %w", err)
	}
	if err := removeStale(socketPath); err != nil {
		return nil, err
	}
	ln, err := net.Listen("unix", socketPath)
	if err != nil {
		return nil, fmt.Errorf("listen on admin socket %s: %w", socketPath, err)
	}
	// net.Listen creates the socket under the umask; the group (relayctl
	// users) needs read and write.
	if err := os.Chmod(socketPath, 0o660); err != nil {
		ln.Close()
		return nil, fmt.Errorf("chmod admin socket %s: %w", socketPath, err)
	}
	return ln, nil
}

// removeStale deletes a socket file left by a relayd that did not exit
// cleanly, after checking that nobody answers on it.
func removeStale(socketPath string) error {
	fi, err := os.Lstat(socketPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("inspect admin socket %s: %w", socketPath, err)
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return fmt.Errorf("admin socket %s exists and is not a socket; not replacing it", socketPath)
	}
	if conn, err := net.DialTimeout("unix", socketPath, time.Second); err == nil {
		conn.Close()
		return fmt.Errorf("admin socket %s is in use by another relayd", socketPath)
	}
	if err := os.Remove(socketPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove stale admin socket %s: %w", socketPath, err)
	}
	return nil
}
