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
	a := Account{PrimaryOrganizationName: r.PrimaryOrganizationName, CertCentralType: r.CertCentralType, Problems: r.problems}
	if err == nil { // a failed read has no id to miss: the error says what went wrong
		a.ID = r.ID.identity(&a.Problems, "id")
	}
	return a, err
}
