package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// groupLog is the least any durable server must do before it answers:
// append the body to a preallocated file and fdatasync it, one fdatasync
// for every body that arrived meanwhile (group commit). No routing, no
// index, no queue. With -fsync, `make bench` reports relayd against it too:
// how much of the durable ceiling of this machine relayd reaches.
type groupLog struct {
	f *os.File

	mu   sync.Mutex
	cur  *group
	kick chan struct{}
}

type group struct {
	buf  []byte
	done chan struct{}
}

const groupLogSize = 64 << 20

func openGroupLog(dir string) (*groupLog, error) {
	f, err := os.OpenFile(filepath.Join(dir, "fsync-ceiling.log"), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	// Written, not sparse: the fdatasyncs then have no block allocation to
	// commit, as in relayd's journal.
	if _, err := f.Write(make([]byte, groupLogSize)); err != nil {
		return nil, fmt.Errorf("preallocate: %w", err)
	}
	if err := f.Sync(); err != nil {
		return nil, err
	}
	l := &groupLog{f: f, cur: &group{done: make(chan struct{})}, kick: make(chan struct{}, 1)}
	go l.run()
	return l, nil
}

// append adds body to the next group and waits until that group is synced.
func (l *groupLog) append(body []byte) {
	l.mu.Lock()
	g := l.cur
	g.buf = append(g.buf, body...)
	l.mu.Unlock()
	select {
	case l.kick <- struct{}{}:
	default:
	}
	<-g.done
}

func (l *groupLog) run() {
	var off int64
	for range l.kick {
		l.mu.Lock()
		g := l.cur
		l.cur = &group{done: make(chan struct{}), buf: make([]byte, 0, 2*len(g.buf))}
		l.mu.Unlock()
		if off+int64(len(g.buf)) > groupLogSize {
			off = 0
		}
		if _, err := l.f.WriteAt(g.buf, off); err != nil {
			fmt.Fprintln(os.Stderr, "write:", err)
			os.Exit(1)
		}
		off += int64(len(g.buf))
		if err := syscall.Fdatasync(int(l.f.Fd())); err != nil {
			fmt.Fprintln(os.Stderr, "fdatasync:", err)
			os.Exit(1)
		}
		close(g.done)
	}
}
