package collector

import (
	"cmp"
	"slices"
)

// ranked keeps per-item values with sort keys so that a cap on per-item series keeps the items
// that matter most (lowest keys first) instead of whichever the API listed first.
type ranked[T any] struct {
	items []rankedItem[T]
}

type rankedItem[T any] struct {
	value T
	keys  [3]float64
}

// add records v with its sort keys; id breaks ties so that the order does not depend on the
// order in which concurrently fetched pages arrived.
func (r *ranked[T]) add(v T, primary, secondary float64, id int64) {
	r.items = append(r.items, rankedItem[T]{value: v, keys: [3]float64{primary, secondary, float64(id)}})
}

// top returns up to limit items in key order (all of them when limit <= 0) and how many were
// left out.
func (r *ranked[T]) top(limit int) (kept []T, dropped int) {
	slices.SortStableFunc(r.items, func(a, b rankedItem[T]) int {
		for i := range a.keys {
			if c := cmp.Compare(a.keys[i], b.keys[i]); c != 0 {
				return c
			}
		}
		return 0
	})
	n := len(r.items)
	if limit > 0 && n > limit {
		dropped = n - limit
		n = limit
	}
	kept = make([]T, n)
	for i := range kept {
		kept[i] = r.items[i].value
	}
	return kept, dropped
}
