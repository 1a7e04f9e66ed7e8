//go:build unix

package config

import (
	"io/fs"
	"os"
	"syscall"
)

// ownedByCaller reports whether the exporter's user owns the file.
func ownedByCaller(info fs.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return !ok || int(st.Uid) == os.Getuid()
}

// openNonBlocking opens name for reading without waiting for a writer: opening a named pipe
// with O_NONBLOCK returns at once, so that its type can be checked and refused.
func openNonBlocking(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
