package certcentral

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"sync"
)

// page is the API's pagination object. All three are JSON integers in every real sample.
type page struct {
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// errShape marks a body whose JSON is well formed but not the expected shape.
var errShape = errors.New("unexpected JSON shape")

// problemNoter is implemented by raw item types so that a field of the wrong JSON type is
// recorded on the item instead of dropping it.
type problemNoter interface {
	noteProblem(field string)
}

// ListStats describes one complete read of a list endpoint.
type ListStats struct {
	Requests int // HTTP requests that returned a page
	Items    int // items handed to the callback
	Total    int // page.total reported by the first page (items when the page object is absent)
	// Duplicates counts items seen again on a later page (offsets shift when the account
	// changes during the read); each is handed to the callback once.
	Duplicates int
}

// identified is implemented by raw items with a numeric id, so that a list can hand each
// object over once even when pages overlap.
type identified interface {
	itemID() int64
}

// decodeList streams one list body: it walks the top-level object, hands every element of
// the collection array to fn one at a time (so a page is never held twice in memory) and
// returns the page object if there was one. An absent collection key is an empty list.
func decodeList[R any](r io.Reader, collection string, fn func(*R)) (pg *page, items int, err error) {
	dec := json.NewDecoder(r)
	mark := func() {}
	if m, ok := r.(valueMarker); ok {
		mark = func() { m.markValue(dec.InputOffset()) }
	}
	if err := expectDelim(dec, '{'); err != nil {
		return nil, 0, err
	}
	for dec.More() {
		mark()
		tok, err := dec.Token()
		if err != nil {
			return nil, items, err
		}
		key, _ := tok.(string)
		mark()
		switch key {
		case collection:
			n, err := decodeArray(dec, mark, fn)
			items += n
			if err != nil {
				return nil, items, fmt.Errorf("%q: %w", collection, err)
			}
		case "page":
			var p page
			if err := dec.Decode(&p); err != nil {
				return nil, items, fmt.Errorf("page: %w", err)
			}
			pg = &p
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, items, err
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, items, err
	}
	return pg, items, nil
}

// valueMarker is implemented by the body reader: decoders tell it where the value they are
// about to decode begins, so that it can refuse a single value larger than its cap while the
// json.Decoder, which holds a whole value in memory, is still reading it.
type valueMarker interface {
	markValue(offset int64)
}

func decodeArray[R any](dec *json.Decoder, mark func(), fn func(*R)) (int, error) {
	tok, err := dec.Token()
	if err != nil {
		return 0, err
	}
	if tok == nil { // "users": null
		return 0, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return 0, fmt.Errorf("%w: want an array, got %v", errShape, tok)
	}
	n := 0
	for dec.More() {
		mark()
		item := new(R)
		if err := dec.Decode(item); err != nil {
			var typeErr *json.UnmarshalTypeError
			if !errors.As(err, &typeErr) || typeErr.Field == "" {
				return n, err // a syntax error, or an element that is not an object at all
			}
			// The decoder consumed the whole element; keep what decoded and say which
			// field did not, rather than losing the object.
			if pn, ok := any(item).(problemNoter); ok {
				pn.noteProblem(typeErr.Field)
			}
		}
		fn(item)
		n++
	}
	_, err = dec.Token() // ']'
	return n, err
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("%w: want %q, got %v", errShape, want, tok)
	}
	return nil
}

// listAll reads every page of a list endpoint and hands each raw item to fn. fn is never
// called concurrently. The first page tells the total; the remaining pages are fetched with
// up to PageConcurrency requests in flight. Offsets advance by the items actually received
// and the loop stops at page.total or at an empty page, so a total that shrinks mid-read
// cannot make it spin.
func listAll[R any](ctx context.Context, c *Client, endpoint, collection string, query url.Values, fn func(*R)) (ListStats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		mu    sync.Mutex // serialises fn, seen and stats
		stats ListStats
		seen  = map[int64]struct{}{}
	)
	deliver := func(item *R) {
		mu.Lock()
		defer mu.Unlock()
		if id, ok := any(item).(identified); ok && id.itemID() != 0 {
			if _, dup := seen[id.itemID()]; dup {
				stats.Duplicates++
				return
			}
			seen[id.itemID()] = struct{}{}
		}
		fn(item)
		stats.Items++
	}
	fetch := func(offset int) (pg *page, n int, err error) {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("limit", strconv.Itoa(c.cfg.PageSize))
		q.Set("offset", strconv.Itoa(offset))
		err = c.get(ctx, endpoint, q, func(r io.Reader) error {
			var derr error
			pg, n, derr = decodeList(r, collection, deliver)
			return derr
		})
		if err == nil {
			mu.Lock()
			stats.Requests++
			mu.Unlock()
		}
		return pg, n, err
	}

	first, n, err := fetch(0)
	if err != nil {
		return stats, err
	}
	if first == nil { // no page object: the whole list came at once
		stats.Total = n
		return stats, nil
	}
	stats.Total = first.Total
	if n == 0 || n >= first.Total {
		return stats, nil
	}
	pageSize := n // the server may clamp the limit we asked for
	if c.cfg.PageConcurrency <= 1 {
		return stats, sequentialTail(n, first.Total, fetch)
	}

	// Offsets of the remaining pages, known from the first page's total.
	var offsets []int
	for off := n; off < first.Total; off += pageSize {
		offsets = append(offsets, off)
	}
	type result struct {
		end, total int
		full       bool
		err        error
	}
	results := make([]result, len(offsets))
	sem := make(chan struct{}, c.cfg.PageConcurrency)
	var wg sync.WaitGroup
	for i, off := range offsets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results[i].err = &Error{Kind: kindForTransport(ctx, ctx.Err()), Endpoint: endpoint, Err: ctx.Err()}
				return
			}
			defer func() { <-sem }()
			pg, got, err := fetch(off)
			results[i] = result{end: off + got, full: got == pageSize, err: err}
			if pg != nil {
				results[i].total = pg.Total
			}
			if err != nil {
				cancel() // one failed page fails the list; stop the others early
			}
		}()
	}
	wg.Wait()
	for _, r := range results {
		if r.err != nil {
			return stats, firstRealError(results, func(r result) error { return r.err })
		}
	}
	// If the account grew while we read, the last page is full and the total moved on:
	// continue one page at a time from where we are.
	last := results[len(results)-1]
	if last.full && last.end < last.total {
		return stats, sequentialTail(last.end, last.total, fetch)
	}
	return stats, nil
}

// sequentialTail fetches pages one at a time from offset until total or an empty page.
func sequentialTail(offset, total int, fetch func(int) (*page, int, error)) error {
	for offset < total {
		pg, n, err := fetch(offset)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		offset += n
		if pg != nil {
			total = pg.Total
		}
	}
	return nil
}

// firstRealError prefers an error that caused the cancellation over the "canceled" errors of
// the pages that were stopped because of it.
func firstRealError[T any](results []T, errOf func(T) error) error {
	var fallback error
	for _, r := range results {
		err := errOf(r)
		if err == nil {
			continue
		}
		if k := KindOf(err); k != KindCanceled && k != "" {
			return err
		}
		if fallback == nil {
			fallback = err
		}
	}
	return fallback
}
