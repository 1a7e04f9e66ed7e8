package certcentral

import (
	"bytes"
	"context"
	"net/url"
	"time"
)

// APIKey restrictions (restricted_to_role_id; docs/certcentral-api.md §10.2).
const (
	RestrictionNone                       = 0
	RestrictionOrders                     = 100
	RestrictionOrdersDomainsOrganizations = 101
	RestrictionViewOnly                   = 102
	RestrictionUserManagement             = 103
)

// APIKey is one entry of GET /key: an API key or an ACME directory URL. The key itself is
// never returned by the API, and the ACME directory URL, which is a credential too (whoever
// holds it can order certificates), is never decoded: only whether the entry has one.
type APIKey struct {
	ID     int64
	Name   string
	UserID int64  // the user the key is linked to; 0 when absent
	Status string // "active" or "revoked"; free string
	// Restriction is restricted_to_role_id; HasRestriction is false when the field was
	// absent or unreadable, so that an unknown restriction is never taken for "none".
	Restriction    int64
	HasRestriction bool
	Legacy         bool
	Created        time.Time // zero when absent or unparseable
	// LastUsed is zero when the key was never used (last_used_date absent) or the date did
	// not parse; NeverUsed tells the two apart.
	LastUsed  time.Time
	NeverUsed bool
	// ACME is true for ACME directory URL entries; ProductNameID is their product.
	ACME          bool
	ProductNameID string
	Problems      []string
}

// presence records whether a JSON value is present and not null or "", and keeps nothing of
// it: the ACME directory URL must not live in memory where a log line or a dump could show it.
type presence bool

func (p *presence) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*p = presence(!bytes.Equal(b, []byte("null")) && !bytes.Equal(b, []byte(`""`)))
	return nil
}

type rawAPIKey struct {
	ID   flexInt `json:"id"`
	User struct {
		ID flexInt `json:"id"`
	} `json:"user"`
	Status        string     `json:"status"`
	CreateDate    string     `json:"create_date"`
	LastUsedDate  flexString `json:"last_used_date"`
	Name          string     `json:"name"`
	IsLegacy      flexBool   `json:"is_legacy"`
	RestrictedTo  flexInt    `json:"restricted_to_role_id"`
	ACMEDirectory presence   `json:"acme_directory_url"`
	ProductNameID string     `json:"product_name_id"`
	problems      []string
}

func (r *rawAPIKey) noteProblem(field string) { r.problems = append(r.problems, field) }
func (r *rawAPIKey) itemID() (int64, bool)    { return r.ID.id() }

func (r *rawAPIKey) apiKey() APIKey {
	k := APIKey{
		Name: r.Name, UserID: r.User.ID.Value, Status: r.Status,
		Restriction: r.RestrictedTo.Value, HasRestriction: r.RestrictedTo.Valid,
		Legacy: r.IsLegacy.Value, ACME: bool(r.ACMEDirectory), ProductNameID: r.ProductNameID,
		Problems: r.problems,
	}
	k.ID = r.ID.identity(&k.Problems, "id")
	r.User.ID.note(&k.Problems, "user.id")
	r.IsLegacy.note(&k.Problems, "is_legacy")
	r.RestrictedTo.note(&k.Problems, "restricted_to_role_id")
	k.Created = parseOptionalTime(r.CreateDate, ParseTimestamp, &k.Problems, "create_date")
	r.LastUsedDate.note(&k.Problems, "last_used_date")
	switch {
	case r.LastUsedDate.Bad: // present but unreadable: used, we cannot tell when
	case !r.LastUsedDate.Set || r.LastUsedDate.Value == "":
		k.NeverUsed = true // absent, as for the documentation's never-used revoked key
	default:
		k.LastUsed = parseOptionalTime(r.LastUsedDate.Value, ParseTimestamp, &k.Problems, "last_used_date")
	}
	return k
}

// ListAPIKeys reads every API key and ACME directory URL entry (GET /key) and hands each to
// fn. Whether the list is paged is not documented: a body without a page object is the whole
// list, one with a page object is paged like the other lists.
func (c *Client) ListAPIKeys(ctx context.Context, fn func(APIKey)) (ListStats, error) {
	return listAll(ctx, c, "/key", "api_keys", url.Values{}, MaxListItems, func(r *rawAPIKey) { fn(r.apiKey()) })
}
