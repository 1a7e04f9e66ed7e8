package main

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Limits of the HTTP server. Every connection ends when its client stops sending or reading,
// and the open connections are bounded, so that idle keep-alive connections (also of clients
// refused by basic auth) cannot pile up: 19,000 of them held 379 MB.
const (
	// readHeaderTimeout: a request line and its headers arrive at once from any real client.
	readHeaderTimeout = 10 * time.Second
	// readTimeout: the whole request; a scrape is a GET with no body.
	readTimeout = 30 * time.Second
	// writeTimeout: from the request to the last byte of the answer; a scrape may wait up to
	// maxScrapeTimeout for its collections, and a large exposition still has to be sent.
	writeTimeout = maxScrapeTimeout + time.Minute
	// idleTimeout: longer than Prometheus's usual one-minute scrape interval, so that a
	// scraper keeps its connection between scrapes.
	idleTimeout = 90 * time.Second
	// maxHeaderBytes: Prometheus sends a few hundred bytes of headers; the default 1 MiB a
	// connection would let the open connections hold hundreds of megabytes.
	maxHeaderBytes = 32 << 10
	// maxConnections: scrapers, probes and people are a few dozen at most; at about 20 KiB a
	// connection, 256 hold a few MiB. Beyond it an idle connection is closed to make room, or
	// the new one when none is idle.
	maxConnections = 256
)

// newHTTPServer returns the server for handler with the limits above.
func newHTTPServer(handler http.Handler) *http.Server {
	limit := &connLimit{max: maxConnections, conns: map[net.Conn]http.ConnState{}}
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ConnState:         limit.track,
	}
}

// connLimit bounds the open connections of a server through its ConnState hook.
type connLimit struct {
	max   int
	mu    sync.Mutex
	conns map[net.Conn]http.ConnState
}

func (l *connLimit) track(c net.Conn, state http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch state {
	case http.StateNew:
		if len(l.conns) >= l.max && !l.closeOneIdle() {
			_ = c.Close() // every slot is busy serving: refuse the newcomer
			return
		}
		l.conns[c] = state
	case http.StateClosed, http.StateHijacked:
		delete(l.conns, c)
	default:
		if _, ok := l.conns[c]; ok {
			l.conns[c] = state
		}
	}
}

// closeOneIdle closes an idle keep-alive connection to make room, and says if there was one.
func (l *connLimit) closeOneIdle() bool {
	for c, state := range l.conns {
		if state == http.StateIdle {
			delete(l.conns, c)
			go c.Close() // a TLS close may write; never block the accept loop on it
			return true
		}
	}
	return false
}
