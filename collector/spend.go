package collector

// What the account spent on orders over the last day and week, from the orders' price. The
// order list gives a price but no currency; the account's currency is the balance's, so the
// spend is joined at scrape time with the balance collector's data (derived.go explains the
// facts). Without it the currency is "unknown": the amounts are still the account's own.

var spendDesc = newDesc("orders_spend",
	"Sum of the price of the orders created in the last 24h or 7d, by product, in the account's currency (the balance's; unknown when the balance collector has no data). Every order with a price counts, whatever its status; an order without one adds nothing. 0 included.",
	"product", "currency", "window")

// spendFacts are the sums of one orders collection.
type spendFacts struct {
	sums     map[[2]string]float64 // product, window -> sum of prices
	products []string              // every product of the collection, for the zeros
}

// emitSpend writes the spend of every product and window in the balance's currency.
func emitSpend(gauge gaugeFunc, s spendFacts, balance any) {
	currency := "unknown"
	if b, ok := balance.(balanceFacts); ok && b.currency != "" {
		currency = b.currency
	}
	for _, p := range s.products {
		for _, w := range issuanceWindows {
			gauge(spendDesc, s.sums[[2]string{p, w.label}], p, currency, w.label)
		}
	}
}
