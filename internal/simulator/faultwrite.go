package simulator

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// sleepCtx waits d or until ctx is done; it reports whether the full wait
// happened.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// writePreFault answers the faults that replace the whole response. It
// reports false for the kinds that mangle a normal response instead.
func writePreFault(w http.ResponseWriter, r *http.Request, ep string, f *Fault) bool {
	switch f.Kind {
	case FaultEmptyItems:
		writeItemStream(w, collectionOf(ep), f.Count, func(b []byte, _ int) []byte { return append(b, "{}"...) }, true)
	case FaultSmallItems:
		writeItemStream(w, collectionOf(ep), f.Count, func(b []byte, i int) []byte {
			return append(strconv.AppendInt(append(b, `{"id":`...), int64(i+1), 10), '}')
		}, false)
	case FaultBadHeader:
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("X-Trace-Id", "7f3a\x01c9") // net/http sends it as is: a control character
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("{}"))
	case FaultEchoKey:
		writeEchoKey(w, r.Header.Get("X-DC-DEVKEY"), f.Variant)
	case FaultStatus:
		writeJSON(w, response{f.Status, statusErrorBody(f.Status)})
	case FaultHTML:
		writeHTMLBlock(w, f.Status)
	case FaultHang:
		// Answer nothing; the client's timeout (or server shutdown) ends it.
		<-r.Context().Done()
	case FaultOversized:
		writeOversized(w, f.Size)
	case FaultReset:
		resetConn(w)
	default:
		return false
	}
	return true
}

// writeMangled sends resp cut short or corrupted.
func writeMangled(w http.ResponseWriter, f *Fault, resp response) {
	switch f.Kind {
	case FaultTruncated:
		h := w.Header()
		h.Set("Content-Type", "application/json")
		// Declaring the full length and sending half makes the client see an
		// unexpected EOF, as with a connection dropped mid-body.
		h.Set("Content-Length", strconv.Itoa(len(resp.body)))
		w.WriteHeader(resp.status)
		_, _ = w.Write(resp.body[:len(resp.body)/2])
		_ = http.NewResponseController(w).Flush()
		// Abort so net/http closes the connection instead of waiting.
		panic(http.ErrAbortHandler)
	case FaultMalformed:
		body := resp.body
		if i := bytes.IndexByte(body, ':'); i >= 0 {
			// Drop the value after the first key: {"users":,"page"...
			body = append(append(bytes.Clone(body[:i+1]), ','), body[i+1:]...)
		} else {
			body = append(bytes.Clone(body), '}')
		}
		writeJSON(w, response{resp.status, body})
	}
}

// writeHTMLBlock imitates the HTML page a CDN/WAF in front of the API
// answers when it blocks or loses the origin: not JSON at all.
func writeHTMLBlock(w http.ResponseWriter, status int) {
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	body := fmt.Sprintf(`<html style="height:100%%"><head><meta name="robots" content="noindex, nofollow"><title>%d %s</title></head>`+
		`<body style="margin:0px;height:100%%"><div id="main">Request unsuccessful. Incapsula incident ID: 1234000560789012345-678901234567890123</div></body></html>`,
		status, http.StatusText(status))
	h := w.Header()
	h.Set("Content-Type", "text/html")
	h.Set("X-CDN", "Imperva")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// writeOversized streams {"page":{...},"padding":"xxx..."} of exactly size
// bytes (or just the framing when size is smaller), chunk by chunk so the
// simulator never holds it. No Content-Length: the client cannot refuse it
// up front and must cap what it reads.
func writeOversized(w http.ResponseWriter, size int) {
	const head = `{"page":{"total":1,"limit":1000,"offset":0},"padding":"`
	const tail = `"}`
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write([]byte(head)); err != nil {
		return
	}
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	for left := size - len(head) - len(tail); left > 0; {
		n := min(left, len(chunk))
		if _, err := w.Write(chunk[:n]); err != nil {
			return // client gave up
		}
		left -= n
	}
	_, _ = w.Write([]byte(tail))
}

// resetConn drops the connection without a response. SetLinger(0) makes the
// kernel send a TCP RST instead of an orderly FIN.
func resetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2, a recorder): aborting is the closest thing.
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
