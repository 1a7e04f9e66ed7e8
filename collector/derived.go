package collector

import (
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics derived from more than one collector. A domain whose DCV lapsed cannot be used to
// renew or reissue the certificates that name it, so the domains alone do not say how urgent
// the lapse is: the orders do. Both collectors leave "facts" in their results and the scrape
// joins the newest servable ones.

var domainActiveCertsDesc = newDesc("domain_active_certificates",
	"Unexpired issued certificates that name this domain or a subdomain of it. Exported for active domains whose DCV has expired, where renewals and reissues are blocked until DCV is redone.",
	"domain_id", "domain")

// domainFacts are the active domains whose DCV expired, by lower-case name.
type domainFacts struct {
	expired map[string]int64 // name -> domain id
	states  map[string]int   // active domains by DCV state, for the issuance blockers
}

// orderFacts are the names of every unexpired issued certificate, one slice per certificate.
type orderFacts struct {
	certNames [][]string
	issuance  orderIssuanceFacts // see issuance.go
}

// certificateNames returns the distinct lower-case names of a certificate. A wildcard
// "*.example.com" counts as "example.com", the name whose DCV it depends on.
func certificateNames(cn string, sans []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range append([]string{cn}, sans...) {
		n = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(n)), ".")
		n = strings.TrimPrefix(n, "*.")
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, n)
	}
	return out
}

// emitDomainActiveCertificates counts, for each expired domain, the certificates with a name
// equal to it or below it. It walks each name's parent domains, so the cost is the number of
// names times their depth, not names times domains.
func emitDomainActiveCertificates(ch chan<- prometheus.Metric, d domainFacts, o orderFacts) {
	if len(d.expired) == 0 {
		return
	}
	counts := make(map[string]int, len(d.expired))
	for name := range d.expired {
		counts[name] = 0
	}
	for _, names := range o.certNames {
		matched := map[string]bool{}
		for _, n := range names {
			for cur := n; cur != ""; {
				if _, ok := d.expired[cur]; ok {
					matched[cur] = true
				}
				dot := strings.IndexByte(cur, '.')
				if dot < 0 {
					break
				}
				cur = cur[dot+1:]
			}
		}
		for name := range matched {
			counts[name]++
		}
	}
	for name, n := range counts {
		ch <- prometheus.MustNewConstMetric(domainActiveCertsDesc, prometheus.GaugeValue, float64(n),
			strconv.FormatInt(d.expired[name], 10), name)
	}
}
