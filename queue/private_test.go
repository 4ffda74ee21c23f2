package queue

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// With a umask of 0, and over a store an older relayd left 0755 / 0644,
// Open leaves every directory 0700 and every file 0600.
func TestOpenMakesStorePrivate(t *testing.T) {
	old := syscall.Umask(0)
	t.Cleanup(func() { syscall.Umask(old) })
	dir := filepath.Join(t.TempDir(), "store")
	s, err := Open(Options{Dir: dir, Retention: 0})
	if err != nil {
		t.Fatal(err)
	}
	enqueue(t, s, msg("r", "d"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// As an older relayd would have left it.
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if d.IsDir() {
			return os.Chmod(p, 0o755)
		}
		return os.Chmod(p, 0o644)
	})
	s = openTest(t, dir, nil)
	if _, _, err := s.Enqueue(context.Background(), msg("r", "d")); err != nil {
		t.Fatal(err)
	}
	files := 0
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		info, _ := d.Info()
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		} else {
			files++
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, info.Mode().Perm(), want)
		}
		return nil
	})
	if files == 0 {
		t.Fatal("no files in the store")
	}
}
