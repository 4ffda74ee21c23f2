package queue

import (
	"context"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

func benchEnqueue(b *testing.B, sync, keyed bool) {
	s := openTest(b, "", func(o *Options) { o.Sync = sync })
	body := make([]byte, 500)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	// ~64 concurrent writers, as many ingress connections would be.
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m := msg("r", "billing")
			m.Body = body
			if keyed {
				// As eq_callback sends: a task key (idempotency) and a
				// tracing id, both indexed for ls --key.
				m.IdempotencyKey, m.TracingID = NewID(), NewID()
			}
			if _, _, err := s.Enqueue(context.Background(), m); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/1e3/float64(b.N), "cpu-µs/msg")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
}

func BenchmarkEnqueueSync(b *testing.B)      { benchEnqueue(b, true, false) }
func BenchmarkEnqueueSyncKeyed(b *testing.B) { benchEnqueue(b, true, true) }
func BenchmarkEnqueueNoSync(b *testing.B)    { benchEnqueue(b, false, false) }

// BenchmarkLeaseComplete leases up to 64 at a time and completes each
// delivery from its own goroutine, as relay's workers do.
func BenchmarkLeaseComplete(b *testing.B) {
	s := openTest(b, "", func(o *Options) { o.Sync = true })
	ctx := context.Background()
	for range b.N {
		m := msg("r", "billing")
		m.Body = make([]byte, 500)
		if _, _, err := s.Enqueue(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	done := 0
	for done < b.N {
		ls, err := s.Lease("billing", time.Now(), 64)
		if err != nil || len(ls) == 0 {
			b.Fatalf("lease: %d %v", len(ls), err)
		}
		errs := make(chan error, len(ls))
		for _, l := range ls {
			go func() {
				errs <- s.Complete(l, Outcome{Result: Delivered, Attempt: Attempt{At: time.Now(), Status: 200}})
			}()
		}
		for range ls {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
		done += len(ls)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}

func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkFindByKey lists by tracing id among 100k queued messages, each
// with a task key and a tracing id of its own: one Seek into the key index
// and one message read, however many are queued.
func BenchmarkFindByKey(b *testing.B) {
	s := openTest(b, "", nil)
	const n = 100_000
	keys := make([]string, n)
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 16 {
				m := msg("r", "billing")
				m.IdempotencyKey, m.TracingID = NewID(), NewID()
				keys[i] = m.TracingID
				if _, _, err := s.Enqueue(context.Background(), m); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		got, err := s.List(Filter{Key: keys[(i*7919)%n]})
		if err != nil || len(got) != 1 {
			b.Fatalf("list by key: %d messages, %v", len(got), err)
		}
	}
}
