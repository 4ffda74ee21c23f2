package torture

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSlowConnections holds many ingress connections that send a partial
// header block one byte at a time (slowloris) while a real sender posts
// callbacks: every one of its requests must be acknowledged. Its p99 is
// reported (the goal is under 100 ms with 1,000 slow connections).
func TestSlowConnections(t *testing.T) {
	conns, hold := pick(100, 1000), pick(3*time.Second, 30*time.Second)
	sk := startSink(t, 0)
	r := newRelayd(t, "", fastRetry+
		"destinations: [{name: sink, url: \"http://"+sk.addr+"/\"}]\n"+
		"routes: [{name: in, path: /in, destinations: [sink]}]\n")
	r.start()

	ctx, stop := context.WithCancel(context.Background())
	var open, dialed atomic.Int64
	var slow sync.WaitGroup
	for range conns {
		slow.Add(1)
		go func() { defer slow.Done(); slowloris(ctx, r.addr, &open, &dialed) }()
	}
	waitFor(t, "every slow connection open", 30*time.Second, func() bool { return open.Load() == int64(conns) })

	s := newSender(r.addr, "slow", 500)
	start := time.Now()
	senders := s.run(ctx, 50, 2)
	time.Sleep(hold) // the scenario's length: the sender posts meanwhile
	stop()
	senders.Wait()
	slow.Wait()

	acked, failed := s.counts()
	if failed > 0 || acked == 0 {
		t.Fatalf("with %d slow connections: %d callbacks acknowledged, %d failed", conns, acked, failed)
	}
	p99, n := s.p99(start, time.Now())
	figure(t, "slow connections", "slowloris connections=%d (dialed %d) for %s; sender acked=%d failed=%d p99=%s (n=%d)",
		conns, dialed.Load(), hold, acked, failed, p99.Round(time.Microsecond), n)
}

// slowloris keeps one connection sending a header block that never ends,
// one byte every 500 ms; when relayd closes it, it dials again.
func slowloris(ctx context.Context, addr string, open, dialed *atomic.Int64) {
	for ctx.Err() == nil {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return
		}
		dialed.Add(1)
		open.Add(1)
		trickle(ctx, c)
		open.Add(-1)
		c.Close()
	}
}

// trickle sends a request line and the start of a header, then one more
// byte of its value every 500 ms, until ctx ends or a write fails (relayd
// closed the connection). The header block never ends.
func trickle(ctx context.Context, c net.Conn) {
	if _, err := c.Write([]byte("POST /in HTTP/1.1\r\nHost: relayd\r\nX-Slow: ")); err != nil {
		return
	}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if _, err := c.Write([]byte("a")); err != nil {
			return
		}
	}
}
