// Command soak drives a soak run of the exporter (started by scripts/soak.sh): scrapers hit
// /metrics every second while the simulator's faults change, the exporter's goroutines and
// memory are sampled from the scrapes, and at the end the run is judged: no failed scrape, no
// scrape past Prometheus's scrape timeout, zero writes seen by the simulator, and goroutines and
// memory flat. Flat is judged between two quiet windows, one before the faults start and one
// after they stop: what the fault period leaked is still held afterwards, while what it merely
// had in flight (a hung request, an oversized body being read up to its cap) is not.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/testbin"
)

type sample struct {
	at                    time.Duration // since start
	goroutines, rss, heap float64
	live                  float64 // go_gc_heap_live_bytes: heap marked live by the last GC
}

type scrapeResult struct {
	at       time.Duration
	took     time.Duration
	err      string // transport error or non-200 status; "" when served
	failures int    // collectors with certcentral_collector_success 0
}

func main() {
	exporter := flag.String("exporter", "", "exporter base URL, e.g. http://127.0.0.1:10027")
	simulator := flag.String("simulator", "", "simulator base URL, e.g. http://127.0.0.1:10028")
	duration := flag.Duration("duration", 10*time.Minute, "how long to soak")
	scrapers := flag.Int("scrapers", 2, "concurrent scrapers")
	interval := flag.Duration("interval", time.Second, "time between one scraper's scrapes")
	scrapeTimeout := flag.Duration("scrape-timeout", 5*time.Second, "scrape timeout sent in X-Prometheus-Scrape-Timeout-Seconds")
	faultPeriod := flag.Duration("fault-period", 15*time.Second, "how often the faults change")
	seed := flag.Uint64("seed", uint64(time.Now().UnixNano()), "random seed for the faults")
	flag.Parse()
	if *exporter == "" || *simulator == "" {
		fmt.Fprintln(os.Stderr, "usage: soak -exporter URL -simulator URL [-duration 10m]")
		os.Exit(2)
	}
	// The fault period must span several fault changes, and the quiet windows must hold
	// enough samples and a garbage collection or two, which a shorter run cannot give.
	if *duration < time.Minute {
		fmt.Fprintln(os.Stderr, "soak: -duration must be at least 1m: a shorter run cannot tell flat from growing")
		os.Exit(2)
	}
	quiet := quietWindow(*duration)
	fmt.Printf("soak: %d scrapers every %s; %s quiet, %s of faults changing every %s (seed %d), %s quiet\n",
		*scrapers, *interval, quiet, *duration, *faultPeriod, *seed, quiet)

	start := time.Now()
	var (
		mu      sync.Mutex
		samples []sample
		results []scrapeResult
	)
	client := &http.Client{Timeout: *scrapeTimeout + 5*time.Second}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < *scrapers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(*interval)
			defer tick.Stop()
			for {
				r, s := scrape(client, *exporter, *scrapeTimeout)
				r.at, s.at = time.Since(start), time.Since(start)
				mu.Lock()
				results = append(results, r)
				if i == 0 && r.err == "" { // one scraper's view is enough for the samples
					samples = append(samples, s)
				}
				mu.Unlock()
				select {
				case <-stop:
					return
				case <-tick.C:
				}
			}
		}()
	}

	setFaults(*simulator, nil)
	time.Sleep(quiet) // warm-up and baseline
	rng := rand.New(rand.NewPCG(*seed, 1))
	faultTick := time.NewTicker(*faultPeriod)
	end := time.After(*duration)
	setFaults(*simulator, randomFaults(rng))
loop:
	for {
		select {
		case <-end:
			break loop
		case <-faultTick.C:
			setFaults(*simulator, randomFaults(rng))
		}
	}
	faultTick.Stop()
	setFaults(*simulator, nil)
	time.Sleep(quiet) // recovery and the final measurement
	close(stop)
	wg.Wait()

	ok := report(samples, results, phases{quiet: quiet, faults: *duration}, *scrapeTimeout)
	ok = simulatorClean(*simulator) && ok
	if resp, err := http.Get(*exporter + "/-/healthy"); err != nil || resp.StatusCode != 200 {
		fmt.Println("FAIL the exporter is not healthy at the end:", err)
		ok = false
	} else {
		resp.Body.Close()
	}
	if !ok {
		fmt.Println("soak: FAIL")
		os.Exit(1)
	}
	fmt.Println("soak: PASS")
}

// scrape fetches /metrics once and reads the exporter's own process metrics from it.
func scrape(client *http.Client, base string, timeout time.Duration) (scrapeResult, sample) {
	var r scrapeResult
	var s sample
	req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64))
	began := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		r.err = err.Error()
		return r, s
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	r.took = time.Since(began)
	switch {
	case err != nil:
		r.err = err.Error()
	case resp.StatusCode != 200:
		r.err = fmt.Sprintf("HTTP %d: %.100s", resp.StatusCode, body)
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		name, value, found := strings.Cut(line, " ")
		if !found || strings.HasPrefix(line, "#") {
			continue
		}
		v, _ := strconv.ParseFloat(value, 64)
		switch {
		case name == "go_goroutines":
			s.goroutines = v
		case name == "process_resident_memory_bytes":
			s.rss = v
		case name == "go_memstats_heap_inuse_bytes":
			s.heap = v
		case name == "go_gc_heap_live_bytes":
			s.live = v
		case strings.HasPrefix(name, "certcentral_collector_success{") && v == 0:
			r.failures++
		}
	}
	return r, s
}

