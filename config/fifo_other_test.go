//go:build !unix

package config

import "testing"

// specialFile is a path that is not a regular file, and the words naming its type.
type specialFile struct{ name, path, kind string }

// specialFiles: there is no /dev/zero and no named pipe to make here, so these rows are
// left out and the rest of each table still runs.
func specialFiles(*testing.T, string) []specialFile { return nil }
