package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/listenaddr"
	"github.com/certcentral-exporter/certcentral_exporter/internal/testbin"
)

// TestListenAddressFile: with two listeners on port 0 the exporter reports both bound
// addresses, the very ones exporter-toolkit logs and serves on.
func TestListenAddressFile(t *testing.T) {
	exporter := testbin.Build(t, "certcentral_exporter")[0]
	addrFile := filepath.Join(t.TempDir(), "addr")
	p := testbin.Start(t, exporter, []string{"--web.listen-address=127.0.0.1:0", "--web.listen-address=127.0.0.1:0",
		"--web.listen-address-file=" + addrFile, "--certcentral.url=http://" + testbin.ClosedAddr(t) + "/services/v2",
		"--certcentral.api-key-file=" + testbin.WriteKeyFile(t, knownKey)})
	var addrs []string
	for deadline := time.Now().Add(15 * time.Second); len(addrs) < 2; {
		var err error
		if addrs, err = listenaddr.Wait(addrFile, time.Until(deadline), p.Exited); err != nil {
			o, e := p.Output()
			t.Fatalf("%v (so far %v)\n%s%s", err, addrs, o, e)
		}
		if len(addrs) < 2 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if len(addrs) != 2 || addrs[0] == addrs[1] {
		t.Fatalf("reported %v, want two different addresses", addrs)
	}
	for _, a := range addrs {
		if _, port, err := net.SplitHostPort(a); err != nil || port == "0" {
			t.Errorf("reported %q, want a bound host:port", a)
		}
		if code, _ := testbin.Get(t, "http://"+a+"/-/healthy"); code != 200 {
			t.Errorf("%s/-/healthy answered %d", a, code)
		}
	}
	_, stderr := p.Output()
	var logged []string
	for _, l := range strings.Split(stderr, "\n") {
		if _, rest, ok := strings.Cut(l, `msg="Listening on" address=`); ok {
			logged = append(logged, strings.Fields(rest)[0])
		}
	}
	slices.Sort(logged)
	slices.Sort(addrs)
	if !slices.Equal(logged, addrs) {
		t.Errorf("the file lists %v, the log %v", addrs, logged)
	}
}

// TestListenAddressFileUnwritable: a file that cannot be written is logged as an error, with
// the reason, so that the caller waiting for it sees why.
func TestListenAddressFileUnwritable(t *testing.T) {
	exporter := testbin.Build(t, "certcentral_exporter")[0]
	p := testbin.Start(t, exporter, []string{"--web.listen-address=127.0.0.1:0",
		"--web.listen-address-file=" + filepath.Join(t.TempDir(), "no-such-dir", "addr"),
		"--certcentral.url=http://" + testbin.ClosedAddr(t) + "/services/v2",
		"--certcentral.api-key-file=" + testbin.WriteKeyFile(t, knownKey)})
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, stderr := p.Output()
		if strings.Contains(stderr, `level=ERROR`) && strings.Contains(stderr, `msg="cannot report the listen address"`) &&
			strings.Contains(stderr, "no such file or directory") {
			break
		}
		if time.Now().After(deadline) || p.Exited() {
			t.Fatalf("no error about the address file (exited: %v):\n%s", p.Exited(), stderr)
		}
	}
}

// TestSystemdSocket: with --web.systemd-socket the exporter serves on the socket it is handed,
// as under systemd socket activation (fd 3, LISTEN_FDS=1 and LISTEN_PID its own pid, which a
// shell sets before it execs the exporter), and binds no address of its own.
func TestSystemdSocket(t *testing.T) {
	exporter := testbin.Build(t, "certcentral_exporter")[0]
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", `LISTEN_PID=$$ exec "$0" "$@"`, exporter, "--web.systemd-socket",
		"--certcentral.url=http://"+testbin.ClosedAddr(t)+"/services/v2", "--certcentral.api-key-file="+testbin.WriteKeyFile(t, knownKey))
	cmd.ExtraFiles = []*os.File{f}
	cmd.Env = append(os.Environ(), "LISTEN_FDS=1")
	p := testbin.StartCmd(t, cmd)
	// Only the exporter's copy of the socket is left, so only it can answer.
	f.Close()
	ln.Close()
	p.WaitHTTP(t, "http://"+ln.Addr().String()+"/-/healthy", 10*time.Second)
}
