package admin

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// peerCred asks the kernel who connected (SO_PEERCRED).
func peerCred(fd uintptr) peer {
	cred, err := unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return peer{err: fmt.Errorf("SO_PEERCRED: %w", err)}
	}
	return peer{uid: cred.Uid, gid: cred.Gid}
}
