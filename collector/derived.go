package collector

import (
	"hash/maphash"
	"strconv"
	"strings"
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

// MaxJoinNames caps the names the orders collector keeps for the join: every distinct name of
// an unexpired certificate and each of its parent domains, as a 64-bit hash with a count, about
// 24 bytes each, so the join holds at most ~24 MiB however many names the certificates carry
// (10,000 certificates with 250 SANs each held 618 MB as strings). A million is ten times
// what the largest account we know needs (20,000 unexpired certificates with a few names
// each, and their parent domains). Certificates whose names no longer fit are counted in
// certcentral_collector_items_dropped{collector="orders"}.
const MaxJoinNames = 1_000_000

// joinSeed hashes names for the join; one per process, as facts never leave it.
var joinSeed = maphash.MakeSeed()

// hashName is a name's key in the join. Two names share one with a chance of about 2^-64
// per pair: a miscount no account will ever see, for a join that fits in bounded memory.
func hashName(name string) uint64 { return maphash.String(joinSeed, name) }

// orderFacts count, for each name and parent domain that an unexpired issued certificate
// names, the certificates naming it (each certificate once however many of its names fall
// under the same domain). The join then needs one lookup per expired domain.
type orderFacts struct {
	certsUnder map[uint64]uint32  // hash of a lower-case name -> certificates at or below it
	leftOut    int                // certificates with names that did not fit under MaxJoinNames
	issuance   orderIssuanceFacts // see issuance.go
	spend      spendFacts         // see spend.go
}

func newOrderFacts() orderFacts {
	return orderFacts{certsUnder: map[uint64]uint32{}, issuance: newOrderIssuanceFacts()}
}

// addCertificate counts one certificate under each of its names and their parent domains. A
// wildcard "*.example.com" counts as "example.com", the name whose DCV it depends on.
func (f *orderFacts) addCertificate(cn string, sans []string) {
	var mine map[uint64]struct{} // this certificate's hashes, so that it counts once under each
	fits := true
	add := func(name string) {
		h := hashName(name)
		if _, dup := mine[h]; dup {
			return
		}
		if mine == nil {
			mine = map[uint64]struct{}{}
		}
		mine[h] = struct{}{}
		if _, known := f.certsUnder[h]; !known && len(f.certsUnder) >= MaxJoinNames {
			fits = false
			return
		}
		f.certsUnder[h]++
	}
	for i := -1; i < len(sans); i++ {
		n := cn
		if i >= 0 {
			n = sans[i]
		}
		n = strings.TrimPrefix(strings.TrimSuffix(strings.ToLower(strings.TrimSpace(n)), "."), "*.")
		for cur := n; cur != ""; {
			add(cur)
			dot := strings.IndexByte(cur, '.')
			if dot < 0 {
				break
			}
			cur = cur[dot+1:]
		}
	}
	if !fits {
		f.leftOut++
	}
}

// emitDomainActiveCertificates gives, for each expired domain, the certificates with a name
// equal to it or below it.
func emitDomainActiveCertificates(gauge gaugeFunc, d domainFacts, o orderFacts) {
	for name, id := range d.expired {
		gauge(domainActiveCertsDesc, float64(o.certsUnder[hashName(name)]), strconv.FormatInt(id, 10), name)
	}
}
