// Command check is the assertion side of the end-to-end test (test/e2e/run.sh starts the
// processes; this program asks them questions). Subcommands:
//
//	check wait-http URL...                 wait until every URL answers 2xx
//	check put URL FILE                     PUT the file's content to URL, expect 2xx
//	check wait-query -prometheus URL -query Q
//	                                       wait until the instant query Q returns a result
//	check alerts -receiver URL -prometheus URL -expect FILE -rules FILE
//	                                       wait for the expected alerts at the webhook receiver,
//	                                       then check nothing else fired (see alerts.go)
//	check dashboards -prometheus URL -dir DIR -empty FILE ...
//	                                       run every dashboard query (see dashboards.go)
//	check readme -prometheus URL -file README.md
//	                                       run the README's PromQL answers (see readme.go)
//
// Exit status 0 when every assertion held; every assertion is printed.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: check wait-http|wait-query|put|alerts|dashboards|readme [flags]")
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	var err error
	switch cmd {
	case "wait-http":
		err = waitHTTP(args)
	case "wait-query":
		err = waitQuery(args)
	case "put":
		err = put(args)
	case "alerts":
		err = checkAlerts(args)
	case "dashboards":
		err = checkDashboards(args)
	case "readme":
		err = checkReadme(args)
	default:
		err = fmt.Errorf("unknown subcommand %q", cmd)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "check %s: FAIL: %v\n", cmd, err)
		os.Exit(1)
	}
}

func waitHTTP(args []string) error {
	fs := flag.NewFlagSet("wait-http", flag.ContinueOnError)
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait")
	if err := fs.Parse(args); err != nil {
		return err
	}
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(*timeout)
	for _, u := range fs.Args() {
		for {
			resp, err := client.Get(u)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode/100 == 2 {
					break
				}
				err = fmt.Errorf("HTTP %d", resp.StatusCode)
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s did not answer within %s: %v", u, *timeout, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}

// put sends a file with PUT, e.g. a scenario to the simulator's control API.
func put(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: check put URL FILE")
	}
	f, err := os.Open(args[1])
	if err != nil {
		return fmt.Errorf("opening the body: %w", err)
	}
	defer f.Close()
	req, err := http.NewRequest(http.MethodPut, args[0], f)
	if err != nil {
		return fmt.Errorf("building request: %w", err)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("PUT %s: %w", args[0], err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("PUT %s: HTTP %d: %s", args[0], resp.StatusCode, body)
	}
	return nil
}

func waitQuery(args []string) error {
	fs := flag.NewFlagSet("wait-query", flag.ContinueOnError)
	promURL := fs.String("prometheus", "", "Prometheus base URL")
	query := fs.String("query", "", "instant query that must return a result")
	timeout := fs.Duration("timeout", 60*time.Second, "how long to wait")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p := newProm(*promURL)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	for {
		res, err := p.instant(ctx, *query)
		if err == nil && len(res) > 0 {
			fmt.Printf("ok: %s\n", *query)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s returned nothing within %s (last error: %v)", *query, *timeout, err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}
