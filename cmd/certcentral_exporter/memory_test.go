package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/testbin"
)

// maxPeakRSS is the exporter's memory bound: its peak resident memory (VmHWM) under any of the
// hostile answers below must stay under it. It is the figure of the large-account benchmark.
const maxPeakRSS = 256 << 20

// killRSS stops a run whose resident memory passes it, so that a regression (the old code
// reached gigabytes in seconds) fails the test instead of the machine.
const killRSS = 512 << 20

// rssWatch is a running process's resident memory, read from /proc.
type rssWatch struct {
	p            *testbin.Proc
	killedForRSS atomic.Bool
	peak         atomic.Int64 // VmHWM in bytes, as last read
}

// watchRSS reads p's VmHWM and VmRSS every 10 ms until it ends, and kills it past killRSS.
func watchRSS(p *testbin.Proc) *rssWatch {
	w := &rssWatch{p: p}
	go func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for range tick.C {
			if p.Exited() {
				return
			}
			hwm, rss, ok := procMemory(p.PID())
			if !ok {
				continue
			}
			w.peak.Store(hwm)
			if rss > killRSS {
				w.killedForRSS.Store(true)
				_ = p.Signal(os.Kill)
				return
			}
		}
	}()
	return w
}

var memLine = regexp.MustCompile(`(?m)^(VmHWM|VmRSS):\s+(\d+) kB$`)

// procMemory reads a process's peak and current resident memory, in bytes.
func procMemory(pid int) (hwm, rss int64, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, false
	}
	for _, m := range memLine.FindAllSubmatch(b, -1) {
		kb, _ := strconv.ParseInt(string(m[2]), 10, 64)
		if string(m[1]) == "VmHWM" {
			hwm = kb << 10
		} else {
			rss = kb << 10
		}
	}
	return hwm, rss, hwm > 0
}

// assertPeak reads VmHWM now (the process should still run; else the last value read) and
// fails the test past maxPeakRSS.
func (w *rssWatch) assertPeak(t *testing.T, what string) int64 {
	t.Helper()
	if w.killedForRSS.Load() {
		t.Fatalf("%s: the exporter passed %d MiB resident and was killed", what, killRSS>>20)
	}
	hwm, _, ok := procMemory(w.p.PID())
	if !ok {
		hwm = w.peak.Load()
	}
	if hwm >= maxPeakRSS {
		t.Errorf("%s: peak resident memory %d MiB, want under %d MiB", what, hwm>>20, maxPeakRSS>>20)
	}
	t.Logf("%s: peak resident memory %.1f MiB", what, float64(hwm)/(1<<20))
	return hwm
}

// assertShortLines fails on an output line longer than a few kilobytes.
func assertShortLines(t *testing.T, what, out string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if len(line) > 8<<10 {
			t.Errorf("%s: a line of %d bytes: %.200s...", what, len(line), line)
		}
	}
}

