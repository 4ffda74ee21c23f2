package wal

import (
	"os"
	"syscall"
)

// fdatasync writes f's data (and the metadata needed to read it back), as
// msync(MS_SYNC) of Badger's mappings does.
func fdatasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
