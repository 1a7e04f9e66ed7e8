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

// ListStats describes one read of a list endpoint, complete or not: on failure it says how
// far the read got.
type ListStats struct {
	Requests int // HTTP requests that returned a page
	Items    int // items handed to the callback
	Total    int // page.total reported by the first page (items when the page object is absent)
	// Duplicates counts items seen again on a later page (offsets shift when the account
	// changes during the read); each is handed to the callback once.
	Duplicates int
}

// MaxListItems caps the items one list may announce or hold. The longest list of any account
// is its orders (one per certificate ever ordered); the largest account we benchmark has
// 100,000 of them, and twice that leaves room for real growth. The cap is what bounds a list's
// memory whatever the API sends: an item kept by a collector costs a few hundred bytes (the
// names of a certificate are not kept per item), so 200,000 stay well inside the exporter's
// 256 MiB, and at 1000 items per page reading them is 200 requests. A larger list fails with
// KindTooManyItems before any item past the cap is kept.
const MaxListItems = 200_000

// MaxListUsers caps the users list lower. Users are the people who manage certificates (the
// largest accounts have a few thousand), and the users collector keeps every one of them for
// its per-user series (--collector.users.max-users is 0, all, by default), four series each:
// an account of 20,000 users peaks at 140 MiB resident with its series served, one of 50,000
// at 370 MiB, over the exporter's 256 MiB.
const MaxListUsers = 20_000

// driftTolerance is how far a live account may move during one read of a list of total
// items without the read being called inconsistent: a few items added or removed by people
// working in CertCentral meanwhile. A read takes seconds, so two changes, or 1% of a large
// list, is plenty; more than that missing or repeated is pages that do not add up.
func driftTolerance(total int) int { return 2 + max(0, total)/100 }

// identified is implemented by raw items with a numeric id, so that a list can hand each
// object over once even when pages overlap. ok is false for an item without a usable id,
// which is handed over without being compared with any other.
type identified interface {
	itemID() (id int64, ok bool)
}

// decodeListStd is decodeList with encoding/json alone: the reference the fast path must
// match, and what reads the rest of a body from an item the fast path cannot read as
// encoding/json would (see decode_fast.go). mark, when set, is told where each value begins
// in dec's input.
func decodeListStd[R any](r io.Reader, collection string, fn func(*R) error, markAt func(offset int64)) (pg *page, items int, err error) {
	dec := json.NewDecoder(r)
	mark := func() {}
	if markAt != nil {
		mark = func() { markAt(dec.InputOffset()) }
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

func decodeArray[R any](dec *json.Decoder, mark func(), fn func(*R) error) (int, error) {
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
		n++
		if err := fn(item); err != nil {
			return n, err
		}
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
// called concurrently.
//
// The first page tells the total; a total over maxItems is refused at once, as is a list
// whose remaining pages need more requests than the context's allowance has left. The other
// pages are fetched by at most PageConcurrency workers, each claiming the next offset when it
// is free, so that requests, goroutines and memory follow the pages actually read, never the
// total announced. Offsets advance by the first page's size (the server may clamp the limit
// we asked for) and the read ends at the total or at an empty page.
//
// A read is complete only when its pages add up: the total may move by driftTolerance during
// the read and that many items may repeat or be missing (a live account changes), but a
// total that moves further, pages that repeat, or pages that end early fail the list with
// KindInconsistentPagination rather than hand over part of it as if it were all.
func listAll[R any](ctx context.Context, c *Client, endpoint, collection string, query url.Values, maxItems int, fn func(*R)) (ListStats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	l := &lister{endpoint: endpoint, seen: map[int64]struct{}{}, maxItems: maxItems}
	deliver := func(item *R) error {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.stats.Items+l.stats.Duplicates >= maxItems {
			return l.tooMany(fmt.Sprintf("the list held more than %d items", maxItems))
		}
		if it, ok := any(item).(identified); ok {
			if id, ok := it.itemID(); ok {
				if _, dup := l.seen[id]; dup {
					l.stats.Duplicates++
					return nil
				}
				l.seen[id] = struct{}{}
			}
		}
		fn(item)
		l.stats.Items++
		return nil
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
			l.mu.Lock()
			l.stats.Requests++
			l.mu.Unlock()
		}
		return pg, n, err
	}

	first, n, err := fetch(0)
	if err != nil {
		return l.stats, err
	}
	if first == nil { // no page object: the whole list came at once
		l.stats.Total = n
		return l.stats, nil
	}
	l.stats.Total, l.low, l.high = first.Total, first.Total, first.Total
	l.tolerance = driftTolerance(first.Total)
	switch {
	case first.Total > maxItems:
		return l.stats, l.tooMany(fmt.Sprintf("the API announced %d items", first.Total))
	case first.Total < 0:
		return l.stats, l.inconsistent(fmt.Sprintf("the API announced %d items", first.Total))
	case n == 0 || n >= first.Total:
		return l.stats, l.verify()
	}
	l.pageSize, l.next = n, n
	pages := (first.Total - 1) / n // the pages after the first: ceil((first.Total-n)/n)
	if left := allowanceFrom(ctx).remaining(); left >= 0 && int64(pages) > left {
		return l.stats, &Error{Kind: KindBudgetExhausted, Endpoint: endpoint, Status: 200, Message: fmt.Sprintf(
			"the list needs %d more requests (%d items announced, %d per page), more than the %d left of this collection's share of the request budget",
			pages, first.Total, n, left)}
	}

	var wg sync.WaitGroup
	for range min(c.cfg.PageConcurrency, pages) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				off, ok := l.claim()
				if !ok {
					return
				}
				pg, got, err := fetch(off)
				if !l.record(pg, got, err) {
					cancel() // one failed page fails the list; stop the others early
					return
				}
			}
		}()
	}
	wg.Wait() // l is no longer shared: read it without the lock
	if l.err != nil {
		return l.stats, l.err
	}
	return l.stats, l.verify()
}

