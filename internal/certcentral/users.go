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

// Access role IDs as documented (docs/certcentral-api.md §10.1).
const (
	RoleAdministrator  = 1
	RoleLimitedUser    = 2
	RoleFinanceManager = 3
	RoleManager        = 4
	RoleStandardUser   = 5
)

// User is one CertCentral user as the list endpoint returns it.
type User struct {
	// ID is 0 when the API sent no usable id (absent, not an exact positive integer); such a
	// user is kept and counted, and "id" is in Problems.
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
	// LastLogin is the parsed LastLoginRaw; zero when absent, a zero date or unparseable.
	LastLogin time.Time
	// never is set when the API says the user never signed in: no last_login_date, or a zero
	// date such as "0000-00-00 00:00:00" standing in for none.
	never bool

	// Problems names fields whose values did not parse; the user is kept regardless.
	Problems []string
}

// NeverLoggedIn reports whether the API says the user has never signed in.
func (u *User) NeverLoggedIn() bool { return u.never }

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
func (r *rawUser) itemID() (int64, bool)    { return r.ID.id() }

func (r *rawUser) user() User {
	u := User{
		Username: r.Username, Email: r.Email, FirstName: r.FirstName,
		LastName: r.LastName, Status: r.Status, Type: r.Type, Division: r.Container.Name,
		Problems: r.problems,
	}
	u.ID = r.ID.identity(&u.Problems, "id")
	for _, ar := range r.AccessRoles {
		ar.ID.note(&u.Problems, "access_roles.id")
		u.Roles = append(u.Roles, Role{ID: int(ar.ID.Value), Name: ar.Name})
	}
	u.never = r.LastLoginDate == nil || *r.LastLoginDate == ""
	if !u.never {
		u.LastLoginRaw = *r.LastLoginDate
		t, err := ParseLastLogin(u.LastLoginRaw)
		switch {
		case err != nil:
			u.Problems = append(u.Problems, "last_login_date")
		case t.IsZero():
			u.never = true // a zero date: no sign-in
		default:
			u.LastLogin = t
		}
	}
	return u
}

// ListUsers reads every user of the account (GET /user) and hands each to fn.
func (c *Client) ListUsers(ctx context.Context, fn func(User)) (ListStats, error) {
	return listAll(ctx, c, "/user", "users", url.Values{}, MaxListUsers, func(r *rawUser) { fn(r.user()) })
}

// Me returns the user the API key belongs to (GET /user/me).
func (c *Client) Me(ctx context.Context) (User, error) {
	var r rawUser
	err := c.getObject(ctx, "/user/me", nil, &r)
	return r.user(), err
}
