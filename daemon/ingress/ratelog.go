package ingress

import (
	"sync"
	"time"
)

// Default pace of rejection log lines per reason: a flood of bad requests
// (a scanner, a misconfigured sender in a retry loop) must not turn the log
// into the bottleneck or bury every other line.
const (
	rejectLogRate  = 5.0 // lines per second, per reason, once the burst is spent
	rejectLogBurst = 5.0
)

// rateLog paces log lines per reason with a token bucket: burst lines at
// once, then rate per second. A line it holds back is counted, and the next
// line of that reason it lets through carries the count (suppressed=N).
// Reasons come from a fixed set of codes, never from request bytes, so the
// map stays small.
type rateLog struct {
	rate, burst float64
	now         func() time.Time

	mu      sync.Mutex
	buckets map[string]*logBucket
}

type logBucket struct {
	tokens     float64
	last       time.Time
	suppressed int
}

func newRateLog(rate, burst float64, now func() time.Time) *rateLog {
	if now == nil {
		now = time.Now
	}
	return &rateLog{rate: rate, burst: burst, now: now, buckets: make(map[string]*logBucket)}
}

// allow reports whether a line for reason may be written now; when it may,
// suppressed is how many lines of that reason were held back since the last
// one written.
func (r *rateLog) allow(reason string) (ok bool, suppressed int) {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.buckets[reason]
	if b == nil {
		b = &logBucket{tokens: r.burst, last: now}
		r.buckets[reason] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(r.burst, b.tokens+elapsed*r.rate)
	}
	b.last = now
	if b.tokens < 1 {
		b.suppressed++
		return false, 0
	}
	b.tokens--
	suppressed, b.suppressed = b.suppressed, 0
	return true, suppressed
}
