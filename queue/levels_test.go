package queue

import (
	"testing"
	"time"
)

// OldestUnfinished follows the oldest delivery not yet delivered or dead
// through every way one is kept: implicit (schedule only), with a record
// (ordering key: state index), leased, retrying; and drops a destination
// once all are finished.
func TestOldestUnfinished(t *testing.T) {
	s := openTest(t, "", nil)
	now := time.Now()
	t0 := now.Add(-3 * time.Hour).Truncate(time.Millisecond)
	at := func(d time.Duration, okey string) *Message {
		m := msg("r", "a")
		m.ReceivedAt, m.OrderingKey = t0.Add(d), okey
		return m
	}
	id1 := enqueue(t, s, at(0, ""))              // implicit
	enqueue(t, s, at(time.Hour, ""))             // implicit, newer
	enqueue(t, s, at(30*time.Minute, "chain-1")) // a record: state index
	check := func(step string, want time.Time) {
		t.Helper()
		got, err := s.OldestUnfinished([]string{"a", "none"})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := got["none"]; ok {
			t.Errorf("%s: a destination with no deliveries has an oldest", step)
		}
		if g, ok := got["a"]; ok != !want.IsZero() || !g.Equal(want) {
			t.Errorf("%s: oldest = %v (%v), want %v", step, g, ok, want)
		}
	}
	check("queued", t0)
	ls := leaseAll(t, s, "a", now)
	if len(ls) != 3 || ls[0].Message.ID != id1 {
		t.Fatalf("leased %v", leasedIDs(ls))
	}
	check("leased", t0)
	complete(t, s, ls[0], Retry, now.Add(time.Hour))
	check("retrying", t0)
	retry := leaseAll(t, s, "a", now.Add(2*time.Hour))
	complete(t, s, retry[0], Delivered, time.Time{})
	check("oldest delivered", t0.Add(30*time.Minute))
	complete(t, s, ls[1], Delivered, time.Time{})
	check("chain delivered", t0.Add(time.Hour))
	complete(t, s, ls[2], Dead, time.Time{})
	check("all finished", time.Time{})
}
