package collector

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/certcentral-exporter/certcentral_exporter/internal/budget"
)

var (
	budgetLimitDesc = newDesc("api_budget_limit_requests",
		"Requests the exporter allows itself per rolling window (DigiCert allows 1000 per 180 s and 100 per 5 s per key).", "window_seconds")
	budgetUsedDesc = newDesc("api_budget_used_requests",
		"Requests sent within the rolling window ending now.", "window_seconds")
	budgetWaitDesc = newDesc("api_budget_wait_seconds_total",
		"Time API calls spent waiting for the request budget.")
	budgetRefusedDesc = newDesc("api_budget_refused_total",
		"API calls not sent because the budget had no room before their deadline.")
)

type budgetCollector struct{ l *budget.Limiter }

// RegisterBudgetMetrics exports the limiter's configuration and usage on reg.
func RegisterBudgetMetrics(reg prometheus.Registerer, l *budget.Limiter) {
	reg.MustRegister(budgetCollector{l})
}

func (b budgetCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- budgetLimitDesc
	ch <- budgetUsedDesc
	ch <- budgetWaitDesc
	ch <- budgetRefusedDesc
}

func (b budgetCollector) Collect(ch chan<- prometheus.Metric) {
	st := b.l.Stats()
	for i, w := range b.l.Windows() {
		window := strconv.FormatFloat(w.Per.Seconds(), 'f', -1, 64)
		ch <- prometheus.MustNewConstMetric(budgetLimitDesc, prometheus.GaugeValue, float64(w.Limit), window)
		ch <- prometheus.MustNewConstMetric(budgetUsedDesc, prometheus.GaugeValue, float64(st.InWindow[i]), window)
	}
	ch <- prometheus.MustNewConstMetric(budgetWaitDesc, prometheus.CounterValue, st.Waited.Seconds())
	ch <- prometheus.MustNewConstMetric(budgetRefusedDesc, prometheus.CounterValue, float64(st.Refused))
}