// lister is the state of one listAll read, shared by its workers.
type lister struct {
	endpoint string
	maxItems int

	mu        sync.Mutex
	stats     ListStats
	seen      map[int64]struct{} // ids handed over
	pageSize  int
	next      int  // offset the next claimed page starts at
	low, high int  // smallest and largest total announced: offsets up to high are read
	tolerance int  // driftTolerance of the first total
	done      bool // an empty page came: there is nothing after it
	err       error
}

// claim returns the offset of the next page to fetch, false when there is none.
func (l *lister) claim() (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// Offsets stop at the largest total announced; one beyond the tolerance has set err.
	if l.err != nil || l.done || l.next >= l.high {
		return 0, false
	}
	off := l.next
	l.next += l.pageSize
	return off, true
}

// record takes in one page's outcome; false when the read must stop.
func (l *lister) record(pg *page, got int, err error) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		if l.err == nil { // the first error caused the others (canceled): keep it
			l.err = err
		}
		return false
	}
	if got == 0 {
		l.done = true
	}
	if pg == nil {
		return true
	}
	// A total a little larger than the first means the account grew while we read: claim reads
	// the items added at the end too, up to high.
	l.low, l.high = min(l.low, pg.Total), max(l.high, pg.Total)
	if l.high-l.low > l.tolerance {
		if l.err == nil {
			l.err = l.inconsistent(fmt.Sprintf("the total moved from %d to %d during the read", l.stats.Total, pg.Total))
		}
		return false
	}
	return true
}

// verify checks, after the last page, that the pages added up; called with no worker running.
func (l *lister) verify() error {
	switch s := l.stats; {
	case s.Duplicates > l.tolerance:
		return l.inconsistent(fmt.Sprintf("%d items came again on later pages", s.Duplicates))
	case s.Items+l.tolerance < l.low:
		return l.inconsistent(fmt.Sprintf("the pages held %d of the %d items announced", s.Items, l.low))
	case s.Items > l.high+l.tolerance:
		return l.inconsistent(fmt.Sprintf("the pages held %d items, more than the %d announced", s.Items, l.high))
	}
	return nil
}

func (l *lister) inconsistent(msg string) error {
	return &Error{Kind: KindInconsistentPagination, Endpoint: l.endpoint, Status: 200, Message: msg}
}

func (l *lister) tooMany(msg string) error {
	return &Error{Kind: KindTooManyItems, Endpoint: l.endpoint, Status: 200,
		Message: fmt.Sprintf("%s; the exporter reads at most %d", msg, l.maxItems)}
}
