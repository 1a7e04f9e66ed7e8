//go:build unix

package config

import (
	"path/filepath"
	"syscall"
	"testing"
)

// specialFile is a path that is not a regular file, and the words naming its type.
type specialFile struct{ name, path, kind string }

// specialFiles returns files a reader must refuse without reading or waiting: /dev/zero,
// which reports a size of 0 and never ends, and a named pipe in dir that no one writes to,
// whose open(2) blocks unless it is opened without blocking.
func specialFiles(t *testing.T, dir string) []specialFile {
	t.Helper()
	p := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatalf("cannot make a named pipe: %v", err)
	}
	return []specialFile{
		{"endless device", "/dev/zero", "a character device"},
		{"named pipe", p, "a named pipe"},
	}
}
