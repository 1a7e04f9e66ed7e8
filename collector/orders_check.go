package collector

import (
	"context"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

// The orders collector checks for new orders between its full reads: a full read records
// what it saw of the list's newest end (Output.mark), and the check asks for the newest order
// only (one request) to tell whether orders were added since.

// Changed says whether the order list differs at its newest end from mark: another total, or
// another newest order. A newest order older than the one the full read saw means the API
// did not sort as asked, and the check cannot tell anything: errCheckUnusable.
func (c *ordersCollector) Changed(ctx context.Context, mark any) (bool, error) {
	seen, ok := mark.(certcentral.OrdersMark)
	if !ok {
		return true, nil
	}
	now, err := c.client.NewestOrder(ctx, seen.Filter)
	if err != nil {
		return false, err
	}
	if now.Total == seen.Total && now.Newest.Before(seen.Newest) {
		return false, errCheckUnusable
	}
	return now.Total != seen.Total || !now.Newest.Equal(seen.Newest), nil
}
