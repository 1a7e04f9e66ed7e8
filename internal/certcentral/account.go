package certcentral

import "context"

// Account is the little of GET /account that identifies the account.
type Account struct {
	ID                      int64
	PrimaryOrganizationName string
	CertCentralType         string
	Problems                []string
}

type rawAccount struct {
	ID                      flexInt `json:"id"`
	PrimaryOrganizationName string  `json:"primary_organization_name"`
	CertCentralType         string  `json:"cert_central_type"`
	problems                []string
}

func (r *rawAccount) noteProblem(field string) { r.problems = append(r.problems, field) }

// Account reads GET /account.
func (c *Client) Account(ctx context.Context) (Account, error) {
	var r rawAccount
	err := c.getObject(ctx, "/account", nil, &r)
	id, ok := r.ID.id()
	return Account{ID: id, PrimaryOrganizationName: r.PrimaryOrganizationName,
		CertCentralType: r.CertCentralType, Problems: noteIfBad(r.problems, "id", !ok && err == nil)}, err
}
