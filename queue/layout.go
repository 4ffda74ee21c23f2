package queue

import (
	"encoding/binary"
	"time"
)

// Key layout. Every key starts with one prefix byte naming its kind:
//
//	m id                          → message record (encodeMessage); ids start
//	                                with their receipt time (idAt), so this is
//	                                also the received-time order List walks
//	d id dest                     → delivery record (encodeDelivery), or a purged
//	                                marker; none = pending since receipt (implicit.go)
//	s dest 0 at id                → schedule index: due deliveries (chain heads only)
//	o dest 0 len(okey) okey seq id → ordering chain of (dest, okey), FIFO by seq
//	t dest 0 state at id          → (dest, state, received-time) index (List/Replay/Purge
//	                                filters); none for implicit deliveries, which List
//	                                finds in the schedule index (at = receipt)
//	x at id                       → expiry index: message all-terminal since at (retention)
//	i len(route) route key        → idempotency index → id
//	k len(key) key id             → key index: idempotency key, ordering key or
//	                                tracing id → message (keyindex.go; a key over
//	                                256 bytes is held as its SHA-256)
//	n dest                        → persisted per-destination counts
//	p dest                        → destination is paused → reason ("" = operator, "gone")
//	q                             → last ordering-chain sequence number
//	j                             → highest journal seq applied (journal_ingest.go)
//	0xff "reclaim"                → marker, written and dropped to flush the
//	                                memtables (reclaim.go); never live for long
//
// "at" is a time as 8 big-endian bytes (unix nanoseconds with the sign bit
// flipped) so byte order is time order and a Seek finds the earliest entry.
// Destination names must not contain a NUL byte (it ends them in keys);
// route and ordering key are length-prefixed, so they may hold anything.
const (
	pfxMessage  = 'm'
	pfxDelivery = 'd'
	pfxSchedule = 's'
	pfxChain    = 'o'
	pfxStateIdx = 't'
	pfxExpiry   = 'x'
	pfxIdem     = 'i'
	pfxKey      = 'k'
	pfxCounts   = 'n'
	pfxPaused   = 'p'
)

var (
	keySeq     = []byte{'q'}
	keyJournal = []byte{'j'}
)

const (
	idLen   = 32
	timeLen = 8
)

func putTime(b []byte, t time.Time) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(t.UnixNano())^(1<<63))
}

func readTime(b []byte) time.Time {
	return time.Unix(0, int64(binary.BigEndian.Uint64(b)^(1<<63)))
}

func key(n int, pfx byte) []byte {
	b := make([]byte, 1, n+1)
	b[0] = pfx
	return b
}

func messageKey(id string) []byte { return append(key(idLen, pfxMessage), id...) }

func deliveryKey(id, dest string) []byte {
	return append(append(key(idLen+len(dest), pfxDelivery), id...), dest...)
}

func schedulePrefix(dest string) []byte {
	return append(append(key(len(dest)+1+timeLen+idLen, pfxSchedule), dest...), 0)
}

func scheduleKey(dest string, at time.Time, id string) []byte {
	return append(putTime(schedulePrefix(dest), at), id...)
}

// parseScheduleKey splits a schedule key of a known destination prefix.
func parseScheduleKey(k []byte, prefixLen int) (time.Time, string, bool) {
	if len(k) != prefixLen+timeLen+idLen {
		return time.Time{}, "", false
	}
	return readTime(k[prefixLen:]), string(k[prefixLen+timeLen:]), true
}

func chainPrefix(dest, okey string) []byte {
	b := append(append(key(len(dest)+len(okey)+8, pfxChain), dest...), 0)
	b = binary.AppendUvarint(b, uint64(len(okey)))
	return append(b, okey...)
}

func chainKey(dest, okey string, seq uint64, id string) []byte {
	return append(binary.BigEndian.AppendUint64(chainPrefix(dest, okey), seq), id...)
}

func stateIndexPrefix(dest string, st State) []byte {
	return append(append(append(key(len(dest)+2+timeLen+idLen, pfxStateIdx), dest...), 0), stateByte(st))
}

func stateIndexKey(dest string, st State, at time.Time, id string) []byte {
	return append(putTime(stateIndexPrefix(dest, st), at), id...)
}

func expiryKey(at time.Time, id string) []byte {
	return append(putTime(key(timeLen+idLen, pfxExpiry), at), id...)
}

func idemKey(route, k string) []byte {
	b := binary.AppendUvarint(key(len(route)+len(k)+4, pfxIdem), uint64(len(route)))
	return append(append(b, route...), k...)
}

func countsKey(dest string) []byte { return append(key(len(dest), pfxCounts), dest...) }

func pausedKey(dest string) []byte { return append(key(len(dest), pfxPaused), dest...) }

// storedStates are the states a delivery record holds, in byte order.
var storedStates = []State{StatePending, StateRetrying, StateDelivered, StateDead}

func stateByte(s State) byte {
	switch s {
	case StatePending:
		return 1
	case StateRetrying:
		return 2
	case StateDelivered:
		return 3
	case StateDead:
		return 4
	}
	return 0
}

func stateFromByte(b byte) State {
	if b >= 1 && int(b) <= len(storedStates) {
		return storedStates[b-1]
	}
	return ""
}

// successor returns the smallest key greater than k.
func successor(k []byte) []byte { return append(append([]byte(nil), k...), 0) }

func putSeq(b []byte, v uint64) { binary.BigEndian.PutUint64(b, v) }

func readSeq(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}
