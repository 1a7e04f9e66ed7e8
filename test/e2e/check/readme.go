package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

// checkReadme runs every query of the README's ```promql blocks against Prometheus, which
// scrapes the demo account among others, and requires data: the answers the README promises a
// PKI team are the ones Prometheus gives.
func checkReadme(args []string) error {
	fs := flag.NewFlagSet("readme", flag.ContinueOnError)
	promURL := fs.String("prometheus", "", "Prometheus base URL")
	file := fs.String("file", "README.md", "the README")
	if err := fs.Parse(args); err != nil {
		return err
	}
	queries, err := readmeQueries(*file)
	if err != nil {
		return err
	}
	if len(queries) < 5 {
		return fmt.Errorf("%s has %d promql queries, want at least 5 (one per question)", *file, len(queries))
	}
	p := newProm(*promURL)
	failed := 0
	for _, q := range queries {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		res, err := p.instant(ctx, q)
		cancel()
		switch {
		case err != nil:
			fmt.Printf("  FAIL %s: %v\n", q, err)
			failed++
		case len(res) == 0:
			fmt.Printf("  FAIL %s: no data on the demo account\n", q)
			failed++
		default:
			fmt.Printf("  ok   %d series: %s\n", len(res), q)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d README queries failed", failed, len(queries))
	}
	return nil
}

// readmeQueries returns the queries of the file's ```promql blocks, one per line, comments
// (# ...) left out.
func readmeQueries(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "```promql":
			in = true
		case in && line == "```":
			in = false
		case in && line != "" && !strings.HasPrefix(line, "#"):
			if i := strings.Index(line, "  # "); i > 0 {
				line = strings.TrimSpace(line[:i])
			}
			out = append(out, line)
		}
	}
	return out, sc.Err()
}
