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
