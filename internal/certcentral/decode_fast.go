package certcentral

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// Decoding list pages is most of a large account's collection: 100 pages of 1,000 orders.
// encoding/json decodes one item at a time at about 90 MB/s, scanning it twice (once to find
// its end, once to decode it, with reflection). github.com/go-json-experiment/json, the
// module of encoding/json/v2 (in the standard library from Go 1.27, as an experiment in 1.25
// and 1.26), streams and decodes an item in one pass at about twice that speed.
//
// Its semantics differ from encoding/json's on bad input: a field of the wrong type fails the
// whole item instead of being skipped and named. So the fast path reads each item with
// options that make it read well-formed items exactly as encoding/json does (names matched
// case-insensitively, duplicate names and invalid UTF-8 accepted, a null after a value keeps
// the value, objects given twice merge), and when it cannot read an
// item, the rest of the body from that item on is read by encoding/json (decodeListStd), with
// its tolerance: the field of the wrong type is named in the item's Problems and the item
// kept, syntax errors are encoding/json's. FuzzDecode* compare both paths on every input.

// itemOptions make the fast path read a well-formed item as encoding/json does.
var itemOptions = jsonv2.JoinOptions(jsonv2.MatchCaseInsensitiveNames(true), jsonv1.MatchCaseSensitiveDelimiter(true),
	jsonv1.MergeWithLegacySemantics(true), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))

// decodeList streams one list body: it walks the top-level object, hands every element of
// the collection array to fn one at a time (so a page is never held twice in memory) and
// returns the page object if there was one. An absent collection key is an empty list.
// fn may stop the read by returning an error, which decodeList returns.
func decodeList[R any](r io.Reader, collection string, fn func(*R) error) (pg *page, items int, err error) {
	rec := &recordingReader{r: r}
	dec := jsontext.NewDecoder(rec, itemOptions)
	marker, _ := r.(valueMarker)
	mark := func() {
		if marker != nil {
			marker.markValue(dec.InputOffset())
		}
	}
	if err := expectKind(dec, '{'); err != nil {
		return nil, 0, err
	}
	for dec.PeekKind() != '}' {
		mark()
		name, err := dec.ReadToken()
		if err != nil {
			return nil, items, err
		}
		if name.Kind() != '"' {
			return nil, items, fmt.Errorf("%w: want an object name, got %v", errShape, name)
		}
		mark()
		switch name.String() {
		case collection:
			n, from, err := decodeArrayFast(dec, rec, mark, fn)
			items += n
			if err != nil {
				return nil, items, fmt.Errorf("%q: %w", collection, err)
			}
			if from >= 0 {
				// The rest of the body, from the item the fast path could not read, is the
				// remainder of this array inside an object: encoding/json reads it so.
				sep, ok := separatorLen(rec.since(from), n > 0)
				if !ok {
					return nil, items, fmt.Errorf("%q: %w: no comma after an array element", collection, errShape)
				}
				from += int64(sep)
				prefix := listPrefix(collection)
				rest := io.MultiReader(bytes.NewReader(prefix), bytes.NewReader(rec.since(from)), r)
				var markAt func(int64)
				if marker != nil {
					markAt = func(off int64) { marker.markValue(from + max(0, off-int64(len(prefix)))) }
				}
				pg2, m, err := decodeListStd(rest, collection, fn, markAt)
				if pg2 != nil {
					pg = pg2
				}
				return pg, items + m, err
			}
		case "page":
			raw, err := dec.ReadValue()
			if err != nil {
				return nil, items, fmt.Errorf("page: %w", err)
			}
			var p page
			if err := json.Unmarshal(raw, &p); err != nil {
				return nil, items, fmt.Errorf("page: %w", err)
			}
			pg = &p
		default:
			if err := dec.SkipValue(); err != nil {
				return nil, items, err
			}
		}
		rec.forget(dec.InputOffset())
	}
	if err := expectKind(dec, '}'); err != nil {
		return nil, items, err
	}
	return pg, items, nil
}

// listPrefix opens an object with the collection's array, before the rest of a body.
func listPrefix(collection string) []byte {
	return []byte("{" + strconv.Quote(collection) + ":[")
}

// separatorLen is the length of what stands between the end of one array element and the
// start of the next (white space, and the comma when comma says an element came before) at
// the start of b; ok is false when the comma is missing.
func separatorLen(b []byte, comma bool) (n int, ok bool) {
	for n < len(b) && (b[n] == ' ' || b[n] == '\t' || b[n] == '\n' || b[n] == '\r') {
		n++
	}
	if !comma {
		return n, true
	}
	if n < len(b) && b[n] == ',' {
		return n + 1, true
	}
	// Nothing more (a truncated body: encoding/json says so) or the end of the array.
	return n, n == len(b) || b[n] == ']'
}

// decodeArrayFast reads the collection's array. from is -1 when it read the whole array, or
// the input offset of the first item it could not read: the caller reads the rest from there.
func decodeArrayFast[R any](dec *jsontext.Decoder, rec *recordingReader, mark func(), fn func(*R) error) (n int, from int64, err error) {
	if dec.PeekKind() == 'n' { // "users": null
		_, err := dec.ReadToken()
		return 0, -1, err
	}
	if err := expectKind(dec, '['); err != nil {
		return 0, -1, err
	}
	for dec.PeekKind() != ']' {
		mark()
		start := dec.InputOffset()
		rec.forget(start)
		item := new(R)
		if err := jsonv2.UnmarshalDecode(dec, item, itemOptions); err != nil {
			return n, start, nil
		}
		n++
		if err := fn(item); err != nil {
			return n, -1, err
		}
	}
	_, err = dec.ReadToken() // ']'
	return n, -1, err
}

func expectKind(dec *jsontext.Decoder, want jsontext.Kind) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	if tok.Kind() != want {
		return fmt.Errorf("%w: want %q, got %v", errShape, want, tok)
	}
	return nil
}

// recordingReader keeps the bytes read from the offset last given to forget on, so that the
// value being decoded can be read again from its start. What it keeps is bounded like the
// decoder's own buffer: one value (at most MaxValueBytes) and what was read ahead of it.
type recordingReader struct {
	r     io.Reader
	buf   []byte // buf[off:] is kept; buf[:off] is forgotten, reused once it is half of buf
	off   int
	start int64 // input offset of buf[off]
}

func (rr *recordingReader) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	rr.buf = append(rr.buf, p[:n]...)
	return n, err
}

// forget drops what was read before offset.
func (rr *recordingReader) forget(offset int64) {
	drop := int(min(offset-rr.start, int64(len(rr.buf)-rr.off)))
	if drop <= 0 {
		return
	}
	rr.off += drop
	rr.start += int64(drop)
	if rr.off > len(rr.buf)/2 {
		rr.buf = rr.buf[:copy(rr.buf, rr.buf[rr.off:])]
		rr.off = 0
	}
}

// since returns what was read from offset on.
func (rr *recordingReader) since(offset int64) []byte {
	kept := rr.buf[rr.off:]
	return kept[min(int64(len(kept)), max(0, offset-rr.start)):]
}
