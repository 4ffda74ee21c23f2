package relay

import (
	"context"
	"sync"
	"time"
)

// tokenBucket limits a destination to rate requests per second with a
// burst of one: requests are spaced, never bunched.
type tokenBucket struct {
	rate float64 // tokens per second

	mu     sync.Mutex
	tokens float64 // may go negative: tokens reserved by waiters
	last   time.Time
}

func newTokenBucket(rate float64) *tokenBucket {
	if rate <= 0 {
		return nil
	}
	return &tokenBucket{rate: rate, tokens: 1, last: time.Now()}
}

// wait takes a token, blocking until it is due or ctx is done (then the
// token is given back). Each caller reserves its token first, so waiters
// are served in order.
func (b *tokenBucket) wait(ctx context.Context) error {
	b.mu.Lock()
	now := time.Now()
	b.tokens = min(b.tokens+now.Sub(b.last).Seconds()*b.rate, 1)
	b.last = now
	b.tokens--
	deficit := -b.tokens
	b.mu.Unlock()
	if deficit <= 0 {
		return nil
	}
	t := time.NewTimer(time.Duration(deficit / b.rate * float64(time.Second)))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		b.tokens++
		b.mu.Unlock()
		return ctx.Err()
	}
}
