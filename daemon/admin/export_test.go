package admin

import "github.com/relayd/relayd/relay"

// TailStreams is the number of open tail streams (tests wait for a
// subscription before causing events).
func TailStreams(s *Server) int { return int(s.tails.Load()) }

// RingBacklog records total events numbered 0… (in Attempt) and returns
// the numbers of the last n the ring gives back.
func RingBacklog(total, n int) []int {
	re := newRecentEvents()
	ch := make(chan relay.Event, total)
	for i := range total {
		ch <- relay.Event{Attempt: i}
	}
	close(ch)
	re.run(ch)
	backlog, _, cancel := re.subscribe(tailFilter{}, n)
	cancel()
	var out []int
	for _, ev := range backlog {
		out = append(out, ev.Attempt)
	}
	return out
}
