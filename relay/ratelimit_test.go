package relay

import (
	"context"
	"testing"
	"time"
)

func TestTokenBucketSpacesRequests(t *testing.T) {
	if newTokenBucket(0) != nil {
		t.Fatal("rate 0 must mean no limiter")
	}
	b := newTokenBucket(100) // one per 10 ms
	start := time.Now()
	for range 11 {
		if err := b.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// The first is free, ten more need ≥ 100 ms.
	if took := time.Since(start); took < 95*time.Millisecond {
		t.Errorf("11 tokens at 100/s took %v, want ≥ 100ms", took)
	}
}

func TestTokenBucketWaitCancelled(t *testing.T) {
	b := newTokenBucket(0.1) // one per 10 s
	_ = b.wait(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := b.wait(ctx); err == nil {
		t.Fatal("wait returned a token 10 s early")
	}
	b.mu.Lock()
	tokens := b.tokens
	b.mu.Unlock()
	if tokens < -0.01 {
		t.Errorf("a cancelled wait kept its reservation: tokens %v", tokens)
	}
}
