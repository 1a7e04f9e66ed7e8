package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// fleet measures one exporter process watching n accounts of size a, all served by one
// simulator (each account behind its own key, with its own rate limits): peak RSS and RSS per
// account, warm scrape latency of /metrics (every account) and of /probe (one account), and
// API requests per full collection against the minimum.
func (b *bench) fleet(n int, a account, warmScrapes int) {
	fmt.Printf("== fleet: %d accounts of %d users, %d domains, %d orders in one exporter process ==\n", n, a.users, a.domains, a.orders)
	dir, err := os.MkdirTemp("", "bench-fleet-*")
	if err != nil {
		fail("%v", err)
	}
	defer os.RemoveAll(dir)
	var fleetFile, config strings.Builder
	fleetFile.WriteString("accounts:\n")
	config.WriteString("accounts:\n")
	simArgs := []string{"--latency=" + b.latency.String()}
	for i := range n {
		name := fmt.Sprintf("acct%02d", i)
		keyFile := filepath.Join(dir, name+".key")
		if err := os.WriteFile(keyFile, []byte(fmt.Sprintf("bench-%s-%d", name, time.Now().UnixNano())), 0o600); err != nil {
			fail("%v", err)
		}
		fmt.Fprintf(&fleetFile, "  - name: %s\n    generate: {seed: %d, users: %d, domains: %d, orders: %d}\n", name, i+1, a.users, a.domains, a.orders)
		fmt.Fprintf(&config, "  - name: %s\n    url: @URL@\n    api_key_file: %s\n", name, keyFile)
		simArgs = append(simArgs, "--account-key-file="+name+"="+keyFile)
	}
	fleetPath := filepath.Join(dir, "fleet.yaml")
	if err := os.WriteFile(fleetPath, []byte(fleetFile.String()), 0o600); err != nil {
		fail("%v", err)
	}
	simCmd, simAddr := b.startServer("certcentral-simulator", append(simArgs, "--scenario="+fleetPath)...)
	defer stop(simCmd)
	simURL := "http://" + simAddr
	waitUp(simURL + "/_sim/stats")

	configPath := filepath.Join(dir, "certcentral.yml")
	if err := os.WriteFile(configPath, []byte(strings.ReplaceAll(config.String(), "@URL@", simURL+"/services/v2")), 0o600); err != nil {
		fail("%v", err)
	}
	// The baseline: the same exporter with one account, to tell what an account costs from
	// what the process costs.
	oneConfig := filepath.Join(dir, "one.yml")
	first := strings.SplitAfterN(strings.ReplaceAll(config.String(), "@URL@", simURL+"/services/v2"), "\n", 5)
	if err := os.WriteFile(oneConfig, []byte(strings.Join(first[:4], "")), 0o600); err != nil {
		fail("%v", err)
	}
	one := b.startConfigExporter(oneConfig)
	one.scrapePath("/metrics", 5*time.Minute)
	for range 20 {
		one.scrapePath("/metrics", 30*time.Second)
	}
	oneRSS := peakRSS(one.cmd)
	stop(one.cmd)
	resetFleet(simURL, n)

	start := time.Now()
	e := b.startConfigExporter(configPath)
	defer stop(e.cmd)
	e.scrapePath("/metrics", 5*time.Minute) // waits for every account's first collection
	cold := time.Since(start)               // from the exporter's start: collections begin before the first scrape
	requests := fleetRequests(simURL, n)
	body := e.plainScrape(time.Minute)
	if got, want := int(sumSeries(body, "certcentral_collector_success")), n*len(defaultCollectors); got != want {
		fail("fleet: %d of %d collections succeeded:\n%s", got, want, strings.Join(grepLines(body, "certcentral_collector_error"), "\n"))
	}
	minimum := n * minimumRequests(a)
	fmt.Printf("   API requests for the first full collection of every account: %d (minimum possible %d): target equal: %s\n",
		requests, minimum, verdict(requests == minimum))
	fmt.Printf("   first full collection of all %d accounts: %s after the exporter started\n", n, ms(cold))

	var all, probe []time.Duration
	for i := range warmScrapes {
		_, took := e.scrapePath("/metrics", 30*time.Second)
		all = append(all, took)
		_, took = e.scrapePath(fmt.Sprintf("/probe?account=acct%02d", i%n), 30*time.Second)
		probe = append(probe, took)
	}
	series := strings.Count(body, "\n") - 2*strings.Count(body, "# HELP")
	fmt.Printf("   warm scrape of /metrics (%d series, %.1f MB) over %d scrapes: p50 %s, p99 %s\n",
		series, float64(len(body))/1e6, warmScrapes, ms(percentile(all, 50)), ms(percentile(all, 99)))
	fmt.Printf("   warm scrape of /probe?account=NAME (one account) over %d scrapes: p50 %s, p99 %s\n",
		warmScrapes, ms(percentile(probe, 50)), ms(percentile(probe, 99)))
	rss := peakRSS(e.cmd)
	fmt.Printf("   peak RSS: %.0f MiB with %d accounts, %.0f MiB with one; %.1f MiB per account\n\n",
		rss/(1<<20), n, oneRSS/(1<<20), (rss-oneRSS)/float64(n-1)/(1<<20))
}

func (b *bench) startConfigExporter(configFile string) *exporter {
	cmd, addr := b.startServer("certcentral_exporter", "--config.file="+configFile, "--log.level=warn")
	e := &exporter{cmd: cmd, url: "http://" + addr}
	waitUp(e.url + "/-/healthy")
	return e
}

// scrapePath fetches path as Prometheus would (gzip, scrape timeout) and returns the body
// size and the wall time.
func (e *exporter) scrapePath(path string, timeout time.Duration) (int, time.Duration) {
	req, _ := http.NewRequest(http.MethodGet, e.url+path, nil)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64))
	req.Header.Set("Accept-Encoding", "gzip")
	start := time.Now()
	resp, err := scrapeClient(timeout).Do(req)
	if err != nil {
		fail("scrape %s: %v", path, err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		fail("scrape %s answered %d", path, resp.StatusCode)
	}
	return int(n), time.Since(start)
}

// fleetRequests adds up the API requests every account of the fleet simulator received.
func fleetRequests(simURL string, n int) int {
	total := 0
	for i := range n {
		resp, err := http.Get(fmt.Sprintf("%s/_sim/stats?account=acct%02d", simURL, i))
		if err != nil {
			fail("fleet stats: %v", err)
		}
		var st simStats
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil {
			fail("fleet stats: %v", err)
		}
		total += st.total()
	}
	return total
}

func resetFleet(simURL string, n int) {
	for i := range n {
		for _, p := range []string{"/_sim/reset-stats", "/_sim/reset-ratelimit"} {
			resp, err := http.Post(fmt.Sprintf("%s%s?account=acct%02d", simURL, p, i), "", nil)
			if err != nil {
				fail("%s: %v", p, err)
			}
			resp.Body.Close()
		}
	}
}

func grepLines(text, prefix string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}
