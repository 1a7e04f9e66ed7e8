package certcentral

import (
	"context"
	"fmt"
	"sync/atomic"
)

// An allowance bounds the requests sent with one context: the exporter gives each collection
// its collector's share of the request budget, so that a list that needs more (pages of one
// item, a total that keeps growing) fails that collection alone instead of spending what the
// other collectors need. Retries count, like every request the budget sees.
type allowance struct {
	limit int64
	left  atomic.Int64
}

type allowanceKey struct{}

// WithRequestAllowance returns a context whose calls may send at most n requests in all.
// n <= 0 means no bound.
func WithRequestAllowance(ctx context.Context, n int) context.Context {
	if n <= 0 {
		return ctx
	}
	a := &allowance{limit: int64(n)}
	a.left.Store(int64(n))
	return context.WithValue(ctx, allowanceKey{}, a)
}

func allowanceFrom(ctx context.Context) *allowance {
	a, _ := ctx.Value(allowanceKey{}).(*allowance)
	return a
}

// take spends one request; false when none is left.
func (a *allowance) take() bool {
	return a == nil || a.left.Add(-1) >= 0
}

// remaining is how many requests may still be sent; -1 without an allowance.
func (a *allowance) remaining() int64 {
	if a == nil {
		return -1
	}
	return max(0, a.left.Load())
}

func (a *allowance) spentMessage() string {
	return fmt.Sprintf("this collection sent all %d requests of its share of the request budget", a.limit)
}
