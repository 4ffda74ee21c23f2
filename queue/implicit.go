package queue

import "time"

// A delivery of a message without an ordering key is written at Enqueue as
// its schedule entry only: no delivery record and no state-index entry.
// Until its first attempt it is pending since receipt, and everything else
// about it follows from its message (receipt time, destinations). This
// saves two of the five Badger entries per delivery on the ingest path
// (+14–19% ingest here; docs/BENCHMARKS.md). The first change of state
// writes the record and the index entry like any other.
//
// So a missing record means "pending since receipt" for a destination the
// message names, and a delivery that is deleted while its message stays
// (purge) leaves a marker record instead of nothing.

// purgedRecord marks a delivery deleted while its message stays.
var purgedRecord = []byte{recordV1, 0}

func isPurged(v []byte) bool { return len(v) == 2 && v[0] == recordV1 && v[1] == 0 }

// implicitDelivery is the delivery a message without an ordering key has
// to dest before anything is recorded for it.
func implicitDelivery(id, dest string, receivedAt time.Time, siblings []string) *deliveryRec {
	return &deliveryRec{
		Delivery: Delivery{
			MessageID: id, Destination: dest, State: StatePending,
			NextAttemptAt: receivedAt, UpdatedAt: receivedAt,
		},
		receivedAt: receivedAt,
		siblings:   siblings,
		implicit:   true,
	}
}

// storedDelivery turns a delivery key's value into the delivery: decoded
// when there is a record, implicit when there is none and m (the message)
// has no ordering key and names dest; ok false when there is no delivery.
func storedDelivery(id, dest string, v []byte, found bool, m *Message) (*deliveryRec, bool, error) {
	if found {
		if isPurged(v) {
			return nil, false, nil
		}
		d, err := decodeDelivery(id, dest, v)
		return d, err == nil, err
	}
	if m == nil || m.OrderingKey != "" {
		return nil, false, nil
	}
	for _, name := range m.Destinations {
		if name == dest {
			return implicitDelivery(id, dest, m.ReceivedAt, m.Destinations), true, nil
		}
	}
	return nil, false, nil
}
