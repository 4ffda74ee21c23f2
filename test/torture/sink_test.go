package torture

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// sinkMode is how a sink treats the next request.
type sinkMode int

const (
	answerOK    sinkMode = iota // 200
	answer503                   // 503, counted as a refused hit
	refuseConns                 // listener closed: connection refused
)

// sink is a real downstream on a fixed 127.0.0.1 port that counts every
// arrival by X-Relay-Id and by the sender's id in the body.
type sink struct {
	t     *testing.T
	addr  string
	delay time.Duration // how long each request takes to answer

	mu        sync.Mutex
	mode      sinkMode
	srv       *http.Server
	byRelayID map[string]int
	bySender  map[string]int
	delivered int         // requests answered 200
	hits503   int         // requests answered 503
	lastOK    time.Time   // when the last 200 went out
	okTimes   []time.Time // when each 200 went out
}

func startSink(t *testing.T, delay time.Duration) *sink {
	t.Helper()
	s := &sink{t: t, addr: "127.0.0.1:0", delay: delay, byRelayID: map[string]int{}, bySender: map[string]int{}}
	s.listen()
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.srv != nil {
			s.srv.Close()
		}
	})
	return s
}

// listen serves on s.addr (the same port again after refuseConns).
func (s *sink) listen() {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.t.Fatalf("sink listen %s: %v", s.addr, err)
	}
	s.addr = ln.Addr().String()
	s.srv = &http.Server{Handler: s}
	go s.srv.Serve(ln)
}

// setMode switches the sink; refuseConns closes the listener and every
// connection, leaving it closes no more.
func (s *sink) setMode(m sinkMode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case m == refuseConns && s.mode != refuseConns:
		s.srv.Close()
		s.srv = nil
	case m != refuseConns && s.mode == refuseConns:
		s.listen()
	}
	s.mode = m
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		SenderID string `json:"sender_id"`
	}
	b, _ := io.ReadAll(r.Body)
	json.Unmarshal(b, &body)
	time.Sleep(s.delay) // the downstream's own work
	s.mu.Lock()
	if s.mode == answer503 {
		s.hits503++
		s.mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	s.byRelayID[r.Header.Get("X-Relay-Id")]++
	s.bySender[body.SenderID]++
	s.delivered++
	s.lastOK = time.Now()
	s.okTimes = append(s.okTimes, s.lastOK)
	s.mu.Unlock()
}

// missing returns how many of ids (sender ids) never arrived.
func (s *sink) missing(ids []string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, id := range ids {
		if s.bySender[id] == 0 {
			n++
		}
	}
	return n
}

// okBetween counts deliveries answered 200 in [from, to).
func (s *sink) okBetween(from, to time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, at := range s.okTimes {
		if !at.Before(from) && at.Before(to) {
			n++
		}
	}
	return n
}

// counts returns deliveries, distinct relay ids, and 503 hits so far.
func (s *sink) counts() (delivered, distinct, hits503 int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delivered, len(s.byRelayID), s.hits503
}

// hangSink accepts connections, reads whatever comes and never answers.
type hangSink struct {
	addr     string
	mu       sync.Mutex
	accepted int
}

func startHangSink(t *testing.T) *hangSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hangSink{addr: ln.Addr().String()}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			h.mu.Lock()
			h.accepted++
			h.mu.Unlock()
			go io.Copy(io.Discard, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return h
}

func (h *hangSink) connections() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.accepted
}
