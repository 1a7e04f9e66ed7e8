package collector

import (
	"context"
	"strconv"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

func init() {
	register(Definition{
		Name:            "account",
		DefaultInterval: 30 * time.Minute, // see README "Refresh intervals"
		BudgetShare:     0.05,
		Endpoint:        "/account",
		Help:            "Which CertCentral account the key belongs to (GET /account).",
		Permission:      "reading the account needs any valid key",
		New:             func(c *certcentral.Client, _ Options) Collector { return &accountCollector{client: c} },
	})
}

var accountInfoDesc = newDesc("account_info", "The CertCentral account the API key belongs to; always 1.",
	"account_id", "organization", "account_type")

type accountCollector struct {
	client *certcentral.Client
}

func (c *accountCollector) Collect(ctx context.Context, out *Output) error {
	a, err := c.client.Account(ctx)
	if err != nil {
		return err
	}
	out.requests++
	out.problems(a.Problems)
	out.gauge(accountInfoDesc, 1, strconv.FormatInt(a.ID, 10), a.PrimaryOrganizationName, a.CertCentralType)
	return nil
}
