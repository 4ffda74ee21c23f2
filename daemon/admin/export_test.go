package admin

// TailStreams is the number of open tail streams (tests wait for a
// subscription before causing events).
func TailStreams(s *Server) int { return int(s.tails.Load()) }