// randomFaults picks every fault kind, each on a random endpoint (or all) with a random
// probability, so that over a period every kind fires somewhere.
func randomFaults(rng *rand.Rand) []string {
	endpoints := []string{"*", "/user", "/domain", "/order/certificate", "/product", "/finance/balance", "/account"}
	pick := func(options ...string) string { return options[rng.IntN(len(options))] }
	kinds := []string{
		pick("status:500", "status:502", "status:503", "status:429", "status:403"),
		pick("latency:200ms", "latency:1s", "latency:3s", "latency:12s"),
		"hang",
		"truncated",
		"malformed",
		pick("html", "html:200", "html:403"),
		"oversized:40MB",
		"reset",
		// Hostile answers (issue 11): each must stay in its collector, its memory bounded.
		pick("total:1000000000", "pagelimit:1", "growing", "repeat", "emptypages"),
		pick("emptyitems:1000000", "smallitems:5000000"),
		pick("sans:250", "badvalues", "logindates"),
		pick("badheader", "echokey", "echokey:html"),
	}
	var out []string
	for _, k := range kinds {
		ep := pick(endpoints...)
		p := 0.02 + rng.Float64()*0.2
		switch {
		case k == "oversized:40MB":
			// Reading a runaway body up to its cap is the largest memory peak the exporter
			// can have: make it happen in every minute.
			ep, p = pick(endpoints[1:]...), 0.1+rng.Float64()*0.2
		case ep == "*" || k == "hang":
			p /= 4 // every endpoint at once, or a slow fault: rarer
		}
		out = append(out, fmt.Sprintf("%s=%s@%.3f", ep, k, p))
	}
	return out
}

func setFaults(base string, faults []string) {
	if err := testbin.SetFaults(base, faults...); err != nil {
		fmt.Fprintln(os.Stderr, "soak: cannot set faults:", err)
	}
}

