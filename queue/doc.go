// Package queue owns relayd's durable storage: messages, one delivery record
// per (message, destination), the schedule index that finds the next due
// delivery with one Seek, the idempotency index, the key index that finds
// messages by idempotency key, ordering key or tracing id (keyindex.go),
// ordering chains, retention, and the key layout in Badger (layout.go).
//
// One log (records.go): every durable change — an Enqueue, a delivery's
// outcome, a Replay or Purge (their targets resolved), a pause or resume,
// a retention sweep's expiries — is one logical, idempotent record in the
// journal (internal/wal), and is acknowledged once that record is
// fdatasynced, one pwrite and one fdatasync per group of concurrent writes
// (journal_ingest.go). The writer goroutine applies the same records to
// Badger meanwhile, group-committed into one transaction (writer.go); each
// write but an Enqueue without an idempotency key also waits for its
// apply, and every read first waits until what was journaled is applied,
// so a read sees every write that returned before it. Badger's own files
// are synced only at a checkpoint, when a journal segment is released
// (walsync.go), and Open re-applies every record after the last checkpoint
// (the journal keeps its seq), reading a value a power cut lost under a
// kept key from its last readable version (lostvalue.go). The writer also
// runs each batch's effects on in-memory state (leases, cursors, counts,
// the paused set, the sweep position, wake-ups) before it answers; the queue's long-lived goroutines are the
// journal's group commit, the writer and maintenance. Purge and Replay
// share their loop (targets.go); the index writes live in index.go.
//
// Leases of deliveries in flight live only in memory (lease.go): a crash
// forgets them and the delivery is due again (at least once).
//
// The disk limits (space.go): Enqueue is refused (ErrFull, as a
// *FullError naming the limit) once storage.max_disk or storage.min_free
// is reached, each counted as its last reading plus every byte admitted
// since, so a burst cannot run past either between readings.
//
// Levels for metrics are read, not counted (levels.go): Counts, Space and
// OldestUnfinished (three Seeks per destination); Options.OnGroupCommit
// reports each journal group's size and fsync time.
//
// Deleting (retention, purge) gives the disk back (reclaim.go): once
// enough is deleted and ingest is quiet, maintenance flushes Badger's
// memtables, compacts the LSM tree and runs value-log GC, which Badger
// alone would not do for a queue that has gone quiet.
//
// The store directory is 0700 and its files 0600 (private.go): it holds
// bodies and headers uncensored.
//
// queue imports nothing of relayd's.
package queue
