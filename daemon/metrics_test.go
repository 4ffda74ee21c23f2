package daemon

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/relayd/relayd/daemon/config"
	"github.com/relayd/relayd/queue"
)

// metricNames is the list every dashboard and alert is written against
// (docs/METRICS.md): each must be in the exposition, with its type.
var metricNames = map[string]dto.MetricType{
	"relayd_build_info":                            dto.MetricType_GAUGE,
	"relayd_ingress_requests_total":                dto.MetricType_COUNTER,
	"relayd_ingress_accept_duration_seconds":       dto.MetricType_HISTOGRAM,
	"relayd_delivery_attempts_total":               dto.MetricType_COUNTER,
	"relayd_delivery_duration_seconds":             dto.MetricType_HISTOGRAM,
	"relayd_dead_letters_total":                    dto.MetricType_COUNTER,
	"relayd_breaker_transitions_total":             dto.MetricType_COUNTER,
	"relayd_reloads_total":                         dto.MetricType_COUNTER,
	"relayd_reload_last_success_timestamp_seconds": dto.MetricType_GAUGE,
	"relayd_journal_group_size":                    dto.MetricType_HISTOGRAM,
	"relayd_journal_fsync_duration_seconds":        dto.MetricType_HISTOGRAM,
	"relayd_queue_deliveries":                      dto.MetricType_GAUGE,
	"relayd_queue_oldest_pending_age_seconds":      dto.MetricType_GAUGE,
	"relayd_destination_breaker_open":              dto.MetricType_GAUGE,
	"relayd_destination_paused":                    dto.MetricType_GAUGE,
	"relayd_destination_failing":                   dto.MetricType_GAUGE,
	"relayd_storage_bytes":                         dto.MetricType_GAUGE,
	"relayd_storage_free_bytes":                    dto.MetricType_GAUGE,
	"relayd_storage_max_disk_bytes":                dto.MetricType_GAUGE,
	"relayd_storage_min_free_bytes":                dto.MetricType_GAUGE,
	"relayd_healthy":                               dto.MetricType_GAUGE,
	"go_goroutines":                                dto.MetricType_GAUGE,
	"process_open_fds":                             dto.MetricType_GAUGE,
}

