package collector

import (
	"github.com/prometheus/client_golang/prometheus"
	"time"

	"context"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

// BalanceOptions configures the balance collector.
type BalanceOptions struct {
	// DivisionID is sent as container_id; CertCentral requires it on accounts with several
	// divisions. 0 leaves it out.
	DivisionID int64
}

func init() {
	register(Definition{
		Name:            "balance",
		DefaultInterval: 5 * time.Minute, // see README "Refresh intervals"
		BudgetShare:     0.05,
		Endpoint:        "/finance/balance",
		Help:            "Prepaid balance, unpaid invoices and available funds (GET /finance/balance).",
		Permission: "reading the balance needs the key's linked user to be an Administrator, Manager " +
			"or Finance Manager, and a key restriction that allows it (none or View Only)",
		New: func(c *certcentral.Client, o Options) Collector { return &balanceCollector{client: c, opts: o.Balance} },
	})
}

var (
	balanceDesc = newDesc("account_balance", "Account balance in its currency (negative when credit is used).",
		"currency")
	unpaidDesc = newDesc("account_unpaid_invoice_balance", "Amount of unpaid invoices in the account currency.",
		"currency")
	negLimitDesc = newDesc("account_negative_balance_limit",
		"How far the balance may go below zero; absent when the negative balance is unlimited.", "currency")
	fundsDesc = newDesc("account_available_funds",
		"Funds available for new orders (balance + negative balance limit - unpaid invoices - credit used by other divisions); absent when unlimited.",
		"currency")
	usedOtherDesc = newDesc("account_used_credit_from_other_divisions",
		"Credit used by other divisions, in the account currency.", "currency")
	unlimitedDesc = newDesc("account_unlimited_negative_balance",
		"1 if the account may go below zero without limit, else 0.")
)

type balanceCollector struct {
	client *certcentral.Client
	opts   BalanceOptions
}

func (c *balanceCollector) Collect(ctx context.Context, out *Output) error {
	b, err := c.client.Balance(ctx, c.opts.DivisionID)
	if err != nil {
		return err
	}
	out.requests++
	out.problems(b.Problems)
	currency := labelOr(b.Currency, "unknown")
	for _, m := range []struct {
		value *float64
		desc  *prometheus.Desc
	}{
		{b.Balance, balanceDesc}, {b.UnpaidInvoiceBalance, unpaidDesc}, {b.NegativeBalanceLimit, negLimitDesc},
		{b.TotalAvailableFunds, fundsDesc}, {b.UsedCreditFromOtherDivisions, usedOtherDesc},
	} {
		if m.value != nil {
			out.gauge(m.desc, *m.value, currency)
		}
	}
	out.gauge(unlimitedDesc, boolValue(b.UnlimitedNegativeBalance))
	out.facts = balanceFacts{currency: currency, available: b.TotalAvailableFunds, balance: b.Balance, unlimited: b.UnlimitedNegativeBalance}
	return nil
}
