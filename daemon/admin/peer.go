package admin

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// peer is who is at the other end of an admin connection, read from the
// kernel (SO_PEERCRED) when the connection is accepted: it cannot be
// claimed in a request.
type peer struct {
	uid, gid uint32
	err      error // the credentials could not be read: nothing is allowed
}

type peerKey struct{}

// peerListener reads each accepted connection's peer credentials.
type peerListener struct{ net.Listener }

// peerConn is an accepted connection with its peer.
type peerConn struct {
	net.Conn
	peer peer
}

func (l peerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &peerConn{Conn: c, peer: readPeer(c)}, nil
}

// readPeer reads a unix connection's peer credentials; any other
// connection has no peer the admin API can trust.
func readPeer(c net.Conn) peer {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return peer{err: errors.New("not a unix socket connection")}
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return peer{err: fmt.Errorf("read peer credentials: %w", err)}
	}
	var p peer
	if err := raw.Control(func(fd uintptr) { p = peerCred(fd) }); err != nil {
		return peer{err: fmt.Errorf("read peer credentials: %w", err)}
	}
	return p
}

// connContext puts the connection's peer into every request's context
// (http.Server.ConnContext).
func connContext(ctx context.Context, c net.Conn) context.Context {
	p := peer{err: errors.New("connection without peer credentials")}
	if pc, ok := c.(*peerConn); ok {
		p = pc.peer
	}
	return context.WithValue(ctx, peerKey{}, p)
}

func peerOf(ctx context.Context) peer {
	p, ok := ctx.Value(peerKey{}).(peer)
	if !ok {
		return peer{err: errors.New("request without peer credentials")}
	}
	return p
}
