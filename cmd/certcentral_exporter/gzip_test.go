package main

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"gzip": true, "deflate, gzip;q=1.0, *;q=0.5": true, "GZIP": true, "gzip;q=0": false,
		"gzip; q=0.000": false, "": false, "identity": false, "x-gzip-nope": false,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

func TestWithGzipRoundTrips(t *testing.T) {
	body := strings.Repeat("certcentral_up 1\n", 10000)
	h := withGzip(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "170000")
		_, _ = io.WriteString(w, body)
	}))
	for _, enc := range []string{"gzip", ""} {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.Header.Set("Accept-Encoding", enc)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		got := rec.Body.String()
		if enc == "gzip" {
			if rec.Header().Get("Content-Encoding") != "gzip" || rec.Header().Get("Content-Length") != "" {
				t.Fatalf("headers %v", rec.Header())
			}
			zr, err := gzip.NewReader(rec.Body)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(zr)
			got = string(b)
		}
		if got != body {
			t.Errorf("Accept-Encoding %q: body changed (%d bytes, want %d)", enc, len(got), len(body))
		}
	}
}
