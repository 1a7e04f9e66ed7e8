package collector

import (
	"cmp"
	"container/heap"
	"slices"
)

// ranked keeps per-item values with sort keys so that a cap on per-item series keeps the items
// that matter most (lowest keys first) instead of whichever the API listed first. With a
// limit it holds at most limit items while the list is read, the least urgent on top of a
// heap to be replaced by a more urgent one: memory follows the cap, not the list.
type ranked[T any] struct {
	limit   int // 0: keep every item
	items   rankedHeap[T]
	dropped int
}

type rankedItem[T any] struct {
	value T
	keys  [3]float64
}

func compareRanked[T any](a, b rankedItem[T]) int {
	for i := range a.keys {
		if c := cmp.Compare(a.keys[i], b.keys[i]); c != 0 {
			return c
		}
	}
	return 0
}

// rankedHeap is a max-heap: the least urgent item (the highest keys) is items[0].
type rankedHeap[T any] []rankedItem[T]

func (h rankedHeap[T]) Len() int           { return len(h) }
func (h rankedHeap[T]) Less(i, j int) bool { return compareRanked(h[i], h[j]) > 0 }
func (h rankedHeap[T]) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *rankedHeap[T]) Push(x any)        { *h = append(*h, x.(rankedItem[T])) }
func (h *rankedHeap[T]) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

func newRanked[T any](limit int) *ranked[T] { return &ranked[T]{limit: max(0, limit)} }

// capOr is a configured cap where 0 (or less) means the collector's default def, for the
// per-item series that must never be unlimited (unlike MaxCertificates, where 0 is).
func capOr(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

// add records v with its sort keys; id breaks ties so that the order does not depend on the
// order in which concurrently fetched pages arrived.
func (r *ranked[T]) add(v T, primary, secondary float64, id int64) {
	it := rankedItem[T]{value: v, keys: [3]float64{primary, secondary, float64(id)}}
	if r.limit == 0 {
		r.items = append(r.items, it)
		return
	}
	if len(r.items) < r.limit {
		heap.Push(&r.items, it)
		return
	}
	r.dropped++
	if compareRanked(it, r.items[0]) < 0 {
		r.items[0] = it
		heap.Fix(&r.items, 0)
	}
}

// top returns the kept items in key order and how many the limit left out.
func (r *ranked[T]) top() (kept []T, dropped int) {
	slices.SortStableFunc(r.items, compareRanked[T])
	kept = make([]T, len(r.items))
	for i := range kept {
		kept[i] = r.items[i].value
	}
	return kept, r.dropped
}

// protectedRanked is ranked with items that no cap may cut: those an alert or a dashboard
// panel needs. They are all kept however many they are (the list itself is bounded by
// certcentral.MaxListItems); the others fill what the cap leaves, lowest keys first.
type protectedRanked[T any] struct {
	limit     int
	protected []rankedItem[T]
	rest      *ranked[T]
}

func newProtectedRanked[T any](limit int) *protectedRanked[T] {
	return &protectedRanked[T]{limit: max(0, limit), rest: newRanked[T](limit)}
}

// add records v with its sort key; protect keeps it whatever the cap.
func (r *protectedRanked[T]) add(v T, key float64, id int64, protect bool) {
	if protect {
		r.protected = append(r.protected, rankedItem[T]{value: v, keys: [3]float64{key, 0, float64(id)}})
		return
	}
	r.rest.add(v, key, 0, id)
}

// top returns the protected items and as many others as the cap leaves room for, in key
// order, and how many were left out.
func (r *protectedRanked[T]) top() (kept []T, dropped int) {
	rest, dropped := r.rest.top()
	if r.limit > 0 {
		room := max(0, r.limit-len(r.protected))
		if len(rest) > room {
			dropped += len(rest) - room
			rest = rest[:room]
		}
	}
	slices.SortStableFunc(r.protected, compareRanked[T])
	kept = make([]T, 0, len(r.protected)+len(rest))
	for _, it := range r.protected {
		kept = append(kept, it.value)
	}
	return append(kept, rest...), dropped
}
