// Package wal is the queue's write-ahead log: numbered records in
// preallocated segment files, each group of records written with one pwrite
// and made durable with one fdatasync, read back in order at Open, and
// released a segment at a time once the caller has checkpointed what they
// hold. The last checkpoint's seq is kept in a small synced file, so Open
// can tell the caller from which record to re-apply, whatever its own
// store claims to hold.
//
// A record is a kind byte and a payload; what a kind means is the caller's
// (package queue). The log knows only seqs, bytes and files:
//
//	l, recs, err := wal.Open(dir, opts) // recs: every valid record, in seq order
//	// ... the caller applies recs ...
//	err = l.Start(last)                 // every old segment becomes a spare
//	first, err := l.Write(entries)      // one group: one pwrite
//	err = l.Sync()                      // one fdatasync for the group
//	err = l.Checkpoint(applied, syncStore)
//	// ... at the next Open, l.Checkpointed(): re-apply every record after it
//
// Write and Sync are called by one goroutine (the caller's group commit);
// Checkpoint may run on another. A background goroutine zero-fills the next
// segment ahead of need, so a rotation renames a ready file.
//
// wal imports nothing of relayd's.
package wal
