package queue

import (
	"crypto/sha256"
	"encoding/binary"
)

// The key index finds a message by a business key: its idempotency key,
// ordering key or tracing id, whichever it is (an operator asking for
// "task 7bc29eb2…" does not know which of the three a route took it as).
// One entry per distinct non-empty key of a message,
//
//	k len(key) keyBytes id → (no value)
//
// written in the batch that writes the message (so journal replay, which
// applies an Enqueue again through the same code, rebuilds it) and deleted
// with the message (deleteMessage: purge and retention). Ids start with
// their receipt time, so the entries of one key are in receipt order and
// List walks them newest first with one Seek.
//
// A key longer than maxIndexedKey is indexed by its SHA-256 (keyBytes is
// the 32-byte sum; len still says the key's own length, so a hashed entry
// can never equal a raw one): a key from a sender may be as long as the
// body, and Badger keys must stay small. find checks every message it
// reads against the key itself, so a hash collision finds nothing extra.
const maxIndexedKey = 256

// messageKeys returns m's distinct non-empty keys (in an array: this is
// on the ingest path).
func messageKeys(m *Message) ([3]string, int) {
	var out [3]string
	n := 0
	for _, k := range [...]string{m.IdempotencyKey, m.OrderingKey, m.TracingID} {
		if k != "" && (n == 0 || out[0] != k) && (n < 2 || out[1] != k) {
			out[n] = k
			n++
		}
	}
	return out, n
}

// hasKey reports whether k is one of m's keys.
func hasKey(m *Message, k string) bool {
	return k == m.IdempotencyKey || k == m.OrderingKey || k == m.TracingID
}

// keyIndexPrefix is the prefix of every index entry of key k.
func keyIndexPrefix(k string) []byte {
	b := binary.AppendUvarint(key(10+min(len(k), maxIndexedKey)+idLen, pfxKey), uint64(len(k)))
	if len(k) > maxIndexedKey {
		sum := sha256.Sum256([]byte(k))
		return append(b, sum[:]...)
	}
	return append(b, k...)
}

func keyIndexKey(k, id string) []byte { return append(keyIndexPrefix(k), id...) }

// indexKeys writes m's key-index entries.
func (b *batch) indexKeys(m *Message) {
	keys, n := messageKeys(m)
	for _, k := range keys[:n] {
		b.set(keyIndexKey(k, m.ID), nil)
	}
}

// unindexKeys deletes m's key-index entries.
func (b *batch) unindexKeys(m *Message) {
	keys, n := messageKeys(m)
	for _, k := range keys[:n] {
		b.del(keyIndexKey(k, m.ID))
	}
}
