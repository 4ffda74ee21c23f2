package wal

import (
	"encoding/binary"
	"os"
	"testing"
)

// Whatever a segment file holds after a crash or a disk fault, reading it
// must not panic and must return only a gapless run of verified records.
func FuzzReadSegment(f *testing.F) {
	l, _, err := Open(f.TempDir(), Options{SegmentSize: 1 << 20})
	if err != nil {
		f.Fatal(err)
	}
	if err := l.Start(41); err != nil {
		f.Fatal(err)
	}
	if _, err := l.Write(entries([]byte("one"), nil, []byte("three"))); err != nil {
		f.Fatal(err)
	}
	valid, _ := os.ReadFile(l.cur.path)
	valid = valid[:l.cur.off]
	l.Close()
	if len(ReadSegment(valid)) != 3 {
		f.Fatal("the seed segment does not read back")
	}
	f.Add(valid)
	f.Add(valid[:headerLen+5])
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs := ReadSegment(b)
		for i := 1; i < len(recs); i++ {
			if recs[i].Seq != recs[i-1].Seq+1 {
				t.Fatalf("records %d and %d: seq %d then %d", i-1, i, recs[i-1].Seq, recs[i].Seq)
			}
		}
		if len(recs) > 0 && recs[0].Seq != binary.LittleEndian.Uint64(b[16:24]) {
			t.Fatalf("first record seq %d, segment says %d", recs[0].Seq, binary.LittleEndian.Uint64(b[16:24]))
		}
	})
}
