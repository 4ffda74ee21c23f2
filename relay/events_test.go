package relay

import "testing"

func TestEventHubDropsForSlowSubscriber(t *testing.T) {
	var h eventHub
	slow, cancelSlow := h.subscribe(1)
	fast, cancelFast := h.subscribe(10)
	for i := range 5 {
		h.publish(Event{Attempt: i + 1}) // must not block on slow
	}
	if len(slow) != 1 || len(fast) != 5 {
		t.Fatalf("slow has %d, fast %d; want 1 and 5", len(slow), len(fast))
	}
	cancelSlow()
	cancelSlow() // twice is safe
	h.publish(Event{Attempt: 6})
	if len(fast) != 6 {
		t.Fatalf("fast has %d after cancelling slow, want 6", len(fast))
	}
	cancelFast()
	if _, open := <-slow; !open {
		t.Fatal("buffered event lost on cancel")
	}
	if _, open := <-slow; open {
		t.Fatal("channel not closed by cancel")
	}
}
