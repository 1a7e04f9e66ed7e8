package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// series is one element of a Prometheus query result (vector or matrix).
type series struct {
	Metric map[string]string `json:"metric"`
	Value  []any             `json:"value"`  // [ts, "v"] for vectors
	Values [][]any           `json:"values"` // [[ts, "v"], ...] for matrices
}

// prom is a minimal client for Prometheus's HTTP API.
type prom struct {
	base   string
	client *http.Client
}

func newProm(base string) *prom {
	return &prom{base: base, client: &http.Client{Timeout: 30 * time.Second}}
}

type apiResponse struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

func (p *prom) get(ctx context.Context, path string, params url.Values) ([]series, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+path+"?"+params.Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("building request: %w", err)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("querying Prometheus: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, fmt.Errorf("reading Prometheus answer: %w", err)
	}
	var r apiResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("decoding Prometheus answer (HTTP %d): %w", resp.StatusCode, err)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("prometheus: %s: %s", r.ErrorType, r.Error)
	}
	switch r.Data.ResultType {
	case "vector", "matrix":
		var out []series
		if err := json.Unmarshal(r.Data.Result, &out); err != nil {
			return nil, fmt.Errorf("decoding %s result: %w", r.Data.ResultType, err)
		}
		return out, nil
	case "scalar", "string":
		return []series{{Metric: map[string]string{}}}, nil
	}
	return nil, fmt.Errorf("unexpected result type %q", r.Data.ResultType)
}

// instant evaluates expr now.
func (p *prom) instant(ctx context.Context, expr string) ([]series, error) {
	return p.get(ctx, "/api/v1/query", url.Values{"query": {expr}})
}

// rangeQuery evaluates expr over the last `span`, as a time series panel would.
func (p *prom) rangeQuery(ctx context.Context, expr string, span, step time.Duration) ([]series, error) {
	end := time.Now()
	return p.get(ctx, "/api/v1/query_range", url.Values{
		"query": {expr},
		"start": {strconv.FormatInt(end.Add(-span).Unix(), 10)},
		"end":   {strconv.FormatInt(end.Unix(), 10)},
		"step":  {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)},
	})
}
