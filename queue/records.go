package queue

import (
	"fmt"
	"time"

	"github.com/relayd/relayd/queue/internal/wal"
)

// Every durable change is one journal record (internal/wal), logical and
// idempotent: applied a second time to the state it produced, it changes
// nothing. Open re-applies, in order, every record after the last
// checkpoint (journal_ingest.go), so Badger's own files need syncing only
// at a checkpoint. Each record carries the time its change
// was made at, so applying it again writes the same bytes.
const (
	recEnqueue wal.Kind = 1 + iota // the time, then the message as stored (encode.go)
	recOutcome                     // Complete: an attempt and its result
	recReplay                      // Replay: resolved targets, a fresh schedule
	recPurge                       // Purge: resolved targets, deleted
	recPause                       // SetPaused, PauseFor: a destination held or released
	recExpire                      // retention: expiry keys, their messages deleted
)

// outcomeRec is Complete's record: it applies only while the delivery's
// stored attempt count is attempt − 1, so it never counts twice.
type outcomeRec struct {
	id, dest string
	attempt  int
	outcome  Outcome
	now      time.Time
}

// targetsRec is the record of a Replay or a Purge: the messages resolved
// from the filter, and the part of the filter each delivery is checked
// against again when applied (destination and state).
type targetsRec struct {
	now     time.Time // when the change was made
	due     time.Time // Replay: when the deliveries are due
	dest    string
	state   State
	targets []target
}

// pauseRec holds or releases a destination.
type pauseRec struct {
	dest   string
	paused bool
	reason string
}

// encodeEnqueueRec returns m's journal record and, within it, m's record
// as stored in Badger.
func encodeEnqueueRec(now time.Time, m *Message) (rec, msg []byte) {
	e := encoder{b: make([]byte, 0, 140+len(m.Body)+32*len(m.Headers))}
	e.time(now)
	n := len(e.b)
	rec = appendMessage(e.b, m)
	return rec, rec[n:]
}

func decodeEnqueueRec(b []byte) (time.Time, []byte, error) {
	d := decoder{b: b}
	now := d.time()
	if d.err != nil {
		return time.Time{}, nil, fmt.Errorf("decode enqueue record: %w", d.err)
	}
	return now, d.b, nil
}

func encodeOutcomeRec(r *outcomeRec) []byte {
	a := r.outcome.Attempt
	e := encoder{b: make([]byte, 0, 96+len(a.Error)+min(len(a.Response), maxResponseLen))}
	e.b = append(e.b, recordV1)
	e.str(r.id)
	e.str(r.dest)
	e.uvarint(uint64(r.attempt))
	e.uvarint(uint64(r.outcome.Result))
	e.time(r.outcome.NextAttemptAt)
	e.time(r.now)
	e.time(a.At)
	e.varint(int64(a.Duration))
	e.varint(int64(a.Status))
	e.str(a.Error)
	e.bytes(a.Response[:min(len(a.Response), maxResponseLen)])
	return e.b
}

func decodeOutcomeRec(b []byte) (*outcomeRec, error) {
	d := decoder{b: b}
	d.version()
	r := &outcomeRec{id: d.str(), dest: d.str(), attempt: int(d.uvarint())}
	r.outcome.Result = Result(d.uvarint())
	r.outcome.NextAttemptAt = d.time()
	r.now = d.time()
	a := &r.outcome.Attempt
	a.At = d.time()
	a.Duration = time.Duration(d.varint())
	a.Status = int(d.varint())
	a.Error = d.str()
	a.Response = d.bytes()
	if d.err != nil {
		return nil, fmt.Errorf("decode outcome record: %w", d.err)
	}
	return r, nil
}

func encodeTargetsRec(r *targetsRec) []byte {
	e := encoder{b: make([]byte, 0, 32+len(r.targets)*(idLen+24))}
	e.b = append(e.b, recordV1)
	e.time(r.now)
	e.time(r.due)
	e.str(r.dest)
	e.str(string(r.state))
	e.uvarint(uint64(len(r.targets)))
	for _, t := range r.targets {
		e.str(t.id)
		e.uvarint(uint64(len(t.dests)))
		for _, d := range t.dests {
			e.str(d)
		}
	}
	return e.b
}

