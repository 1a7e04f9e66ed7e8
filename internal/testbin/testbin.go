// Package testbin builds the project's binaries and runs them as real processes on loopback
// for integration tests: the exporter and the simulator, with their output captured so that
// tests can search it (for the API key, say).
package testbin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/listenaddr"
)

// Build compiles cmd/<name> for each name into a temporary directory and returns the paths in
// the same order.
func Build(t testing.TB, names ...string) []string {
	t.Helper()
	root := ModuleRoot(t)
	dir := t.TempDir()
	var paths []string
	for _, name := range names {
		out := filepath.Join(dir, name)
		cmd := exec.Command("go", "build", "-o", out, "./cmd/"+name)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build ./cmd/%s: %v\n%s", name, err, b)
		}
		paths = append(paths, out)
	}
	return paths
}

// ModuleRoot is the directory holding go.mod.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// syncBuffer is a bytes.Buffer safe for the process's writes and the test's reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Proc is a running binary.
type Proc struct {
	Name string
	// Addr is the address a server started with StartServer listens on, e.g. 127.0.0.1:41234.
	Addr   string
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
	done   chan struct{}
	err    error
}

// Start runs bin with args and extra environment variables; the process is stopped when the
// test ends.
func Start(t testing.TB, bin string, args []string, env ...string) *Proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	return StartCmd(t, cmd)
}

// StartCmd runs cmd like Start, for what Start cannot set (ExtraFiles, say); its Stdout and
// Stderr are replaced by the captured output.
func StartCmd(t testing.TB, cmd *exec.Cmd) *Proc {
	t.Helper()
	p := &Proc{Name: filepath.Base(cmd.Path), cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.Stop() })
	return p
}

// StartServer runs the exporter or the simulator (bin) like Start, listening on 127.0.0.1:0,
// and returns once the process has bound: it reads the address back from the file the binary
// writes with --web.listen-address-file, so the port is one the kernel handed out at bind time
// and no other process can take it first. args must not set --web.listen-address.
func StartServer(t testing.TB, bin string, args []string, env ...string) *Proc {
	t.Helper()
	for _, a := range args {
		if a == "--web.listen-address" || strings.HasPrefix(a, "--web.listen-address=") {
			t.Fatalf("StartServer chooses the listen address itself; drop %q from the arguments", a)
		}
	}
	addrFile := filepath.Join(t.TempDir(), "listen-address")
	p := Start(t, bin, append([]string{"--web.listen-address=127.0.0.1:0", "--web.listen-address-file=" + addrFile}, args...), env...)
	addrs, err := listenaddr.Wait(addrFile, 15*time.Second, p.Exited)
	if err != nil {
		o, e := p.Output()
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", p.Name, err, o, e)
	}
	if len(addrs) != 1 {
		t.Fatalf("%s listens on %v, want one address", p.Name, addrs)
	}
	p.Addr = addrs[0]
	return p
}

// URL is "http://" and the address of a server started with StartServer.
func (p *Proc) URL() string { return "http://" + p.Addr }

// Run runs bin to completion (at most timeout) and returns its exit code and output.
func Run(t testing.TB, timeout time.Duration, bin string, args []string, env ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %v did not finish within %s\nstdout:\n%s\nstderr:\n%s", bin, args, timeout, o.String(), e.String())
	}
	if exitErr, ok := err.(*exec.ExitError); ok {
		return exitErr.ExitCode(), o.String(), e.String()
	} else if err != nil {
		t.Fatalf("run %s: %v", bin, err)
	}
	return 0, o.String(), e.String()
}

// Output returns what the process wrote so far.
func (p *Proc) Output() (stdout, stderr string) { return p.stdout.String(), p.stderr.String() }

// Stop sends SIGTERM, waits up to 5 s, then kills. It returns the process's exit error.
func (p *Proc) Stop() error {
	select {
	case <-p.done:
		return p.err
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	return p.err
}

// Wait waits at most d for the process to end on its own and reports whether it did; its
// exit error is then what Stop returns.
func (p *Proc) Wait(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}

// Signal sends sig to the process (SIGHUP for a reload, say).
func (p *Proc) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// PID is the process's ID (for a command that signals it, as systemd's $MAINPID).
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// WaitHTTP polls url until it answers 200 or timeout passes; it fails the test with the
// process's output if the process died or never answered.
func (p *Proc) WaitHTTP(t testing.TB, url string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		if p.Exited() {
			break
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	o, e := p.Output()
	t.Fatalf("%s did not answer %s within %s (exited: %v)\nstdout:\n%s\nstderr:\n%s", p.Name, url, timeout, p.Exited(), o, e)
}

// Get fetches url and returns the status and body.
func Get(t testing.TB, url string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// WriteKeyFile writes key to a 0600 file in a temporary directory and returns its path.
func WriteKeyFile(t testing.TB, key string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "api-key")
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// String describes the process for messages.
func (p *Proc) String() string { return fmt.Sprintf("%s (pid %d)", p.Name, p.cmd.Process.Pid) }

// Lines returns the lines of s that start with prefix, to show the relevant part of an
// exposition or a log in a failure message.
func Lines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// SetFaults replaces the simulator's injected faults (PUT /_sim/faults) with faults, each
// in the --fault syntax; none clears them.
func SetFaults(simulatorURL string, faults ...string) error {
	if faults == nil {
		faults = []string{} // JSON [], not null
	}
	body, err := json.Marshal(faults)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPut, simulatorURL+"/_sim/faults", bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("PUT /_sim/faults: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("PUT /_sim/faults %v: %s: %s", faults, resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}
