// Package queue owns relayd's durable storage: messages, one delivery record
// per (message, destination), the schedule index that finds the next due
// delivery with one Seek, the idempotency index, the key index that finds
// messages by idempotency key, ordering key or tracing id (keyindex.go),
// ordering chains, retention, and the key layout in Badger (layout.go).
//
// One writer goroutine owns every write and group-commits concurrent
// requests into one Badger transaction (writer.go); a syncer goroutine
// fsyncs once for every batch committed meanwhile and only then answers, so
// an acknowledged Enqueue is on disk. Leases of deliveries in flight live
// only in memory (schedule.go): a crash forgets them and the delivery is due
// again (at least once).
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
