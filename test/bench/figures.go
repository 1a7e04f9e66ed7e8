package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/collector"
)

// decoding runs the Go benchmark of decoding one page of 1,000 orders (goal 3).
func (b *bench) decoding() {
	out, err := exec.Command("go", "test", "-run", "^$", "-bench", "^BenchmarkDecodeOrdersPage$", "-benchmem", "-count", "3",
		"./internal/certcentral").CombinedOutput()
	if err != nil {
		fail("decoding benchmark: %v\n%s", err, out)
	}
	var speeds []float64
	var line string
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) < 9 || !strings.HasPrefix(f[0], "BenchmarkDecodeOrdersPage") {
			continue
		}
		v, _ := strconv.ParseFloat(f[4], 64)
		speeds = append(speeds, v)
		if len(speeds) == 1 {
			line = fmt.Sprintf("%s B/op, %s allocs/op", f[6], f[8])
		}
	}
	if len(speeds) == 0 {
		fail("decoding benchmark printed no result:\n%s", out)
	}
	slices.Sort(speeds)
	median := speeds[len(speeds)/2]
	fmt.Printf("goal 3. decoding a page of 1,000 orders (go test -bench, median of %d): %.0f MB/s, %s: target >= 150 MB/s: %s\n\n",
		len(speeds), median, line, verdict(median >= 150))
}

var (
	requestsRE = regexp.MustCompile(`^certcentral_collector_api_requests\{[^}]*collector="([a-z_]+)"[^}]*\} (\S+)$`)
	intervalRE = regexp.MustCompile(`^certcentral_collector_refresh_interval_seconds\{[^}]*collector="([a-z_]+)"[^}]*\} (\S+)$`)
)

// requestsPerHour is goal 4: the API requests an hour costs at the collectors' refresh
// intervals (as the exporter reports them) and the requests of one full read each
// (as the cold collection made them), with the orders check between full reads; beside it,
// one full read per scrape of two Prometheus replicas every 15 s.
func requestsPerHour(body string, fullRead int) string {
	requests, intervals := map[string]float64{}, map[string]float64{}
	for _, l := range strings.Split(body, "\n") {
		if m := requestsRE.FindStringSubmatch(l); m != nil {
			requests[m[1]], _ = strconv.ParseFloat(m[2], 64)
		}
		if m := intervalRE.FindStringSubmatch(l); m != nil {
			intervals[m[1]], _ = strconv.ParseFloat(m[2], 64)
		}
	}
	perHour := 0.0
	for c, n := range requests {
		if iv := intervals[c]; iv > 0 {
			perHour += n * 3600 / iv
			if def, ok := collector.Lookup(c); ok && def.CheckEvery > 0 && def.CheckEvery.Seconds() < iv {
				perHour += 3600/def.CheckEvery.Seconds() - 3600/iv // a check each interval, but not at a full read
			}
		}
	}
	perScrape := float64(fullRead) * 2 * 3600 / 15
	return fmt.Sprintf("goal 4. API requests per hour with two Prometheus replicas scraping every 15 s: %.0f at the collectors' intervals (%s); one full read per scrape would cost %.0f: target below: %s",
		perHour, intervalSummary(intervals), perScrape, verdict(perHour < perScrape))
}

func intervalSummary(intervals map[string]float64) string {
	var parts []string
	for _, c := range slices.Sorted(func(yield func(string) bool) {
		for c := range intervals {
			if !yield(c) {
				return
			}
		}
	}) {
		parts = append(parts, fmt.Sprintf("%s %s", c, time.Duration(intervals[c]*float64(time.Second))))
	}
	return strings.Join(parts, ", ")
}

