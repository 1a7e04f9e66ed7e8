//go:build !unix

package config

import (
	"io/fs"
	"os"
)

// ownedByCaller cannot tell owners apart here: assume the exporter owns the file, so that a
// group-readable key file still warns.
func ownedByCaller(fs.FileInfo) bool { return true }

// openNonBlocking opens name for reading; named pipes that block are a Unix matter.
func openNonBlocking(name string) (*os.File, error) { return os.Open(name) }