// TestMetricsAfterTraffic runs a daemon with real ingress, queue and
// downstreams, sends callbacks, and reads /metrics from its listener: every
// metric of the list with its type, the counts the traffic made, counters
// that a purge does not lower, reloads by result, and promlint clean.
func TestMetricsAfterTraffic(t *testing.T) {
	var delivered atomic.Int32
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/strict" {
			w.WriteHeader(http.StatusBadRequest) // not retryable: dead at once
			return
		}
		delivered.Add(1)
	}))
	defer sink.Close()
	dir, err := os.MkdirTemp("", "rdm") // short: unix socket path limit
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	yaml := `
server: {listen: "127.0.0.1:0"}
admin: {socket: ` + filepath.Join(dir, "a.sock") + `, metrics_listen: "127.0.0.1:0"}
storage: {dir: ` + filepath.Join(dir, "data") + `, max_disk: 1GiB}
destinations:
  - {name: billing, url: "` + sink.URL + `/ok"}
  - {name: strict, url: "` + sink.URL + `/strict"}
routes:
  - {name: eq, path: /in, destinations: [billing]}
  - {name: st, path: /st, destinations: [strict]}
`
	var failLoad, ready atomic.Bool
	d, err := New(Options{
		Load: func() (*config.Config, error) {
			if failLoad.Load() {
				return nil, errors.New("bad config")
			}
			return config.Parse([]byte(yaml), "test")
		},
		Logger:  slog.New(slog.DiscardHandler),
		Version: "1.2.3-test",
		Notify: func(state string) {
			if state == "READY=1" {
				ready.Store(true)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	waitFor(t, "ready", ready.Load) // Run reads the config: no Reload before
	const n = 5
	in := "http://" + d.IngressAddr().String()
	for range n {
		post(t, in+"/in", http.StatusAccepted)
	}
	post(t, in+"/st", http.StatusAccepted)
	post(t, in+"/nowhere", http.StatusNotFound)
	waitFor(t, "deliveries", func() bool {
		c := d.store.Counts()
		return delivered.Load() == n && c["billing"].Delivered == n && c["strict"].Dead == 1
	})
	if err := d.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	failLoad.Store(true)
	if err := d.Reload(ctx); err == nil {
		t.Fatal("a failing load reloaded")
	}
	url := "http://" + d.metLn.Addr().String() + "/metrics"
	body, mfs := scrape(t, url)
	for name, typ := range metricNames {
		if mf := mfs[name]; mf == nil || mf.GetType() != typ {
			t.Errorf("%s: missing or not a %v: %v", name, typ, mf.GetType())
		}
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"relayd_ingress_requests_total", map[string]string{"route": "eq", "code": "202"}, n},
		{"relayd_ingress_requests_total", map[string]string{"route": "", "code": "404"}, 1},
		{"relayd_ingress_accept_duration_seconds", nil, n + 1},
		{"relayd_delivery_attempts_total", map[string]string{"destination": "billing", "outcome": "delivered"}, n},
		{"relayd_delivery_attempts_total", map[string]string{"destination": "strict", "outcome": "dead"}, 1},
		{"relayd_delivery_duration_seconds", map[string]string{"destination": "billing"}, n},
		{"relayd_dead_letters_total", map[string]string{"destination": "strict"}, 1},
		{"relayd_dead_letters_total", map[string]string{"destination": "billing"}, 0},
		{"relayd_reloads_total", map[string]string{"result": "success"}, 1},
		{"relayd_reloads_total", map[string]string{"result": "failure"}, 1},
		{"relayd_journal_group_size", nil, n + 1}, // records: the sum
		{"relayd_queue_deliveries", map[string]string{"destination": "billing", "state": "delivered"}, n},
		{"relayd_queue_oldest_pending_age_seconds", map[string]string{"destination": "billing"}, 0},
		{"relayd_build_info", map[string]string{"version": "1.2.3-test"}, 1},
		{"relayd_storage_max_disk_bytes", nil, 1 << 30},
		{"relayd_healthy", nil, 1},
	} {
		if got, ok := value(mfs[c.name], c.labels); !ok || got != c.want {
			t.Errorf("%s%v = %v (found %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}

	// Purging (as retention does) lowers the level, never the counter.
	if _, err := d.store.Purge(queue.Filter{State: queue.StateDelivered}); err != nil {
		t.Fatal(err)
	}
	_, mfs = scrape(t, url)
	if got, _ := value(mfs["relayd_queue_deliveries"], map[string]string{"destination": "billing", "state": "delivered"}); got != 0 {
		t.Errorf("delivered level after purge = %v, want 0", got)
	}
	if got, _ := value(mfs["relayd_delivery_attempts_total"], map[string]string{"destination": "billing", "outcome": "delivered"}); got != n {
		t.Errorf("delivered attempts after purge = %v, want %d", got, n)
	}
}

func post(t *testing.T, url string, want int) {
	t.Helper()
	resp, err := http.Post(url, "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("POST %s: %d, want %d", url, resp.StatusCode, want)
	}
}

func scrape(t *testing.T, url string) ([]byte, map[string]*dto.MetricFamily) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	return body, mfs
}

// value is the value of mf's series whose labels include labels: a
// counter's or gauge's value, a histogram's count (or, for the journal
// group size, its sum: the records).
func value(mf *dto.MetricFamily, labels map[string]string) (float64, bool) {
	if mf == nil {
		return 0, false
	}
	for _, m := range mf.GetMetric() {
		if !hasLabels(m, labels) {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case mf.GetName() == "relayd_journal_group_size":
			return m.Histogram.GetSampleSum(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func hasLabels(m *dto.Metric, labels map[string]string) bool {
	for k, v := range labels {
		found := false
		for _, lp := range m.GetLabel() {
			if lp.GetName() == k && lp.GetValue() == v {
				found = true
			}
		}
		if !found && v != "" {
			return false
		}
		if !found && v == "" {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == k && lp.GetValue() != "" {
					return false
				}
			}
		}
	}
	return true
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
