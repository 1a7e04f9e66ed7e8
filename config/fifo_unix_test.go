//go:build unix

package config

import (
	"path/filepath"
	"syscall"
	"testing"
)

// mkfifo makes a named pipe in dir that no one writes to.
func mkfifo(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "key-pipe")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatalf("cannot make a named pipe: %v", err)
	}
	return p
}
