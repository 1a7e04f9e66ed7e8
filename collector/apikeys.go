package collector

import (
	"context"
	"strconv"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

// APIKeysOptions configures the api_keys collector.
type APIKeysOptions struct {
	// MaxKeys caps the per-key series sets (0 = DefaultMaxKeys); active unrestricted keys
	// and those unused longest are kept first.
	MaxKeys int
}

// DefaultMaxKeys is the default APIKeysOptions.MaxKeys.
const DefaultMaxKeys = 10000

func init() {
	register(Definition{
		Name:            "api_keys",
		DefaultInterval: 30 * time.Minute, // see README "Refresh intervals"
		BudgetShare:     0.02,
		Endpoint:        "/key",
		Help:            "API keys and ACME directory URLs: owner, restriction, last use (GET /key). Off by default: listing every key needs an Administrator.",
		Permission: "listing API keys needs a key with no restriction or View Only, linked to an Administrator " +
			"(keys of other users are an Administrator's to see); the collector is off by default for that reason",
		New:        func(c *certcentral.Client, o Options) Collector { return &apiKeysCollector{client: c, opts: o.APIKeys} },
		DefaultOff: true,
	})
}

// Key kinds, as the kind label.
const (
	keyKindAPI  = "api_key"
	keyKindACME = "acme"
)

// restrictionNames name restricted_to_role_id as a label (docs/certcentral-api.md §10.2).
var restrictionNames = map[int64]string{
	certcentral.RestrictionNone:                       "none",
	certcentral.RestrictionOrders:                     "orders",
	certcentral.RestrictionOrdersDomainsOrganizations: "orders_domains_organizations",
	certcentral.RestrictionViewOnly:                   "view_only",
	certcentral.RestrictionUserManagement:             "user_management",
}

// restrictionLabel is the restriction's name, "role_<id>" for an id we do not know, and
// "unknown" when the key came without a readable one: never "none" unless the API said 0.
func restrictionLabel(k certcentral.APIKey) string {
	if !k.HasRestriction {
		return "unknown"
	}
	if n, ok := restrictionNames[k.Restriction]; ok {
		return n
	}
	return "role_" + strconv.FormatInt(k.Restriction, 10)
}

var (
	apiKeysDesc = newDesc("api_keys",
		"Number of API keys (ACME directory URLs not included) by status and restriction (none, view_only, orders, orders_domains_organizations, user_management, role_<id>).",
		"status", "restriction")
	acmeDirectoriesDesc = newDesc("acme_directories",
		"Number of ACME directory URLs by product (name_id) and status. The URLs are credentials and are never exported.",
		"product", "status")
	apiKeyLabels   = []string{"key_id", "name"}
	apiKeyInfoDesc = newDesc("api_key_info",
		"Descriptive labels of an API key or ACME directory URL (kind api_key or acme); always 1. owner_id is the linked user: join certcentral_user_info on user_id for the name.",
		"key_id", "name", "kind", "owner_id", "status", "restriction", "legacy", "product")
	apiKeyCreatedDesc = newDesc("api_key_created_timestamp_seconds",
		"When the API key or ACME directory URL was created, as a Unix timestamp.", apiKeyLabels...)
	apiKeyLastUsedDesc = newDesc("api_key_last_used_timestamp_seconds",
		"When the API key or ACME directory URL was last used, as a Unix timestamp; absent when it was never used.", apiKeyLabels...)
	apiKeyNeverUsedDesc = newDesc("api_key_never_used",
		"1 if the API key or ACME directory URL has never been used (CertCentral sends no last_used_date), else 0.", apiKeyLabels...)
)

type apiKeysCollector struct {
	client *certcentral.Client
	opts   APIKeysOptions
}

func (c *apiKeysCollector) Collect(ctx context.Context, out *Output) error {
	statuses, restrictions, products := newBoundedLabel(), newBoundedLabel(), newBoundedLabel()
	type keyCount struct{ status, restriction string }
	keys := map[keyCount]int{}
	for _, r := range []string{"none", "view_only", "orders", "orders_domains_organizations", "user_management"} {
		keys[keyCount{statuses.value("active", ""), restrictions.value(r, "")}] += 0
	}
	type acmeCount struct{ product, status string }
	acme := map[acmeCount]int{}
	perKey := newRanked[certcentral.APIKey](capOr(c.opts.MaxKeys, DefaultMaxKeys))
	noID := 0
	stats, err := c.client.ListAPIKeys(ctx, func(k certcentral.APIKey) {
		out.problems(k.Problems)
		k.Status = statuses.value(k.Status, "unknown")
		if k.ACME {
			k.ProductNameID = products.value(k.ProductNameID, "unknown")
			acme[acmeCount{k.ProductNameID, k.Status}]++
		} else {
			keys[keyCount{k.Status, restrictions.value(restrictionLabel(k), "")}]++
		}
		// For a review: active before revoked, unrestricted before restricted, then unused
		// longest (never used first).
		rank := 2.0
		if k.Status == "active" {
			rank = 1
			if !k.ACME && k.HasRestriction && k.Restriction == certcentral.RestrictionNone {
				rank = 0
			}
		}
		if k.ID == 0 { // no id to tell its series from another's (counted as unparsed)
			noID++
			return
		}
		perKey.add(k, rank, float64(k.LastUsed.Unix()), k.ID)
	})
	out.addList(stats)
	if err != nil {
		return err
	}
	for k, n := range keys {
		out.gauge(apiKeysDesc, float64(n), k.status, k.restriction)
	}
	for k, n := range acme {
		out.gauge(acmeDirectoriesDesc, float64(n), k.product, k.status)
	}
	kept, dropped := perKey.top()
	out.dropped += dropped + noID
	facts := apiKeyFacts{}
	seen := map[int64]bool{}
	for _, k := range kept {
		if seen[k.ID] {
			continue // an id the API repeated: one series set
		}
		seen[k.ID] = true
		id := strconv.FormatInt(k.ID, 10)
		kind, restriction, product := keyKindAPI, restrictionLabel(k), ""
		if k.ACME {
			kind, product = keyKindACME, k.ProductNameID
		}
		out.gauge(apiKeyInfoDesc, 1, id, k.Name, kind, strconv.FormatInt(k.UserID, 10), k.Status, restriction,
			strconv.FormatBool(k.Legacy), product)
		out.gauge(apiKeyNeverUsedDesc, boolValue(k.NeverUsed), id, k.Name)
		if !k.Created.IsZero() {
			out.gauge(apiKeyCreatedDesc, float64(k.Created.Unix()), id, k.Name)
		}
		if !k.LastUsed.IsZero() {
			out.gauge(apiKeyLastUsedDesc, float64(k.LastUsed.Unix()), id, k.Name)
		}
		facts.keys = append(facts.keys, keyOwner{id: id, name: k.Name, ownerID: k.UserID})
	}
	out.facts = facts
	return nil
}
