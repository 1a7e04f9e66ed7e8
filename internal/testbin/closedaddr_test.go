//go:build unix

package testbin

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"
)

// TestClosedAddr: connections to the address are refused, and nobody else can listen on it
// while the test holds it.
func TestClosedAddr(t *testing.T) {
	addr := ClosedAddr(t)
	for range 3 {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err == nil {
			c.Close()
			t.Fatalf("a connection to %s succeeded", addr)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial %s: %v, want connection refused", addr, err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		ln.Close()
		t.Fatalf("another listener could bind %s", addr)
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("listen %s: %v, want address in use", addr, err)
	}
}
