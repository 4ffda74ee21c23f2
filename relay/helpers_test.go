package relay

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/relayd/relayd/queue"
)

// waitFor polls cond until it holds or 5 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// seen is one request a sink received.
type seen struct {
	Method   string
	Path     string
	RawQuery string
	Host     string
	Header   http.Header
	Body     []byte
}

// sink is a real HTTP server on 127.0.0.1 that records every request and
// answers with respond (200 when nil).
type sink struct {
	*httptest.Server
	mu       sync.Mutex
	requests []seen
	respond  func(w http.ResponseWriter, r *http.Request, n int) // n: 0-based request index
}

func newSink(t *testing.T, respond func(w http.ResponseWriter, r *http.Request, n int)) *sink {
	t.Helper()
	s := &sink{respond: respond}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

func newTLSSink(t *testing.T, respond func(w http.ResponseWriter, r *http.Request, n int)) *sink {
	t.Helper()
	s := &sink{respond: respond}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.handle))
	// Handshakes refused by a verifying client are expected, not news.
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func (s *sink) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	n := len(s.requests)
	s.requests = append(s.requests, seen{
		Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Host: r.Host,
		Header: r.Header.Clone(), Body: body,
	})
	s.mu.Unlock()
	if s.respond != nil {
		s.respond(w, r, n)
	}
}

func (s *sink) got() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.requests...)
}

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// specBreakerFailures and specFailingAfter are SPEC.md's breaker defaults
// (config.Default), which testDest uses: relay applies no defaults itself.
const specBreakerFailures, specFailingAfter = 3, 5

// testDest returns a destination with the spec's defaults, sending to url,
// with a fast retry schedule.
func testDest(name, url string) Destination {
	return Destination{
		Name:            name,
		URL:             url,
		Timeout:         5 * time.Second,
		MaxRedirects:    5,
		Concurrency:     4,
		Enabled:         true,
		BreakerFailures: specBreakerFailures,
		FailingAfter:    specFailingAfter,
		Retry: RetryPolicy{
			InitialInterval: 10 * time.Millisecond,
			Multiplier:      2,
			Randomization:   0,
			MaxInterval:     50 * time.Millisecond,
			MaxElapsed:      time.Minute,
			OnStatus:        []StatusRange{{408, 408}, {425, 425}, {429, 429}, {500, 599}},
		},
	}
}

// eqCallback is an inbound eq_callback form post, as provisioning workers
// send it.
func eqCallback() *queue.Message {
	return &queue.Message{
		ID:         "0123456789abcdefghijklmnopqrstuv",
		Route:      "eq-callback",
		ReceivedAt: time.Now(),
		Method:     "POST",
		Path:       "/eq_callback",
		Query:      "serverId=42&secret=s%20x",
		Headers: []queue.Header{
			{Name: "Content-Type", Value: "application/x-www-form-urlencoded; charset=utf-8"},
			{Name: "User-Agent", Value: "eq-worker/1.0"},
		},
		Body: []byte(`action=reinstall&key=0123456789abcdefghijklmnopqrstuv&status=%7B%22os%22%3A%22debian%22%7D&stage=done&id=17`),
	}
}

// testLease wraps m as attempt n of a delivery to dest.
func testLease(m *queue.Message, dest string, attempt int) *queue.Lease {
	return &queue.Lease{
		Message: m,
		Delivery: &queue.Delivery{
			MessageID: m.ID, Destination: dest, State: queue.StatePending,
			AttemptCount: attempt - 1, ScheduleStart: m.ReceivedAt,
		},
		Attempt: attempt,
	}
}

// sendOnce builds d's sender and makes one attempt of m.
func sendOnce(t *testing.T, d Destination, m *queue.Message, attempt int) attemptResult {
	t.Helper()
	return sendIn(t, &scope{}, d, m, attempt)
}

// sendIn is sendOnce with the Relay-wide scope sc (own listeners, consumed
// credentials).
func sendIn(t *testing.T, sc *scope, d Destination, m *queue.Message, attempt int) attemptResult {
	t.Helper()
	s, _, err := newSender(d, sc)
	if err != nil {
		t.Fatalf("newSender: %v", err)
	}
	return s.send(testLease(m, d.Name, attempt), time.Now(), make([]byte, responsePrefix))
}
