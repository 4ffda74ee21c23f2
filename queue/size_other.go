//go:build !unix

package queue

import "io/fs"

// allocated is the file's apparent size where blocks are not known.
func allocated(info fs.FileInfo) int64 { return info.Size() }
