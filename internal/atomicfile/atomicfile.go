// Package atomicfile writes files so that a reader never sees half of one
// and a crash never leaves one: a temporary file in the same directory,
// synced, then renamed over the target.
package atomicfile

import (
	"io"
	"os"
	"path/filepath"
)

// WriteFile writes data to path with the given permissions, atomically.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return WriteFunc(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFunc creates path with the given permissions from what write
// writes, atomically: if write fails, nothing is left and an existing file
// at path is untouched.
func WriteFunc(path string, perm os.FileMode, write func(w io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