// sideBySide is goal 6: vareversat/digicert_exporter's approach, one unfiltered
// GET /order/certificate (one page) per scrape, modelled here, against ours with only the
// orders collector on, each on its own simulator of the same account, both scraped every
// `every` for d.
func (b *bench) sideBySide(out io.Writer, a account, d, every time.Duration) {
	keyFile := writeKey()
	oursSim, theirsSim := b.startSim(a, keyFile, b.latency), b.startSim(a, keyFile, b.latency)
	defer stop(oursSim.cmd)
	defer stop(theirsSim.cmd)
	oursSim.reset()
	theirsSim.reset()
	args := []string{}
	for _, c := range defaultCollectors {
		if c != "orders" {
			args = append(args, "--no-collector."+c)
		}
	}
	e := b.startExporter(oursSim, keyFile, args...)
	defer stop(e.cmd)
	keyBytes, err := os.ReadFile(keyFile)
	if err != nil {
		fail("%v", err)
	}
	key := string(bytes.TrimSpace(keyBytes))

	var (
		mu                     sync.Mutex
		ours, theirs           []time.Duration
		oursCerts, theirsCerts float64
		deadline               = time.Now().Add(d)
		wg                     sync.WaitGroup
	)
	wg.Add(2)
	go func() { // our exporter, scraped as Prometheus does
		defer wg.Done()
		for t := time.Now(); t.Before(deadline); t = t.Add(every) {
			time.Sleep(time.Until(t))
			body, took := e.scrape(30 * time.Second)
			mu.Lock()
			ours, oursCerts = append(ours, took), sumSeries(gunzip(body), "certcentral_orders")
			mu.Unlock()
		}
	}()
	go func() { // the one-request-per-scrape model: its scrape is one API request
		defer wg.Done()
		for t := time.Now(); t.Before(deadline); t = t.Add(every) {
			time.Sleep(time.Until(t))
			start := time.Now()
			n := unfilteredOrders(theirsSim.url, key)
			took := time.Since(start)
			mu.Lock()
			theirs, theirsCerts = append(theirs, took), float64(n)
			mu.Unlock()
		}
	}()
	wg.Wait()
	oursReq, theirsReq := oursSim.stats().total(), theirsSim.stats().total()
	fmt.Fprintf(out, "== %s side by side on the %s account (%d orders): scrapes every %s ==\n", d, a.name, a.orders, every)
	fmt.Fprintf(out, "   one unfiltered orders request per scrape (vareversat/digicert_exporter's approach): %d requests, %v of %d orders reported, scrape p50 %s\n",
		theirsReq, theirsCerts, a.orders, ms(percentile(theirs, 50)))
	fmt.Fprintf(out, "   ours (orders collector only, 30 min full reads, a check every 5 min): %d requests, %v of %d orders reported, scrape p50 %s\n",
		oursReq, oursCerts, a.orders, msFine(percentile(ours, 50)))
	fmt.Fprintf(out, "goal 6. ours sends no more requests (%d <= %d), reports every order (%v/%d) and scrapes faster (%s < %s): %s\n",
		oursReq, theirsReq, oursCerts, a.orders, msFine(percentile(ours, 50)), ms(percentile(theirs, 50)),
		verdict(oursReq <= theirsReq && int(oursCerts) == a.orders && percentile(ours, 50) < percentile(theirs, 50)))
}

// unfilteredOrders is one scrape of the model: GET /order/certificate with no parameters
// (the API's default page of 1,000), counting the orders in it.
func unfilteredOrders(simURL, key string) int {
	req, _ := http.NewRequest(http.MethodGet, simURL+"/services/v2/order/certificate", nil)
	req.Header.Set("X-DC-DEVKEY", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fail("orders request: %v", err)
	}
	defer resp.Body.Close()
	var page struct {
		Orders []json.RawMessage `json:"orders"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		fail("orders page: %v", err)
	}
	return len(page.Orders)
}

// gunzip decodes a gzip body (of one or more members), as Prometheus's scraper does.
func gunzip(body string) string {
	zr, err := gzip.NewReader(strings.NewReader(body))
	if err != nil {
		fail("scrape body: %v", err)
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		fail("scrape body: %v", err)
	}
	return string(text)
}
