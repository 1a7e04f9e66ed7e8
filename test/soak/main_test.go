package main

import (
	"testing"
	"time"
)

// judge builds one sample per second over a run of the given phases, with the live heap and
// goroutines that the functions give at each moment, and returns what report judges.
func judge(t *testing.T, p phases, live func(at time.Duration) float64, goroutines func(at time.Duration) float64) bool {
	t.Helper()
	var samples []sample
	var results []scrapeResult
	for at := time.Duration(0); at < 2*p.quiet+p.faults; at += time.Second {
		samples = append(samples, sample{at: at, goroutines: goroutines(at), rss: 60 << 20, heap: live(at) * 2, live: live(at)})
		results = append(results, scrapeResult{at: at, took: 100 * time.Millisecond})
	}
	return report(samples, results, p, 5*time.Second)
}

func TestReportTellsALeakFromMemoryInFlight(t *testing.T) {
	p := phases{quiet: quietWindow(2 * time.Minute), faults: 2 * time.Minute}
	flat := func(time.Duration) float64 { return 16 }

	// An oversized body read during the faults holds 150 MiB until the next collection after
	// them: not a leak.
	transient := func(at time.Duration) float64 {
		if at >= p.quiet && at < p.quiet+p.faults+5*time.Second {
			return 150 << 20
		}
		return 20 << 20
	}
	if at := p.quiet / 2; transient(at) != 20<<20 {
		t.Fatalf("the baseline must be quiet")
	}
	if !judge(t, p, transient, flat) {
		t.Error("memory held only while faults were injected was judged a leak")
	}

	// Memory that grows with time and stays after the faults: a leak.
	leak := func(at time.Duration) float64 { return float64(20<<20) + at.Seconds()*float64(200<<10) }
	if judge(t, p, leak, flat) {
		t.Error("a live heap growing by 200 KiB a second was judged flat")
	}

	// Goroutines left behind by the faults.
	leftBehind := func(at time.Duration) float64 {
		if at >= p.quiet+p.faults/2 {
			return 40
		}
		return 16
	}
	if judge(t, p, func(time.Duration) float64 { return 20 << 20 }, leftBehind) {
		t.Error("24 goroutines left behind were judged flat")
	}
}

func TestReportFailsWithoutRecoveryOnSlowScrapesAndMemoryPeaks(t *testing.T) {
	p := phases{quiet: 30 * time.Second, faults: time.Minute}
	var samples []sample
	var results []scrapeResult
	for at := time.Duration(0); at < 2*p.quiet+p.faults; at += time.Second {
		samples = append(samples, sample{at: at, goroutines: 16, rss: 60 << 20, live: 20 << 20})
		r := scrapeResult{at: at, took: 100 * time.Millisecond}
		if at >= p.quiet {
			r.failures = 1 // a collector that never comes back after the faults
		}
		results = append(results, r)
	}
	if report(samples, results, p, 5*time.Second) {
		t.Error("a collector still failing after the faults stopped was not reported")
	}
	for i := range results {
		results[i].failures = 0
	}
	if !report(samples, results, p, 5*time.Second) {
		t.Fatal("a clean run was judged a failure")
	}
	results[len(results)-1].took = 6 * time.Second
	if report(samples, results, p, 5*time.Second) {
		t.Error("a scrape longer than the scrape timeout was not reported")
	}
	results[len(results)-1].took = time.Second
	samples[len(samples)/2].rss = 300 << 20 // one moment during the faults
	if report(samples, results, p, 5*time.Second) {
		t.Error("resident memory of 300 MiB during the faults was not reported")
	}
}

func TestQuietWindow(t *testing.T) {
	for faults, want := range map[time.Duration]time.Duration{
		time.Minute:      30 * time.Second,
		3 * time.Minute:  36 * time.Second,
		10 * time.Minute: time.Minute,
	} {
		if got := quietWindow(faults); got != want {
			t.Errorf("quietWindow(%s) = %s, want %s", faults, got, want)
		}
	}
}
