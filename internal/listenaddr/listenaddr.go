// Package listenaddr tells whoever started a server which address it bound. Started on port 0,
// a server gets a free port from the kernel at bind time, so no other process can take that
// port between a check and the bind; the server then writes the bound address to a file named
// on its command line (--web.listen-address-file), and the caller waits for that file.
package listenaddr

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Write replaces the content of path with addrs, one per line. It writes a temporary file in
// the same directory and renames it over path, so that a reader sees the whole list or nothing.
func Write(path string, addrs ...string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing the listen address file: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	_, err = tmp.WriteString(strings.Join(addrs, "\n") + "\n")
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("writing the listen address file: %w", err)
	}
	return nil
}

// Reporter keeps the file at path listing every address added so far: a server with several
// listeners adds each one as it starts serving on it, from any goroutine.
type Reporter struct {
	path  string
	mu    sync.Mutex
	addrs []string
}

// NewReporter returns a Reporter writing to path.
func NewReporter(path string) *Reporter { return &Reporter{path: path} }

// Add appends addr to the list and rewrites the file.
func (r *Reporter) Add(addr string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addrs = append(r.addrs, addr)
	return Write(r.path, r.addrs...)
}

// ErrExited is returned by Wait when the process ended before it wrote the file.
var ErrExited = errors.New("the process exited before it reported its listen address")

// Wait polls path until it lists at least one address and returns the addresses. It gives up
// after timeout, or at once when exited (if not nil) reports that the process has ended. The
// file must not exist before the process starts (use a fresh directory): a stale one would be
// read as the answer.
func Wait(path string, timeout time.Duration, exited func() bool) ([]string, error) {
	deadline := time.Now().Add(timeout)
	for {
		// Asked before the read: a process that wrote the file and then ended still counts.
		ended := exited != nil && exited()
		b, err := os.ReadFile(path)
		if err == nil {
			if addrs := strings.Fields(string(b)); len(addrs) > 0 {
				return addrs, nil
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("reading the listen address file: %w", err)
		}
		if ended {
			return nil, ErrExited
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no listen address in %s after %s", path, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