func decodeTargetsRec(b []byte) (*targetsRec, error) {
	d := decoder{b: b}
	d.version()
	r := &targetsRec{now: d.time(), due: d.time(), dest: d.str(), state: State(d.str())}
	n := d.uvarint()
	for i := uint64(0); i < n && d.err == nil; i++ {
		t := target{id: d.str()}
		k := d.uvarint()
		if k > uint64(len(d.b)) {
			d.fail()
			break
		}
		for j := uint64(0); j < k; j++ {
			t.dests = append(t.dests, d.str())
		}
		r.targets = append(r.targets, t)
	}
	if d.err != nil {
		return nil, fmt.Errorf("decode targets record: %w", d.err)
	}
	return r, nil
}

func encodePauseRec(r pauseRec) []byte {
	e := encoder{b: []byte{recordV1}}
	e.str(r.dest)
	p := uint64(0)
	if r.paused {
		p = 1
	}
	e.uvarint(p)
	e.str(r.reason)
	return e.b
}

func decodePauseRec(b []byte) (pauseRec, error) {
	d := decoder{b: b}
	d.version()
	r := pauseRec{dest: d.str(), paused: d.uvarint() == 1, reason: d.str()}
	if d.err != nil {
		return pauseRec{}, fmt.Errorf("decode pause record: %w", d.err)
	}
	return r, nil
}

func encodeExpireRec(now time.Time, keys [][]byte) []byte {
	e := encoder{b: make([]byte, 0, 16+len(keys)*(2+1+timeLen+idLen))}
	e.b = append(e.b, recordV1)
	e.time(now)
	e.uvarint(uint64(len(keys)))
	for _, k := range keys {
		e.bytes(k)
	}
	return e.b
}

func decodeExpireRec(b []byte) (time.Time, [][]byte, error) {
	d := decoder{b: b}
	d.version()
	now := d.time()
	n := d.uvarint()
	var keys [][]byte
	for i := uint64(0); i < n && d.err == nil; i++ {
		keys = append(keys, d.bytes())
	}
	if d.err != nil {
		return time.Time{}, nil, fmt.Errorf("decode expiry record: %w", d.err)
	}
	return now, keys, nil
}

// applyRecord applies a record read back from the journal at Open. Its
// answer (how many, not found) was given when it was first applied.
func (b *batch) applyRecord(kind wal.Kind, payload []byte) error {
	switch kind {
	case recEnqueue:
		now, msg, err := decodeEnqueueRec(payload)
		if err != nil {
			return err
		}
		m, err := decodeMessage(msg, false)
		if err != nil {
			return err
		}
		if !ValidID(m.ID) {
			return fmt.Errorf("enqueue record: invalid message id %q", m.ID)
		}
		// Applied already when its message is there and readable.
		if v, ok, err := b.get(messageKey(m.ID)); err == nil && ok && v != nil {
			return nil
		}
		b.now = now
		b.enqueue(m, msg)
	case recOutcome:
		r, err := decodeOutcomeRec(payload)
		if err != nil {
			return err
		}
		b.now = r.now
		return b.complete(r, nil)
	case recReplay, recPurge:
		r, err := decodeTargetsRec(payload)
		if err != nil {
			return err
		}
		b.now = r.now
		b.applyTargets(kind, r)
	case recPause:
		r, err := decodePauseRec(payload)
		if err != nil {
			return err
		}
		b.setPaused(r)
	case recExpire:
		now, keys, err := decodeExpireRec(payload)
		if err != nil {
			return err
		}
		b.now = now
		for _, k := range keys {
			b.makeRoom()
			b.expire(k)
		}
	default:
		return fmt.Errorf("unknown journal record kind %d", kind)
	}
	return nil
}
