package queue

import (
	"reflect"
	"testing"
	"time"
)

func TestDeliveryRoundTripAndCap(t *testing.T) {
	now := time.Unix(1700000000, 123)
	r := &deliveryRec{
		Delivery: Delivery{MessageID: NewID(), Destination: "billing", State: StateRetrying,
			ScheduleStart: now, NextAttemptAt: now.Add(time.Minute), UpdatedAt: now, OrderingKey: "k"},
		receivedAt: now, chainSeq: 7, siblings: []string{"billing", "mailer"},
	}
	for i := range 60 {
		r.addAttempt(Attempt{At: now.Add(time.Duration(i)), Duration: time.Second, Status: 500 + i, Error: "boom", Response: make([]byte, 3000)})
	}
	if r.AttemptCount != 60 || len(r.Attempts) != maxAttemptsKept || r.Attempts[0].Status != 510 || len(r.Attempts[49].Response) != maxResponseLen {
		t.Fatalf("cap: count=%d kept=%d first=%d", r.AttemptCount, len(r.Attempts), r.Attempts[0].Status)
	}
	got, err := decodeDelivery(r.MessageID, r.Destination, encodeDelivery(r))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, r)
	}
}

func FuzzDecodeMessage(f *testing.F) {
	m := msg("eq-callback", "billing", "mailer")
	m.ID, m.ReceivedAt, m.IdempotencyKey, m.OrderingKey = NewID(), time.Unix(1, 2), "key", "guid"
	f.Add(encodeMessage(m))
	f.Add(encodeMessage(&Message{}))
	f.Add([]byte{recordV1, 200, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMessage(b, true)
		if err != nil {
			return
		}
		again, err := decodeMessage(encodeMessage(m), true)
		if err != nil || !reflect.DeepEqual(m, again) {
			t.Fatalf("round trip: %+v → %+v (%v)", m, again, err)
		}
	})
}

func FuzzDecodeDelivery(f *testing.F) {
	r := &deliveryRec{Delivery: Delivery{State: StateDead, UpdatedAt: time.Unix(5, 0)}, siblings: []string{"a"}}
	r.addAttempt(Attempt{At: time.Unix(3, 0), Status: 404, Response: []byte("nope")})
	f.Add(encodeDelivery(r))
	f.Add([]byte{recordV1, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := decodeDelivery("id", "dest", b)
		if err != nil {
			return
		}
		again, err := decodeDelivery("id", "dest", encodeDelivery(d))
		if err != nil || !reflect.DeepEqual(d, again) {
			t.Fatalf("round trip: %+v → %+v (%v)", d, again, err)
		}
	})
}

func FuzzDecodeCounts(f *testing.F) {
	f.Add(encodeCounts(storedCounts{Pending: 1, Dead: -2}))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeCounts(b)
		if err != nil {
			return
		}
		if again, err := decodeCounts(encodeCounts(c)); err != nil || again != c {
			t.Fatalf("round trip: %+v → %+v (%v)", c, again, err)
		}
	})
}
