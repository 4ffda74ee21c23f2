package queue

import (
	"errors"
	"testing"
	"time"
)

func TestLifecycle(t *testing.T) {
	cases := []struct {
		name   string
		result Result
		state  State
		counts Counts
	}{
		{"delivered", Delivered, StateDelivered, Counts{Delivered: 1}},
		{"dead", Dead, StateDead, Counts{Dead: 1}},
		{"retry", Retry, StateRetrying, Counts{Retrying: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t, "", nil)
			m := msg("r", "billing")
			id := enqueue(t, s, m)
			if !ValidID(id) {
				t.Fatalf("id %q is not 32 [a-z0-9]", id)
			}
			if c := s.Counts()["billing"]; c != (Counts{Pending: 1}) {
				t.Fatalf("counts after enqueue: %+v", c)
			}
			ls := leaseAll(t, s, "billing", time.Now())
			if len(ls) != 1 || ls[0].Message.ID != id || ls[0].Attempt != 1 {
				t.Fatalf("lease: %+v", ls)
			}
			if string(ls[0].Message.Body) != string(m.Body) || len(ls[0].Message.Headers) != 2 {
				t.Fatalf("leased message differs: %+v", ls[0].Message)
			}
			if c := s.Counts()["billing"]; c != (Counts{Delivering: 1}) {
				t.Fatalf("counts while leased: %+v", c)
			}
			if d := deliveryOf(t, s, id, "billing"); d.State != StateDelivering {
				t.Fatalf("state while leased: %s", d.State)
			}
			next := time.Now().Add(time.Hour)
			o := Outcome{Result: tc.result, NextAttemptAt: next,
				Attempt: Attempt{At: time.Now(), Status: 503, Error: "x", Response: make([]byte, 5000)}}
			if err := s.Complete(ls[0], o); err != nil {
				t.Fatal(err)
			}
			d := deliveryOf(t, s, id, "billing")
			if d.State != tc.state || d.AttemptCount != 1 || len(d.Attempts) != 1 || len(d.Attempts[0].Response) != maxResponseLen {
				t.Fatalf("delivery after complete: %+v", d)
			}
			if tc.result == Retry && !d.NextAttemptAt.Equal(next) {
				t.Fatalf("next attempt %v, want %v", d.NextAttemptAt, next)
			}
			if c := s.Counts()["billing"]; c != tc.counts {
				t.Fatalf("counts: %+v, want %+v", c, tc.counts)
			}
			if err := s.Complete(ls[0], o); !errors.Is(err, errNotLeased) {
				t.Fatalf("second complete: %v", err)
			}
			if got := leaseAll(t, s, "billing", time.Now()); len(got) != 0 {
				t.Fatalf("leased again: %v", leasedIDs(got))
			}
		})
	}
}

func TestRetrySchedule(t *testing.T) {
	s := openTest(t, "", nil)
	id := enqueue(t, s, msg("r", "d"))
	now := time.Now()
	ls := leaseAll(t, s, "d", now)
	next := now.Add(time.Minute)
	complete(t, s, ls[0], Retry, next)
	if got := leaseAll(t, s, "d", next.Add(-time.Millisecond)); len(got) != 0 {
		t.Fatalf("leased before NextAttemptAt: %v", leasedIDs(got))
	}
	if at, ok := s.NextDue("d"); !ok || !at.Equal(next) {
		t.Fatalf("NextDue = %v %v, want %v", at, ok, next)
	}
	got := leaseAll(t, s, "d", next)
	if len(got) != 1 || got[0].Message.ID != id || got[0].Attempt != 2 {
		t.Fatalf("lease at NextAttemptAt: %+v", got)
	}
	if _, ok := s.NextDue("d"); ok {
		t.Fatal("NextDue reports a delivery in flight")
	}
}

func TestLeaseNotTwiceAndRelease(t *testing.T) {
	s := openTest(t, "", nil)
	var ids []string
	for range 5 {
		ids = append(ids, enqueue(t, s, msg("r", "d")))
	}
	a, _ := s.Lease("d", time.Now(), 3)
	b, _ := s.Lease("d", time.Now(), 3)
	if len(a) != 3 || len(b) != 2 {
		t.Fatalf("leased %d then %d, want 3 then 2", len(a), len(b))
	}
	seen := map[string]bool{}
	for _, l := range append(a, b...) {
		if seen[l.Message.ID] {
			t.Fatalf("%s leased twice", l.Message.ID)
		}
		seen[l.Message.ID] = true
	}
	if c, _ := s.Lease("d", time.Now(), 3); len(c) != 0 {
		t.Fatalf("leased %d while all in flight", len(c))
	}
	s.Release(a[1])
	select {
	case <-s.Wake("d"):
	default:
		t.Fatal("release did not wake")
	}
	c, _ := s.Lease("d", time.Now(), 10)
	if len(c) != 1 || c[0].Message.ID != a[1].Message.ID || c[0].Attempt != 1 {
		t.Fatalf("after release leased %v", leasedIDs(c))
	}
	if err := s.Complete(a[1], Outcome{Result: Delivered}); !errors.Is(err, errNotLeased) {
		t.Fatalf("complete of a released lease: %v", err)
	}
}
