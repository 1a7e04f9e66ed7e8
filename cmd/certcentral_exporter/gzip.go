package main

import (
	"compress/gzip"
	"net/http"
	"strings"
	"sync"
)

// gzipWriters holds writers at BestSpeed. A large account's exposition is megabytes of very
// repetitive text: BestSpeed compresses it about five times faster than promhttp's default
// level for a slightly larger body, and the scrape's latency is what matters here.
var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return w
}}

// withGzip compresses the answer when the client accepts gzip (Prometheus always does).
func withGzip(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding")
		if !acceptsGzip(r.Header.Get("Accept-Encoding")) {
			next.ServeHTTP(w, r)
			return
		}
		gz := gzipWriters.Get().(*gzip.Writer)
		defer gzipWriters.Put(gz)
		gz.Reset(w)
		w.Header().Set("Content-Encoding", "gzip")
		gw := &gzipResponseWriter{ResponseWriter: w, gz: gz}
		next.ServeHTTP(gw, r)
		if !gw.closed {
			_ = gz.Close()
		}
	})
}

func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

type gzipResponseWriter struct {
	http.ResponseWriter
	gz     *gzip.Writer
	closed bool // writeMembers wrote the whole body
}

func (g *gzipResponseWriter) WriteHeader(status int) {
	g.Header().Del("Content-Length") // the length of the uncompressed body
	g.ResponseWriter.WriteHeader(status)
}

// writeMembers writes first, a complete gzip member, as it is, then rest compressed as the
// next member: one body of two members, which gzip readers (Go's, which Prometheus uses, and
// gunzip) read as the concatenation of both. rest is the part that changes with every scrape,
// a few hundred lines: Huffman coding alone compresses it in a fraction of BestSpeed's time.
func (g *gzipResponseWriter) writeMembers(first, rest []byte) error {
	g.Header().Del("Content-Length")
	if _, err := g.ResponseWriter.Write(first); err != nil {
		return err
	}
	zw := huffmanWriters.Get().(*gzip.Writer)
	defer huffmanWriters.Put(zw)
	zw.Reset(g.ResponseWriter)
	if _, err := zw.Write(rest); err != nil {
		return err
	}
	g.closed = true // the body is complete: withGzip must not add a member
	return zw.Close()
}

var huffmanWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.HuffmanOnly)
	return w
}}

func (g *gzipResponseWriter) Write(b []byte) (int, error) {
	g.Header().Del("Content-Length")
	return g.gz.Write(b)
}
