package queue

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestIdempotency(t *testing.T) {
	s := openTest(t, "", nil)
	m := msg("r", "d")
	m.IdempotencyKey = "k1"
	id := enqueue(t, s, m)
	again := msg("r", "d")
	again.IdempotencyKey = "k1"
	id2, dup, err := s.Enqueue(context.Background(), again)
	if err != nil || !dup || id2 != id {
		t.Fatalf("duplicate: id=%s dup=%v err=%v, want %s", id2, dup, err, id)
	}
	other := msg("other-route", "d")
	other.IdempotencyKey = "k1"
	if id3 := enqueue(t, s, other); id3 == id {
		t.Fatal("same key on another route deduplicated")
	}
	if c := s.Counts()["d"]; c.Pending != 2 {
		t.Fatalf("pending %d, want 2", c.Pending)
	}
}

func TestIdempotencyConcurrent(t *testing.T) {
	s := openTest(t, "", nil)
	const n = 64
	var wg sync.WaitGroup
	ids := make([]string, n)
	dups := make([]bool, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := msg("r", "d")
			m.IdempotencyKey = "same"
			<-start
			var err error
			ids[i], dups[i], err = s.Enqueue(context.Background(), m)
			if err != nil {
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	fresh := 0
	for i := range n {
		if ids[i] != ids[0] {
			t.Fatalf("ids differ: %s vs %s", ids[i], ids[0])
		}
		if !dups[i] {
			fresh++
		}
	}
	if fresh != 1 {
		t.Fatalf("%d enqueues were not duplicates, want 1", fresh)
	}
	if c := s.Counts()["d"]; c.Pending != 1 {
		t.Fatalf("pending %d, want 1", c.Pending)
	}
}

func TestOrderingChain(t *testing.T) {
	s := openTest(t, "", nil)
	ordered := func(key string) string {
		m := msg("r", "d")
		m.OrderingKey = key
		return enqueue(t, s, m)
	}
	a, b, c := ordered("k"), ordered("k"), ordered("k")
	x := ordered("other")
	free := enqueue(t, s, msg("r", "d"))
	now := time.Now()

	got := leaseAll(t, s, "d", now)
	if err := sameIDs(sortedIDs(leasedIDs(got)), sortedIDs([]string{a, x, free})); err != nil {
		t.Fatalf("first lease: %v", err)
	}
	byID := map[string]*Lease{}
	for _, l := range got {
		byID[l.Message.ID] = l
	}
	if d := deliveryOf(t, s, b, "d"); d.State != StatePending || !d.NextAttemptAt.IsZero() {
		t.Fatalf("waiting delivery: %+v", d)
	}
	retryAt := now.Add(time.Minute)
	complete(t, s, byID[a], Retry, retryAt)
	if got := leaseAll(t, s, "d", now.Add(30*time.Second)); len(got) != 0 {
		t.Fatalf("leased behind a retrying head: %v", leasedIDs(got))
	}
	got = leaseAll(t, s, "d", retryAt)
	if err := sameIDs(leasedIDs(got), []string{a}); err != nil {
		t.Fatalf("head again: %v", err)
	}
	drain(s.Wake("d"))
	complete(t, s, got[0], Delivered, time.Time{})
	select {
	case <-s.Wake("d"):
	default:
		t.Fatal("promotion did not wake")
	}
	got = leaseAll(t, s, "d", time.Now())
	if err := sameIDs(leasedIDs(got), []string{b}); err != nil {
		t.Fatalf("after head delivered: %v", err)
	}
	complete(t, s, got[0], Dead, time.Time{})
	got = leaseAll(t, s, "d", time.Now())
	if err := sameIDs(leasedIDs(got), []string{c}); err != nil {
		t.Fatalf("after head dead: %v", err)
	}
	complete(t, s, got[0], Delivered, time.Time{})

	// Replaying a finished one puts it at the end of its (now empty) chain.
	if n, err := s.Replay(Filter{IDs: []string{b}}, time.Now()); err != nil || n != 1 {
		t.Fatalf("replay: %d %v", n, err)
	}
	d := ordered("k")
	got = leaseAll(t, s, "d", time.Now())
	if err := sameIDs(leasedIDs(got), []string{b}); err != nil {
		t.Fatalf("replayed head: %v", err)
	}
	complete(t, s, got[0], Delivered, time.Time{})
	got = leaseAll(t, s, "d", time.Now())
	if err := sameIDs(leasedIDs(got), []string{d}); err != nil {
		t.Fatalf("after replayed head: %v", err)
	}
}

func TestCursorLowered(t *testing.T) {
	s := openTest(t, "", nil)
	base := time.Now()
	for i := range 300 {
		m := msg("r", "d")
		m.ReceivedAt = base.Add(time.Duration(i) * time.Millisecond)
		enqueue(t, s, m)
	}
	for _, l := range leaseAll(t, s, "d", base.Add(time.Second)) {
		complete(t, s, l, Delivered, time.Time{})
	}
	if got := leaseAll(t, s, "d", base.Add(time.Second)); len(got) != 0 {
		t.Fatalf("leased %d after all delivered", len(got))
	}
	ds := s.dest("d")
	ds.mu.Lock()
	empty := ds.empty
	ds.mu.Unlock()
	if !empty {
		t.Fatal("cursor not advanced past delivered entries")
	}
	// An entry earlier than everything delivered, then a retry scheduled
	// earlier than the cursor.
	early := msg("r", "d")
	early.ReceivedAt = base.Add(-time.Hour)
	id := enqueue(t, s, early)
	late := msg("r", "d")
	late.ReceivedAt = base.Add(time.Hour)
	lateID := enqueue(t, s, late)
	got := leaseAll(t, s, "d", base)
	if err := sameIDs(leasedIDs(got), []string{id}); err != nil {
		t.Fatalf("earlier entry: %v", err)
	}
	complete(t, s, got[0], Retry, base.Add(-time.Minute))
	if at, ok := s.NextDue("d"); !ok || !at.Equal(base.Add(-time.Minute)) {
		t.Fatalf("NextDue %v %v", at, ok)
	}
	got = leaseAll(t, s, "d", base.Add(2*time.Hour))
	if err := sameIDs(leasedIDs(got), []string{id, lateID}); err != nil {
		t.Fatalf("earliest first: %v", err)
	}
}

func drain(c <-chan struct{}) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}

func sortedIDs(ids []string) []string {
	out := append([]string(nil), ids...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// Ingress hands Enqueue fasthttp's own buffers, reused for the next request
// as soon as the handler returns: Enqueue must keep nothing of m. The writer
// is held so that it applies the messages only after the caller has
// overwritten them (an Enqueue returns at its journal sync, before Badger).
func TestEnqueueKeepsNothingOfTheCallersMessage(t *testing.T) {
	s := openTest(t, "", nil)
	held, release := make(chan struct{}), make(chan struct{})
	go s.submit(context.Background(), 0, func(*batch) error { close(held); <-release; return nil })
	<-held
	var ids []string
	for i := 0; i < 5; i++ {
		m := msg("r", "a", "b")
		m.Body = []byte(fmt.Sprintf("body %d", i))
		m.Headers = []Header{{Name: "X-N", Value: fmt.Sprint(i)}}
		ids = append(ids, enqueue(t, s, m))
		copy(m.Body, "XXXXXXXX")
		m.Headers[0].Value, m.Destinations[0], m.Route = "X", "X", "X"
	}
	close(release)
	for i, id := range ids {
		got, ds, err := s.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Body) != fmt.Sprintf("body %d", i) || got.Headers[0].Value != fmt.Sprint(i) ||
			got.Route != "r" || len(ds) != 2 || ds[0].Destination != "a" {
			t.Fatalf("message %d changed with the caller's buffers: %q %+v %q %+v", i, got.Body, got.Headers, got.Route, ds)
		}
	}
	if c := s.Counts(); c["a"].Pending != 5 || c["b"].Pending != 5 || len(c) != 2 {
		t.Fatalf("counts changed with the caller's buffers: %+v", c)
	}
	for _, dest := range []string{"a", "b"} {
		if ls := leaseAll(t, s, dest, time.Now()); len(ls) != 5 {
			t.Fatalf("%d deliveries due on %s, want 5", len(ls), dest)
		}
	}
}
