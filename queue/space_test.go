package queue

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestMinFreeRefusesEnqueueNamingTheLimit(t *testing.T) {
	cases := []struct {
		name    string
		minFree int64
		refused bool
	}{
		{"no check", 0, false},
		{"reserve available", 1, false},
		{"reserve larger than any disk", 1 << 62, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := openTest(t, "", func(o *Options) { o.MinFree = c.minFree })
			_, _, err := s.Enqueue(context.Background(), msg("r", "d"))
			if !c.refused {
				if err != nil || s.Writable() != nil {
					t.Fatalf("enqueue: %v, writable: %v", err, s.Writable())
				}
				return
			}
			if !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "storage.min_free") || !strings.Contains(err.Error(), s.opts.Dir) {
				t.Fatalf("enqueue below min_free: %v, want ErrFull naming storage.min_free and the directory", err)
			}
			if err := s.Writable(); !errors.Is(err, ErrFull) {
				t.Fatalf("writable below min_free: %v", err)
			}
			if n := s.Counts()["d"].Pending; n != 0 {
				t.Fatalf("%d pending after a refused enqueue", n)
			}
		})
	}
}

// Under load at startup, one request refreshes the free-space figure while
// the others read the cached one: that must be Open's reading, not zero.
func TestFreshStoreNeverRefusesForAnUnreadFreeSpaceFigure(t *testing.T) {
	s := openTest(t, "", func(o *Options) { o.MinFree = 1 })
	// As a concurrent request does after winning the refresh, before its
	// statfs has returned.
	s.space.checked.Store(time.Now().UnixNano())
	if _, _, err := s.Enqueue(context.Background(), msg("r", "d")); err != nil {
		t.Fatalf("first enqueue on a fresh store with room: %v", err)
	}
}
