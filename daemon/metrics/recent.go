package metrics

import (
	"sync"
	"sync/atomic"
	"time"
)

// RecentMinutes is how many per-minute buckets Recent keeps: the status
// page plots the last hour.
const RecentMinutes = 60

// Kinds of event counted per minute for the status page.
const (
	recentAccepted = iota
	recentDelivered
	recentFailed
	recentKinds
)

// Recent is the last hour's accepted, delivered and failed counts, one
// per minute, oldest first; the last is the minute in progress.
type Recent struct {
	End       time.Time // start of the last (current) minute
	Accepted  []int64
	Delivered []int64
	Failed    []int64
}

// recent is a ring of per-minute counters fed by the same events as the
// Prometheus counters (Request, Attempted). Counting is two atomic adds;
// the lock is taken only when a bucket is reused for a new minute. It
// lives in memory: a restart starts an empty hour.
type recent struct {
	mu      sync.Mutex // serialises a bucket's reset for a new minute
	buckets [RecentMinutes]bucket
}

type bucket struct {
	minute atomic.Int64 // Unix minute the counts are of
	n      [recentKinds]atomic.Int64
}

func (r *recent) add(kind int, now time.Time) {
	m := now.Unix() / 60
	b := &r.buckets[m%RecentMinutes]
	if b.minute.Load() != m {
		r.mu.Lock()
		if b.minute.Load() != m {
			for i := range b.n {
				b.n[i].Store(0)
			}
			b.minute.Store(m)
		}
		r.mu.Unlock()
	}
	b.n[kind].Add(1)
}

// snapshot reads the hour ending with now's minute; a bucket last used
// for an older minute counts as 0.
func (r *recent) snapshot(now time.Time) Recent {
	end := now.Unix() / 60
	out := Recent{
		End:       time.Unix(end*60, 0),
		Accepted:  make([]int64, RecentMinutes),
		Delivered: make([]int64, RecentMinutes),
		Failed:    make([]int64, RecentMinutes),
	}
	for i := range RecentMinutes {
		m := end - RecentMinutes + 1 + int64(i)
		b := &r.buckets[m%RecentMinutes]
		if b.minute.Load() != m {
			continue
		}
		out.Accepted[i] = b.n[recentAccepted].Load()
		out.Delivered[i] = b.n[recentDelivered].Load()
		out.Failed[i] = b.n[recentFailed].Load()
	}
	return out
}

// Recent returns the last hour's per-minute counts: callbacks accepted
// (202; duplicates are not new), attempts delivered, and attempts that
// failed (every other outcome: retry, timeout, dead, refused redirect).
func (m *Metrics) Recent() Recent { return m.recent.snapshot(time.Now()) }
