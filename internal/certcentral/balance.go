package certcentral

import (
	"context"
	"net/url"
	"strconv"
)

// Balance is the account's (or one division's) prepaid balance. Optional amounts are nil when
// the API left them out: negative_balance_limit and total_available_funds are omitted when the
// negative balance is unlimited.
type Balance struct {
	Currency                     string
	Balance                      *float64
	UnpaidInvoiceBalance         *float64
	UsedCreditFromOtherDivisions *float64
	NegativeBalanceLimit         *float64
	TotalAvailableFunds          *float64
	UnlimitedNegativeBalance     bool
	Problems                     []string
}

type rawBalance struct {
	Balance                       flexString `json:"balance"`
	Currency                      string     `json:"currency"`
	UnpaidInvoiceBalance          flexString `json:"unpaid_invoice_balance"`
	UsedCreditFromOtherContainers flexString `json:"used_credit_from_other_containers"`
	NegativeBalanceLimit          flexString `json:"negative_balance_limit"`
	TotalAvailableFunds           flexString `json:"total_available_funds"`
	UnlimitedNegativeBalance      flexBool   `json:"unlimited_negative_balance"`
	problems                      []string
}

func (r *rawBalance) noteProblem(field string) { r.problems = append(r.problems, field) }

func (r *rawBalance) balance() Balance {
	b := Balance{Currency: r.Currency, UnlimitedNegativeBalance: r.UnlimitedNegativeBalance.Value, Problems: r.problems}
	r.UnlimitedNegativeBalance.note(&b.Problems, "unlimited_negative_balance")
	for _, f := range []struct {
		field string
		raw   flexString
		dst   **float64
	}{
		{"balance", r.Balance, &b.Balance},
		{"unpaid_invoice_balance", r.UnpaidInvoiceBalance, &b.UnpaidInvoiceBalance},
		{"used_credit_from_other_containers", r.UsedCreditFromOtherContainers, &b.UsedCreditFromOtherDivisions},
		{"negative_balance_limit", r.NegativeBalanceLimit, &b.NegativeBalanceLimit},
		{"total_available_funds", r.TotalAvailableFunds, &b.TotalAvailableFunds},
	} {
		f.raw.note(&b.Problems, f.field)
		if !f.raw.Set || f.raw.Value == "" {
			continue
		}
		v, err := parseMoney(f.raw.Value)
		if err != nil {
			b.Problems = append(b.Problems, f.field)
			continue
		}
		*f.dst = &v
	}
	return b
}

// Balance reads GET /finance/balance. divisionID (container_id) is required by the API on
// accounts with several divisions; 0 leaves it out.
func (c *Client) Balance(ctx context.Context, divisionID int64) (Balance, error) {
	q := url.Values{}
	if divisionID != 0 {
		q.Set("container_id", strconv.FormatInt(divisionID, 10))
	}
	var r rawBalance
	err := c.getObject(ctx, "/finance/balance", q, &r)
	return r.balance(), err
}
