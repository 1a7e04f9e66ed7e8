//go:build !unix

package config

import "testing"

// mkfifo: no named pipes here; the case reads a path that does not exist instead.
func mkfifo(t *testing.T, dir string) string {
	t.Helper()
	t.Skip("named pipes are a Unix matter")
	return ""
}
