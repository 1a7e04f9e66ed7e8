package collector

import (
	"context"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

func init() {
	register(Definition{
		Name:            "products",
		DefaultInterval: 30 * time.Minute, // see README "Refresh intervals"
		BudgetShare:     0.05,
		Endpoint:        "/product",
		Help:            "Certificate products the account can order (GET /product).",
		Permission:      "reading products needs a valid key; the list depends on the linked user's role and divisions",
		New:             func(c *certcentral.Client, _ Options) Collector { return &productsCollector{client: c} },
	})
}

var (
	productInfoDesc = newDesc("product_info", "A certificate product the account can order; always 1.",
		"name_id", "name", "type", "group")
	productsDesc = newDesc("products", "Number of products the account can order, by product group (group_name).",
		"group")
)

type productsCollector struct {
	client *certcentral.Client
}

func (c *productsCollector) Collect(ctx context.Context, out *Output) error {
	groups := map[string]int{}
	seen := map[[4]string]bool{}
	facts := productFacts{orderable: map[string]bool{}}
	stats, err := c.client.ListProducts(ctx, func(p certcentral.Product) {
		out.problems(p.Problems)
		group := labelOr(p.Group, "unknown")
		key := [4]string{p.NameID, p.Name, p.Type, group}
		if seen[key] { // a duplicate entry would make the registry refuse the whole scrape
			return
		}
		seen[key] = true
		facts.orderable[p.NameID] = true
		groups[group]++
		out.gauge(productInfoDesc, 1, p.NameID, p.Name, p.Type, group)
	})
	out.addList(stats)
	if err != nil {
		return err
	}
	for g, n := range groups {
		out.gauge(productsDesc, float64(n), g)
	}
	out.facts = facts
	return nil
}
