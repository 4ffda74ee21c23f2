package queue

import (
	"testing"
	"time"
)

// Ids sort by creation time, so Badger inserts a new message's keys next
// to the last ones (a random id costs a cache miss per skiplist level).
func TestNewIDSortsByTimeAndIsUnique(t *testing.T) {
	seen := map[string]bool{}
	prev := NewID()
	for i := 0; i < 3; i++ {
		ms := time.Now().UnixMilli()
		for time.Now().UnixMilli() == ms {
			seen[NewID()] = true // the same millisecond: unique, not ordered
		}
		id := NewID()
		if id <= prev {
			t.Fatalf("id %s made in a later millisecond sorts before %s", id, prev)
		}
		prev = id
		seen[id] = true
	}
	for id := range seen {
		if !ValidID(id) {
			t.Fatalf("NewID returned %q, not 32 chars [a-z0-9]", id)
		}
	}
	distinct := map[string]bool{}
	for i := 0; i < 10000; i++ {
		distinct[NewID()] = true
	}
	if len(distinct) != 10000 {
		t.Fatalf("NewID repeated itself: %d distinct of 10000", len(distinct))
	}
}
