package torture

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// sender posts callbacks with unique sender ids to relayd's ingress and
// records every one answered 202, with each request's latency.
type sender struct {
	url    string
	prefix string
	pad    string
	client *http.Client
	seq    atomic.Int64

	mu      sync.Mutex
	acked   map[string]string // sender id → relay id
	failed  int               // not 202: refused, error, 503
	samples []sample
}

// sample is one accepted request: when it was sent and how long it took.
type sample struct {
	at time.Time
	d  time.Duration
}

func newSender(addr, prefix string, bodySize int) *sender {
	return &sender{
		url:    "http://" + addr + "/in",
		prefix: prefix,
		pad:    strings.Repeat("x", bodySize),
		client: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		acked:  map[string]string{},
	}
}

// send posts one callback; it reports whether relayd acknowledged it.
func (s *sender) send() bool {
	id := fmt.Sprintf("%s-%d", s.prefix, s.seq.Add(1))
	body := fmt.Sprintf(`{"sender_id":%q,"pad":%q}`, id, s.pad)
	start := time.Now()
	resp, err := s.client.Post(s.url, "application/json", strings.NewReader(body))
	if err != nil {
		s.fail()
		return false
	}
	defer resp.Body.Close()
	var answer struct {
		ID string `json:"id"`
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal(b, &answer) != nil || answer.ID == "" {
		s.fail()
		return false
	}
	s.mu.Lock()
	s.acked[id] = answer.ID
	s.samples = append(s.samples, sample{start, time.Since(start)})
	s.mu.Unlock()
	return true
}

func (s *sender) fail() {
	s.mu.Lock()
	s.failed++
	s.mu.Unlock()
}

// run sends at about rate requests/s from workers goroutines until ctx
// ends; a worker that falls behind sends back to back.
func (s *sender) run(ctx context.Context, rate float64, workers int) *sync.WaitGroup {
	var wg sync.WaitGroup
	interval := time.Duration(float64(workers) / rate * float64(time.Second))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					s.send()
				}
			}
		}()
	}
	return &wg
}

// ackedIDs returns the sender ids relayd acknowledged.
func (s *sender) ackedIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.acked))
	for id := range s.acked {
		ids = append(ids, id)
	}
	return ids
}

// p99 is the 99th percentile latency of requests sent in [from, to), and
// how many there were.
func (s *sender) p99(from, to time.Time) (time.Duration, int) {
	s.mu.Lock()
	var ds []time.Duration
	for _, x := range s.samples {
		if !x.at.Before(from) && x.at.Before(to) {
			ds = append(ds, x.d)
		}
	}
	s.mu.Unlock()
	if len(ds) == 0 {
		return 0, 0
	}
	slices.Sort(ds)
	return ds[(len(ds)*99+99)/100-1], len(ds) // the nearest-rank p99
}

func (s *sender) counts() (acked, failed int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.acked), s.failed
}
