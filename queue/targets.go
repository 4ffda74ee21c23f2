package queue

import (
	"context"
	"time"

	"github.com/relayd/relayd/queue/internal/wal"
)

// changeTargets is the loop Replay and Purge share: it resolves f's
// messages now, then writes them a chunk (sweepChunk messages) per journal
// record of kind, each applied by the writer, which checks every delivery
// again; it returns how many deliveries changed.
func (s *Store) changeTargets(kind wal.Kind, f Filter, due time.Time) (int, error) {
	ts, err := s.targets(f)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, chunk := range chunks(ts, sweepChunk) {
		r := &targetsRec{now: time.Now(), due: due, dest: f.Destination, state: f.State, targets: chunk}
		rec := encodeTargetsRec(r)
		n := 0
		err := s.submitJournaled(context.Background(), change{kind: kind, rec: rec, now: r.now,
			apply: func(b *batch) error {
				n = b.applyTargets(kind, r)
				return nil
			}}, true)
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// applyTargets replays or purges the deliveries of r's targets that still
// match its filter, and returns how many.
func (b *batch) applyTargets(kind wal.Kind, r *targetsRec) int {
	f := Filter{Destination: r.dest, State: r.state}
	n := 0
	for _, t := range r.targets {
		b.makeRoom()
		if kind == recReplay {
			n += b.replayMessage(t, f, r.due)
		} else {
			n += b.purgeMessage(t, f)
		}
	}
	return n
}

// chunks splits ts into writer requests of at most n messages.
func chunks(ts []target, n int) [][]target {
	var out [][]target
	for len(ts) > 0 {
		k := min(n, len(ts))
		out = append(out, ts[:k])
		ts = ts[k:]
	}
	return out
}
