package certcentral

import (
	"context"
	"net/url"
	"time"
)

// Role is one of a user's access roles. Key on ID; Name is what the API says.
type Role struct {
	ID   int
	Name string
}

// Access role IDs as documented (shared/certcentral-api.md §10.1).
const (
	RoleAdministrator  = 1
	RoleLimitedUser    = 2
	RoleFinanceManager = 3
	RoleManager        = 4
	RoleStandardUser   = 5
)

// User is one CertCentral user as the list endpoint returns it.
type User struct {
	ID        int64
	Username  string
	Email     string
	FirstName string
	LastName  string
	Status    string // "active" in every real sample; kept as the raw string
	Type      string
	Roles     []Role
	Division  string // container name

	// LastLoginRaw is the API's last_login_date as sent; empty when the key was absent, which
	// is how the API says the user never signed in.
	LastLoginRaw string
	// LastLogin is the parsed LastLoginRaw; zero when absent or unparseable.
	LastLogin time.Time

	// Problems names fields whose values did not parse; the user is kept regardless.
	Problems []string
}

// NeverLoggedIn reports whether the API says the user has never signed in.
func (u *User) NeverLoggedIn() bool { return u.LastLoginRaw == "" }

type rawUser struct {
	ID            flexInt `json:"id"`
	Username      string  `json:"username"`
	Email         string  `json:"email"`
	FirstName     string  `json:"first_name"`
	LastName      string  `json:"last_name"`
	Status        string  `json:"status"`
	Type          string  `json:"type"`
	LastLoginDate *string `json:"last_login_date"`
	AccessRoles   []struct {
		ID   flexInt `json:"id"`
		Name string  `json:"name"`
	} `json:"access_roles"`
	Container struct {
		Name string `json:"name"`
	} `json:"container"`
	problems []string
}

func (r *rawUser) noteProblem(field string) { r.problems = append(r.problems, field) }
func (r *rawUser) itemID() int64            { return int64(r.ID) }

func (r *rawUser) user() User {
	u := User{
		ID: int64(r.ID), Username: r.Username, Email: r.Email, FirstName: r.FirstName,
		LastName: r.LastName, Status: r.Status, Type: r.Type, Division: r.Container.Name,
		Problems: r.problems,
	}
	for _, ar := range r.AccessRoles {
		u.Roles = append(u.Roles, Role{ID: int(ar.ID), Name: ar.Name})
	}
	if r.LastLoginDate != nil && *r.LastLoginDate != "" {
		u.LastLoginRaw = *r.LastLoginDate
		t, err := ParseLastLogin(u.LastLoginRaw)
		if err != nil {
			u.Problems = append(u.Problems, "last_login_date")
		} else {
			u.LastLogin = t
		}
	}
	return u
}

// ListUsers reads every user of the account (GET /user) and hands each to fn.
func (c *Client) ListUsers(ctx context.Context, fn func(User)) (ListStats, error) {
	return listAll(ctx, c, "/user", "users", url.Values{}, func(r *rawUser) { fn(r.user()) })
}

// Me returns the user the API key belongs to (GET /user/me).
func (c *Client) Me(ctx context.Context) (User, error) {
	var r rawUser
	err := c.getObject(ctx, "/user/me", nil, &r)
	return r.user(), err
}