func mean(samples []sample, from, to time.Duration, get func(sample) float64) (float64, int) {
	sum, n := 0.0, 0
	for _, s := range samples {
		if s.at >= from && s.at < to {
			sum += get(s)
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return sum / float64(n), n
}

// phases of a run: a quiet window (warm-up, then the baseline in its second half), the fault
// period, and a quiet window again (recovery, then the final measurement in its second half).
type phases struct {
	quiet, faults time.Duration
}

func (p phases) baseline() (time.Duration, time.Duration) { return p.quiet / 2, p.quiet }
func (p phases) final() (time.Duration, time.Duration) {
	end := 2*p.quiet + p.faults
	return end - p.quiet/2, end
}

// quietWindow is a minute for long runs and never under 30 s, so that its second half holds
// a dozen samples and the garbage collections that free what the faults had in flight.
func quietWindow(faults time.Duration) time.Duration {
	return min(time.Minute, max(30*time.Second, faults/5))
}

// Flatness criteria: the final measurement may exceed the baseline by at most ratio, plus
// slack (for goroutines, the few one in-flight collection holds). Goroutines and resident
// memory compare averages. The Go heap compares minimums of the live heap the last garbage
// collection marked (go_gc_heap_live_bytes): a leak raises that floor, while neither the
// sawtooth between collections nor garbage waiting for the next one does.
type criterion struct {
	name  string
	get   func(sample) float64
	floor bool // compare minimums instead of averages
	unit  float64
	ratio float64
	slack float64
}

func criteria() []criterion {
	return []criterion{
		{"goroutines", func(s sample) float64 { return s.goroutines }, false, 1, 1.25, 10},
		{"resident memory (MiB)", func(s sample) float64 { return s.rss }, false, 1 << 20, 1.25, 16},
		{"live heap after GC (MiB)", func(s sample) float64 { return s.live }, true, 1 << 20, 1.25, 8},
	}
}

// maxPeakRSS bounds resident memory at any moment of the run, faults included: the body and
// value caps must keep runaway answers well inside it. It is the target for reading
// the largest account, and below the Kubernetes example's 384Mi limit.
const maxPeakRSS = 256 << 20

func maximum(samples []sample, get func(sample) float64) float64 {
	hi := 0.0
	for _, s := range samples {
		hi = max(hi, get(s))
	}
	return hi
}

func minimum(samples []sample, from, to time.Duration, get func(sample) float64) (float64, int) {
	lo, n := 0.0, 0
	for _, s := range samples {
		if s.at >= from && s.at < to {
			if n == 0 || get(s) < lo {
				lo = get(s)
			}
			n++
		}
	}
	return lo, n
}

func report(samples []sample, results []scrapeResult, p phases, timeout time.Duration) bool {
	ok := true
	criteria := criteria()
	// One row per window: the quiet ones, then the fault period in steps of at most a minute.
	type row struct {
		label    string
		from, to time.Duration
	}
	rows := []row{{"quiet", 0, p.quiet}}
	step := min(time.Minute, p.faults/5)
	for from := p.quiet; from < p.quiet+p.faults; from += step {
		rows = append(rows, row{"faults", from, min(from+step, p.quiet+p.faults)})
	}
	rows = append(rows, row{"quiet", p.quiet + p.faults, 2*p.quiet + p.faults})
	fmt.Printf("\n%-7s %-8s %8s %10s %10s %10s %10s %10s %12s\n", "phase", "from", "scrapes", "goroutines", "RSS MiB", "RSS min", "in use MiB", "live min", "failing/scr")
	for _, w := range rows {
		g, _ := mean(samples, w.from, w.to, criteria[0].get)
		rss, _ := mean(samples, w.from, w.to, criteria[1].get)
		rssMin, _ := minimum(samples, w.from, w.to, criteria[1].get)
		heap, _ := mean(samples, w.from, w.to, func(s sample) float64 { return s.heap })
		liveMin, _ := minimum(samples, w.from, w.to, criteria[2].get)
		scrapes, failing := 0, 0
		for _, r := range results {
			if r.at >= w.from && r.at < w.to {
				scrapes++
				failing += r.failures
			}
		}
		fmt.Printf("%-7s %-8s %8d %10.1f %10.1f %10.1f %10.1f %10.1f %12.2f\n", w.label, w.from.Round(time.Second), scrapes, g,
			rss/(1<<20), rssMin/(1<<20), heap/(1<<20), liveMin/(1<<20), float64(failing)/max(1, float64(scrapes)))
	}
	fmt.Println()

	peakRSS := maximum(samples, criteria[1].get)

	var failed, failingAtEnd, atEnd int
	var slowest time.Duration
	finalFrom, finalTo := p.final()
	for _, r := range results {
		if r.err != "" {
			failed++
			if failed <= 5 {
				fmt.Printf("scrape at %s failed: %s\n", r.at.Round(time.Second), r.err)
			}
		}
		slowest = max(slowest, r.took)
		if r.at >= finalFrom {
			atEnd++
			failingAtEnd += r.failures
		}
	}
	check := func(pass bool, format string, a ...any) {
		status := "PASS"
		if !pass {
			status, ok = "FAIL", false
		}
		fmt.Printf("%s %s\n", status, fmt.Sprintf(format, a...))
	}
	check(failed == 0, "failed scrapes: %d of %d", failed, len(results))
	// Prometheus fails a scrape that outlasts its timeout, so that is the bound; the exporter's
	// own collection deadline is the timeout minus --web.timeout-offset.
	check(slowest <= timeout, "slowest scrape %s (Prometheus scrape timeout %s)", slowest.Round(time.Millisecond), timeout)
	check(peakRSS <= maxPeakRSS, "peak resident memory %.1f MiB <= %d MiB", peakRSS/(1<<20), maxPeakRSS>>20)
	check(atEnd > 0 && failingAtEnd == 0, "recovered: %d failing collectors over the %d scrapes of the final measurement", failingAtEnd, atEnd)
	baseFrom, baseTo := p.baseline()
	for _, c := range criteria {
		agg, what := mean, "average"
		if c.floor {
			agg, what = minimum, "minimum"
		}
		base, n1 := agg(samples, baseFrom, baseTo, c.get)
		final, n2 := agg(samples, finalFrom, finalTo, c.get)
		limit := base*c.ratio + c.slack*c.unit
		check(n1 > 0 && n2 > 0 && final <= limit,
			"%s flat: final %s %.1f <= %.1f (baseline %s %.1f x %.2f + %.0f) [%d/%d samples]",
			c.name, what, final/c.unit, limit/c.unit, what, base/c.unit, c.ratio, c.slack, n1, n2)
	}
	return ok
}

// simulatorClean checks that the exporter never wrote and prints what the simulator saw.
func simulatorClean(base string) bool {
	resp, err := http.Get(base + "/_sim/stats")
	if err != nil {
		fmt.Println("FAIL cannot read the simulator's stats:", err)
		return false
	}
	defer resp.Body.Close()
	var st struct {
		Requests    map[string]int `json:"requests"`
		ByStatus    map[string]int `json:"by_status"`
		Writes      int            `json:"writes"`
		RateLimited int            `json:"rate_limited"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		fmt.Println("FAIL cannot decode the simulator's stats:", err)
		return false
	}
	fmt.Printf("simulator: requests %v, by status %v, rate limited %d\n", st.Requests, st.ByStatus, st.RateLimited)
	if st.Writes != 0 {
		fmt.Printf("FAIL the simulator saw %d writes\n", st.Writes)
		return false
	}
	fmt.Println("PASS the simulator saw 0 writes")
	return true
}
