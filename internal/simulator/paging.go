package simulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

// Page size limits: 1000 is both the documented default and the maximum.
const (
	defaultLimit = 1000
	maxLimit     = 1000
)

// pageJSON is the page object of list endpoints; all three are JSON ints.
type pageJSON struct {
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// pageParams reads limit and offset. Values that do not parse, or are out
// of range, fall back to the default/clamped value rather than an error:
// the real API's answer to them is undocumented, and a lenient reading
// keeps the simulator from inventing an error body.
func pageParams(q url.Values) (limit, offset int) {
	limit = defaultLimit
	if v, err := strconv.Atoi(q.Get("limit")); err == nil && v > 0 {
		limit = min(v, maxLimit)
	}
	if v, err := strconv.Atoi(q.Get("offset")); err == nil && v > 0 {
		offset = v
	}
	return limit, offset
}

// pageOf walks items once, counting the matches and keeping the ones in
// the requested window, so a 100,000-order dataset costs no per-request
// copy.
func pageOf[T any](items []T, match func(*T) bool, limit, offset int) (out []*T, total int) {
	for i := range items {
		it := &items[i]
		if match != nil && !match(it) {
			continue
		}
		if total >= offset && len(out) < limit {
			out = append(out, it)
		}
		total++
	}
	return out, total
}

// okJSON marshals a 200 answer. Marshalling plain structs cannot fail, so
// an error here is a programming error worth a 500 rather than a panic.
func okJSON(v any) response {
	b, err := json.Marshal(v)
	if err != nil {
		return errorResponse(http.StatusInternalServerError, "internal_error", "render failed")
	}
	return response{http.StatusOK, b}
}
