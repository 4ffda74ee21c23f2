//go:build unix

package queue

import (
	"io/fs"
	"syscall"
)

// allocated is the space a file takes on disk (sparse files count only
// their written blocks).
func allocated(info fs.FileInfo) int64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return int64(st.Blocks) * 512
	}
	return info.Size()
}

// freeSpace returns the bytes an unprivileged writer may still use on the
// filesystem holding dir.
func freeSpace(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
