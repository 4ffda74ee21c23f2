package queue

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The store holds uncensored bodies and headers: only relayd's user may
// read it. Badger creates its files 0666 minus the umask (relayd's main
// sets 0077); the directory's 0700 guards what it creates later whatever
// the umask, and Open tightens what is there (a store from an older relayd
// was 0755 / 0644).
const (
	privateDir  fs.FileMode = 0o700
	privateFile fs.FileMode = 0o600
)

// makePrivateDir creates dir 0700, or makes an existing one so.
func makePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, privateDir); err != nil {
		return fmt.Errorf("create store directory: %w", err)
	}
	if err := os.Chmod(dir, privateDir); err != nil {
		return fmt.Errorf("make store directory private: %w", err)
	}
	return nil
}

// tightenModes makes every directory under dir 0700 and every regular
// file 0600; symlinks are left alone (their mode means nothing). It runs
// after badger.Open, whose background flush of the memtables it replayed
// deletes their .mem files meanwhile: a file gone is not a problem (after
// a kill -9, test/torture saw relayd refuse to start over one).
func tightenModes(dir string) error {
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		want := privateFile
		switch {
		case d.IsDir():
			want = privateDir
		case !d.Type().IsRegular():
			return nil
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if info.Mode().Perm() == want {
			return nil
		}
		if err := os.Chmod(path, want); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("make store files private: %w", err)
	}
	return nil
}
