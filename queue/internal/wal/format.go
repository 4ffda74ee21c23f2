package wal

import (
	"encoding/binary"
	"hash/crc32"
)

// Segment file "<first seq, 20 digits>.wal":
//
//	header  magic(8) salt(8) first(8) crc32c(4) pad(4)
//	record  crc32c(4) len(4) seq(8) kind(1) payload(len-1)
//
// A record's crc covers the segment's salt, its len, seq, kind and payload.
// The salt is new each time a file becomes a segment, so records left over
// from the file's earlier use never verify; seqs run on without gaps, so a
// read stops at the first record that is torn, stale or zeroed.
const (
	magic           = "RLYJNL02"
	headerLen       = 32
	recordHeaderLen = 16
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Kind says what a record means; the caller defines its kinds.
type Kind byte

// Entry is one record to write.
type Entry struct {
	Kind    Kind
	Payload []byte
}

// Record is one record read back at Open. Payload points into the segment
// file's bytes read at Open: the caller may keep it.
type Record struct {
	Seq     uint64
	Kind    Kind
	Payload []byte
}

// ReadSegment returns the valid records of a segment file's bytes: it stops
// at the first record that is torn, stale (another salt), out of seq or
// empty (no kind byte).
func ReadSegment(b []byte) []Record {
	if len(b) < headerLen || string(b[:8]) != magic ||
		crc32.Checksum(b[:24], castagnoli) != binary.LittleEndian.Uint32(b[24:28]) {
		return nil
	}
	salt := binary.LittleEndian.Uint64(b[8:16])
	next := binary.LittleEndian.Uint64(b[16:24])
	var out []Record
	for off := headerLen; len(b)-off >= recordHeaderLen; {
		h := b[off : off+recordHeaderLen]
		n := int(binary.LittleEndian.Uint32(h[4:8]))
		seq := binary.LittleEndian.Uint64(h[8:16])
		if seq != next || n < 1 || n > len(b)-off-recordHeaderLen {
			break
		}
		body := b[off+recordHeaderLen : off+recordHeaderLen+n]
		if recordCRC(salt, h[4:16], body) != binary.LittleEndian.Uint32(h[0:4]) {
			break
		}
		out = append(out, Record{Seq: seq, Kind: Kind(body[0]), Payload: body[1:]})
		next++
		off += recordHeaderLen + n
	}
	return out
}

func recordCRC(salt uint64, lenSeq, body []byte) uint32 {
	var s [8]byte
	binary.LittleEndian.PutUint64(s[:], salt)
	c := crc32.Update(0, castagnoli, s[:])
	c = crc32.Update(c, castagnoli, lenSeq)
	return crc32.Update(c, castagnoli, body)
}

func appendSegmentHeader(b []byte, salt, first uint64) []byte {
	start := len(b)
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint64(b, salt)
	b = binary.LittleEndian.AppendUint64(b, first)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli))
	return binary.LittleEndian.AppendUint32(b, 0)
}

// appendRecord appends the record seq of e, salted for its segment.
func appendRecord(b []byte, salt, seq uint64, e Entry) []byte {
	var h [recordHeaderLen]byte
	binary.LittleEndian.PutUint32(h[4:8], uint32(1+len(e.Payload)))
	binary.LittleEndian.PutUint64(h[8:16], seq)
	c := recordCRC(salt, h[4:16], []byte{byte(e.Kind)})
	c = crc32.Update(c, castagnoli, e.Payload)
	binary.LittleEndian.PutUint32(h[0:4], c)
	b = append(b, h[:]...)
	b = append(b, byte(e.Kind))
	return append(b, e.Payload...)
}

func recordSize(e Entry) int64 { return recordHeaderLen + 1 + int64(len(e.Payload)) }
