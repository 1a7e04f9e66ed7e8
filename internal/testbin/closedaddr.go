//go:build unix

package testbin

import (
	"net"
	"syscall"
	"testing"
)

// ClosedAddr returns a loopback address on which every connection is refused, for as long as
// the test runs. A socket bound to the port but never listening holds it: the kernel answers
// connections with a reset, no other process can bind the port meanwhile (the socket does not
// set SO_REUSEADDR), and the kernel does not pick it as a client's source port either (which
// could make a connection to an unused local port connect to itself).
func ClosedAddr(t testing.TB) string {
	t.Helper()
	// Close-on-exec under ForkLock, as package net does where SOCK_CLOEXEC is missing: the
	// binaries the tests start must not inherit the socket.
	syscall.ForkLock.RLock()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatalf("bind 127.0.0.1:0: %v", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatalf("getsockname: %v", err)
	}
	in4, ok := sa.(*syscall.SockaddrInet4)
	if !ok {
		t.Fatalf("getsockname returned %T", sa)
	}
	return (&net.TCPAddr{IP: net.IP(in4.Addr[:]), Port: in4.Port}).String()
}
