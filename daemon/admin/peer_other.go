//go:build !linux

package admin

import "errors"

// peerCred is Linux only (SO_PEERCRED); elsewhere nobody is allowed,
// rather than everybody.
func peerCred(uintptr) peer {
	return peer{err: errors.New("peer credentials are only read on Linux")}
}
