package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
)

// checkpointFile holds the seq of the last checkpoint: every record up to
// it is durable in the caller's store, synced outside whatever the store
// claims of itself. A store can keep a key and lose the value written with
// it (a power cut between checkpoints: dgraph-io/badger#1954), so what it
// says it has applied is not proof; this file is.
const checkpointFile = "checkpoint"

// checkpointLen: the seq, then its crc32c, so a torn write reads as none.
const checkpointLen = 12

// readCheckpoint returns the seq in dir's checkpoint file; 0 when there is
// none or it is unreadable (the caller then re-applies every record kept).
func readCheckpoint(dir string) uint64 {
	b, err := os.ReadFile(filepath.Join(dir, checkpointFile))
	if err != nil || len(b) != checkpointLen {
		return 0
	}
	seq := binary.LittleEndian.Uint64(b)
	if crc32.Checksum(b[:8], castagnoli) != binary.LittleEndian.Uint32(b[8:]) {
		return 0
	}
	return seq
}

// Checkpointed is the seq of the last checkpoint recorded when Open read
// the log: every record after it must be applied again, whatever the
// caller's store claims (0 = none recorded: apply them all).
func (l *Log) Checkpointed() uint64 { return l.checkpointed }

// MarkCheckpoint records that every record up to seq is durable in the
// caller's store (it has synced it). Checkpoint and Start call it; the
// caller calls it at a clean close.
func (l *Log) MarkCheckpoint(seq uint64) error {
	var b [checkpointLen]byte
	binary.LittleEndian.PutUint64(b[:], seq)
	binary.LittleEndian.PutUint32(b[8:], crc32.Checksum(b[:8], castagnoli))
	path := filepath.Join(l.dir, checkpointFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("record journal checkpoint: %w", err)
	}
	_, err = f.WriteAt(b[:], 0)
	if err == nil && l.opts.Sync {
		err = fdatasync(f)
	}
	err = errors.Join(err, f.Close())
	if err != nil {
		return fmt.Errorf("record journal checkpoint %s: %w", path, err)
	}
	return nil
}
