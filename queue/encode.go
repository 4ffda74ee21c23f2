package queue

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Records are a compact binary encoding: a version byte, then fields in a
// fixed order as uvarints, varints and length-prefixed bytes. A new field
// means a new version; decoders keep reading the old ones.
const recordV1 = 1

// Limits on what a delivery record keeps, so a record stays small however
// often a delivery is retried.
const (
	maxAttemptsKept = 50
	maxResponseLen  = 1024
)

var errCorrupt = errors.New("corrupt record")

// deliveryRec is a delivery as stored, with what the writer needs to
// maintain the indexes without reading the message.
type deliveryRec struct {
	Delivery
	receivedAt time.Time
	chainSeq   uint64   // position in its ordering chain; 0 = not in one
	siblings   []string // every destination of its message
	implicit   bool     // no record or state-index entry stored yet (implicit.go)
}

type encoder struct{ b []byte }

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) bytes(v []byte)   { e.uvarint(uint64(len(v))); e.b = append(e.b, v...) }
func (e *encoder) str(v string)     { e.uvarint(uint64(len(v))); e.b = append(e.b, v...) }

// time encodes the zero time as 0 so "not set" survives a round trip.
func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.varint(0)
		return
	}
	e.varint(t.UnixNano())
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() { d.err = errCorrupt; d.b = nil }

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) raw() []byte {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte { return append([]byte(nil), d.raw()...) }
func (d *decoder) str() string   { return string(d.raw()) }

func (d *decoder) time() time.Time {
	n := d.varint()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

func (d *decoder) version() {
	if len(d.b) == 0 || d.b[0] != recordV1 {
		d.fail()
		return
	}
	d.b = d.b[1:]
}

func encodeMessage(m *Message) []byte { return appendMessage(nil, m) }

// appendMessage appends m's record to b (a journal record's head).
func appendMessage(b []byte, m *Message) []byte {
	e := encoder{b: b}
	if e.b == nil {
		e.b = make([]byte, 0, 128+len(m.Body)+32*len(m.Headers))
	}
	e.b = append(e.b, recordV1)
	for _, s := range []string{m.ID, m.Route, m.Method, m.Path, m.Query, m.RemoteAddr,
		m.TracingID, m.IdempotencyKey, m.OrderingKey} {
		e.str(s)
	}
	e.time(m.ReceivedAt)
	e.uvarint(uint64(len(m.Headers)))
	for _, h := range m.Headers {
		e.str(h.Name)
		e.str(h.Value)
	}
	e.uvarint(uint64(len(m.Destinations)))
	for _, d := range m.Destinations {
		e.str(d)
	}
	e.bytes(m.Body) // last: a summary stops before it
	return e.b
}

// decodeMessage decodes a message record; withBody=false leaves Body nil.
func decodeMessage(b []byte, withBody bool) (*Message, error) {
	d := decoder{b: b}
	d.version()
	m := &Message{}
	for _, p := range []*string{&m.ID, &m.Route, &m.Method, &m.Path, &m.Query, &m.RemoteAddr,
		&m.TracingID, &m.IdempotencyKey, &m.OrderingKey} {
		*p = d.str()
	}
	m.ReceivedAt = d.time()
	if n := d.uvarint(); n <= uint64(len(d.b)) {
		m.Headers = make([]Header, n)
		for i := range m.Headers {
			m.Headers[i] = Header{Name: d.str(), Value: d.str()}
		}
	} else {
		d.fail()
	}
	if n := d.uvarint(); n <= uint64(len(d.b)) {
		m.Destinations = make([]string, n)
		for i := range m.Destinations {
			m.Destinations[i] = d.str()
		}
	} else {
		d.fail()
	}
	if withBody {
		m.Body = d.bytes()
	}
	if d.err != nil {
		return nil, fmt.Errorf("decode message: %w", d.err)
	}
	return m, nil
}

func encodeDelivery(r *deliveryRec) []byte {
	e := encoder{b: make([]byte, 0, 96+len(r.siblings)*16+len(r.Attempts)*64)}
	e.b = append(e.b, recordV1, stateByte(r.State))
	e.uvarint(uint64(r.AttemptCount))
	e.time(r.ScheduleStart)
	e.time(r.NextAttemptAt)
	e.time(r.UpdatedAt)
	e.time(r.receivedAt)
	e.uvarint(r.chainSeq)
	e.str(r.OrderingKey)
	e.uvarint(uint64(len(r.siblings)))
	for _, s := range r.siblings {
		e.str(s)
	}
	e.uvarint(uint64(len(r.Attempts)))
	for _, a := range r.Attempts {
		e.time(a.At)
		e.varint(int64(a.Duration))
		e.varint(int64(a.Status))
		e.str(a.Error)
		e.bytes(a.Response)
	}
	return e.b
}

func decodeDelivery(id, dest string, b []byte) (*deliveryRec, error) {
	d := decoder{b: b}
	d.version()
	r := &deliveryRec{Delivery: Delivery{MessageID: id, Destination: dest}}
	if len(d.b) > 0 {
		r.State = stateFromByte(d.b[0])
		d.b = d.b[1:]
	}
	r.AttemptCount = int(d.uvarint())
	r.ScheduleStart = d.time()
	r.NextAttemptAt = d.time()
	r.UpdatedAt = d.time()
	r.receivedAt = d.time()
	r.chainSeq = d.uvarint()
	r.OrderingKey = d.str()
	if n := d.uvarint(); n <= uint64(len(d.b)) {
		r.siblings = make([]string, n)
		for i := range r.siblings {
			r.siblings[i] = d.str()
		}
	} else {
		d.fail()
	}
	if n := d.uvarint(); n <= uint64(len(d.b)) {
		r.Attempts = make([]Attempt, n)
		for i := range r.Attempts {
			a := &r.Attempts[i]
			a.At = d.time()
			a.Duration = time.Duration(d.varint())
			a.Status = int(d.varint())
			a.Error = d.str()
			a.Response = d.bytes()
		}
	} else {
		d.fail()
	}
	if d.err == nil && r.State == "" {
		d.fail()
	}
	if d.err != nil {
		return nil, fmt.Errorf("decode delivery %s/%s: %w", id, dest, d.err)
	}
	return r, nil
}

// addAttempt appends a to r's history, keeping the newest maxAttemptsKept
// and at most maxResponseLen bytes of its response.
func (r *deliveryRec) addAttempt(a Attempt) {
	if len(a.Response) > maxResponseLen {
		a.Response = a.Response[:maxResponseLen]
	}
	a.Response = append([]byte(nil), a.Response...)
	r.AttemptCount++
	r.Attempts = append(r.Attempts, a)
	if n := len(r.Attempts); n > maxAttemptsKept {
		r.Attempts = append(r.Attempts[:0:0], r.Attempts[n-maxAttemptsKept:]...)
	}
}

// storedCounts are the persisted counters of one destination.
type storedCounts struct{ Pending, Retrying, Dead, Delivered int64 }

func (c *storedCounts) add(s State, n int64) {
	switch s {
	case StatePending:
		c.Pending += n
	case StateRetrying:
		c.Retrying += n
	case StateDead:
		c.Dead += n
	case StateDelivered:
		c.Delivered += n
	}
}

func (c storedCounts) plus(d *storedCounts) storedCounts {
	return storedCounts{Pending: c.Pending + d.Pending, Retrying: c.Retrying + d.Retrying,
		Dead: c.Dead + d.Dead, Delivered: c.Delivered + d.Delivered}
}

func encodeCounts(c storedCounts) []byte {
	e := encoder{b: []byte{recordV1}}
	for _, v := range []int64{c.Pending, c.Retrying, c.Dead, c.Delivered} {
		e.varint(v)
	}
	return e.b
}

func decodeCounts(b []byte) (storedCounts, error) {
	d := decoder{b: b}
	d.version()
	c := storedCounts{Pending: d.varint(), Retrying: d.varint(), Dead: d.varint(), Delivered: d.varint()}
	if d.err != nil {
		return storedCounts{}, fmt.Errorf("decode counts: %w", d.err)
	}
	return c, nil
}
