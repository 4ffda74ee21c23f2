package admin

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"time"
)

// Listen opens the admin unix socket at socketPath, creating its parent
// directory when missing: 0750, or 0755 when access names a group (its
// members need not be in relayd's group to reach the socket). The socket
// is 0660, in admin.group when set. With a read-only group as well it is
// 0666: a file has one group, and connecting grants nothing by itself,
// because every request is checked against the peer the kernel reports.
// A stale socket file that nobody answers on is replaced; a socket
// another process listens on is an error.
func Listen(socketPath string, access Access) (net.Listener, error) {
	dirMode := os.FileMode(0o750)
	if access.Group != "" || access.ReadonlyGroup != "" {
		dirMode = 0o755
	}
	if err := os.MkdirAll(filepath.Dir(socketPath), dirMode); err != nil {
		return nil, fmt.Errorf("create admin socket directory: %w", err)
	}
	gid := -1
	if access.Group != "" {
		g, err := user.LookupGroup(access.Group)
		if err != nil {
			return nil, fmt.Errorf("admin.group %q: %w", access.Group, err)
		}
		if gid, err = strconv.Atoi(g.Gid); err != nil {
			return nil, fmt.Errorf("admin.group %q: gid %q: %w", access.Group, g.Gid, err)
		}
	}
	if err := removeStale(socketPath); err != nil {
		return nil, err
	}
	ln, err := net.Listen("unix", socketPath)
	if err != nil {
		return nil, fmt.Errorf("listen on admin socket %s: %w", socketPath, err)
	}
	if err := socketOwner(socketPath, gid, access.ReadonlyGroup != ""); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// socketOwner sets the socket's group (gid -1 keeps relayd's) and mode.
// net.Listen creates the socket under the umask (0077 in relayd), so the
// mode is always set explicitly.
func socketOwner(socketPath string, gid int, anyone bool) error {
	if gid >= 0 {
		if err := os.Chown(socketPath, -1, gid); err != nil {
			return fmt.Errorf("chown admin socket %s to group %d: %w", socketPath, gid, err)
		}
	}
	mode := os.FileMode(0o660)
	if anyone {
		mode = 0o666
	}
	if err := os.Chmod(socketPath, mode); err != nil {
		return fmt.Errorf("chmod admin socket %s: %w", socketPath, err)
	}
	return nil
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
