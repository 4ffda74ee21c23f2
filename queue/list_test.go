package queue

import (
	"slices"
	"testing"
	"time"
)

// List walks message records in id order, which is receipt order only to
// the millisecond: within one, ids are random. Paging through many
// messages of the same millisecond must still return each once, newest
// first, and honour Since inside that millisecond.
func TestListPagesThroughOneMillisecond(t *testing.T) {
	s := openTest(t, "", nil)
	ms := time.UnixMilli(time.Now().UnixMilli())
	type rec struct {
		id string
		at time.Time
	}
	var all []rec
	add := func(at time.Time) {
		m := msg("r", "d")
		m.ReceivedAt = at
		all = append(all, rec{enqueue(t, s, m), at})
	}
	add(ms.Add(-time.Second))
	for i := 0; i < 40; i++ {
		add(ms.Add(time.Duration(i) * 20 * time.Microsecond))
	}
	add(ms.Add(time.Second))
	slices.SortFunc(all, func(a, b rec) int { return b.at.Compare(a.at) })

	var got []string
	f := Filter{Limit: 7}
	for page := 0; page < 20; page++ {
		sums, err := s.List(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(sums) == 0 {
			break
		}
		for _, sum := range sums {
			got = append(got, sum.Message.ID)
		}
		f.Before = sums[len(sums)-1].Message.ReceivedAt
	}
	var want []string
	for _, r := range all {
		want = append(want, r.id)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paged:\n got %v\nwant %v", got, want)
	}

	since := all[30].at // inside the millisecond
	sums, err := s.List(Filter{Since: since})
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 31 {
		t.Fatalf("since inside the millisecond: %d messages, want 31", len(sums))
	}
}