// TestHostileAnswersKeepMemoryBounded runs the real exporter against the simulator's hostile
// fault modes, one fresh process each, and reads its peak resident memory (VmHWM): it must stay
// under 256 MiB while the affected collector fails alone, with its reason, and the others
// succeed. Before the fixes these runs reached 5.9 GB (a billion items announced), 5.7 GB (a
// million empty objects), 2.9 GB (a stream of small items) and 618 MB (250 SANs per order).
func TestHostileAnswersKeepMemoryBounded(t *testing.T) {
	bins := testbin.Build(t, "certcentral_exporter", "certcentral-simulator")
	keyFile := testbin.WriteKeyFile(t, knownKey)
	sim := testbin.StartServer(t, bins[1], []string{"--api-key-file=" + keyFile, "--no-rate-limit",
		// 25,000 orders: about 9,700 of them are unexpired issued certificates, the ones whose
		// names the domain join keeps, as in the 10,000 certificates of the issue.
		"--users=1500", "--domains=2500", "--orders=25000", "--seed=7"})
	simURL := sim.URL()
	sim.WaitHTTP(t, simURL+"/_sim/stats", 20*time.Second)

	for _, tc := range []struct {
		name     string
		faults   []string
		affected string // the collector that must fail; "" = none
		reason   string
	}{
		{"item 1: a billion items announced, one per page", []string{"/user=total:1000000000", "/user=pagelimit:1"}, "users", "too_many_items"},
		{"item 2: a million empty objects", []string{"/user=emptyitems:1000000"}, "users", "too_many_items"},
		{"item 2: a chunked stream of small items", []string{"/domain=smallitems:50000000"}, "domains", "too_many_items"},
		{"item 3: 10,000 certificates with 250 SANs each", []string{"/order/certificate=sans:250"}, "", ""},
		{"item 6: one user per page", []string{"/user=pagelimit:1"}, "users", "budget_exhausted"},
		{"item 6: a total that keeps growing", []string{"/user=growing", "/user=pagelimit:100"}, "users", "inconsistent_pagination"},
		{"item 7: every offset answers the first page", []string{"/domain=repeat"}, "domains", "inconsistent_pagination"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := testbin.SetFaults(simURL, tc.faults...); err != nil {
				t.Fatal(err)
			}
			exp := testbin.StartServer(t, bins[0], []string{"--certcentral.url=" + simURL + "/services/v2", "--certcentral.api-key-file=" + keyFile,
				"--certcentral.collection-timeout=40s", "--certcentral.request-timeout=30s"})
			w := watchRSS(exp)
			req, _ := http.NewRequest(http.MethodGet, exp.URL()+"/metrics", nil)
			req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "45")
			resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
			if err != nil {
				w.assertPeak(t, "scrape")
				_, stderr := exp.Output()
				t.Fatalf("scrape: %v\n%s", err, stderr)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			w.assertPeak(t, tc.name)
			text := string(body)
			for _, d := range []string{"account", "balance", "domains", "orders", "organizations", "products", "requests", "users"} {
				want := fmt.Sprintf(`certcentral_collector_success{account="default",collector=%q} 1`, d)
				if d == tc.affected {
					want = fmt.Sprintf(`certcentral_collector_error{account="default",collector=%q,reason=%q} 1`, d, tc.reason)
				}
				if !strings.Contains(text, want) {
					t.Errorf("missing %s:\n%s", want, testbin.Lines(text, "certcentral_collector_success"))
				}
			}
			if !strings.Contains(text, "\ncertcentral_up{account=\"default\"} 1\n") {
				t.Error("certcentral_up is not 1: one collector's fault reached the others")
			}
			if g := sample(t, text, "go_goroutines"); g != "" {
				if n, _ := strconv.Atoi(g); n > 100 {
					t.Errorf("%d goroutines after the scrape", n)
				}
			}
			_ = exp.Stop()
			_, stderr := exp.Output()
			assertShortLines(t, "the exporter's log", stderr)
		})
	}
	_ = testbin.SetFaults(simURL)

	t.Run("item 4: thousands of idle connections", func(t *testing.T) {
		exp := testbin.StartServer(t, bins[0], []string{"--certcentral.url=" + simURL + "/services/v2", "--certcentral.api-key-file=" + keyFile})
		w := watchRSS(exp)
		conns := openIdleConnections(t, exp.Addr, 3000)
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		if n := openSockets(t, exp.PID()); n > maxConnections+32 {
			t.Errorf("the exporter holds %d sockets after 3000 idle keep-alive connections, want at most about %d", n, maxConnections)
		}
		if code, _ := testbin.Get(t, exp.URL()+"/metrics"); code != 200 {
			t.Errorf("/metrics answered %d while idle connections were held", code)
		}
		w.assertPeak(t, "3000 idle connections")
	})

	t.Run("item 5: a key file that never ends or blocks", func(t *testing.T) {
		fifo := filepath.Join(t.TempDir(), "key-pipe")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, file := range []string{"/dev/zero", fifo} {
			for _, args := range [][]string{{"check"}, {"serve", "--web.listen-address=127.0.0.1:0"}} {
				exp := testbin.Start(t, bins[0], append(args, "--certcentral.url="+simURL+"/services/v2", "--certcentral.api-key-file="+file))
				w := watchRSS(exp)
				if !exp.Wait(10 * time.Second) {
					w.assertPeak(t, file)
					t.Fatalf("%v with the key file %s has not ended after 10 s", args, file)
				}
				if w.killedForRSS.Load() {
					t.Fatalf("%v with the key file %s passed %d MiB resident and was killed", args, file, killRSS>>20)
				}
				err := exp.Stop()
				stdout, stderr := exp.Output()
				var exitErr *exec.ExitError
				if !errors.As(err, &exitErr) || !strings.Contains(stdout+stderr, "not a regular file") {
					t.Errorf("%v with the key file %s: %v, want a failure saying it is not a regular file:\n%s%s", args, file, err, stdout, stderr)
					continue
				}
				// The process usually ends before the 10 ms sampler reads /proc even once, so
				// the peak is the kernel's for the whole run, taken when it was reaped
				// (ru_maxrss, in KiB on Linux).
				ru, ok := exitErr.SysUsage().(*syscall.Rusage)
				if !ok || ru.Maxrss <= 0 {
					t.Fatalf("%v with the key file %s: no peak resident memory for the ended process (%v)", args, file, exitErr.SysUsage())
				}
				hwm := ru.Maxrss << 10
				if hwm >= maxPeakRSS {
					t.Errorf("%v with the key file %s: peak resident memory %d MiB, want under %d MiB", args, file, hwm>>20, maxPeakRSS>>20)
				}
				t.Logf("%v with the key file %s: peak resident memory %.1f MiB", args, file, float64(hwm)/(1<<20))
			}
		}
	})
}

// openIdleConnections opens n keep-alive connections to addr, sends one request on each and
// reads its answer, then leaves them idle. Connections the server closes are not counted.
func openIdleConnections(t *testing.T, addr string, n int) []net.Conn {
	t.Helper()
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
		work  = make(chan struct{}, n)
	)
	for range n {
		work <- struct{}{}
	}
	close(work)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				c, err := net.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					continue
				}
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				fmt.Fprintf(c, "GET /-/healthy HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return conns
}

// openSockets counts the sockets among a process's open files.
func openSockets(t *testing.T, pid int) int {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if target, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && strings.HasPrefix(target, "socket:") {
			n++
		}
	}
	return n
}
