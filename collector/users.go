package collector

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

// UsersOptions configures the users collector.
type UsersOptions struct {
	// PerUser exports one series set per user (who, role, last sign-in). Off leaves only the
	// counts, for accounts that must not put names into Prometheus.
	PerUser bool
	// MaxUsers caps the per-user series sets (0 = unlimited). The riskiest users (highest role,
	// longest without sign-in) are kept; the rest are counted in
	// certcentral_collector_items_dropped.
	MaxUsers int
	Now      func() time.Time
}

func init() {
	register(Definition{
		Name:            "users",
		DefaultInterval: 5 * time.Minute, // see README "Refresh intervals"
		BudgetShare:     0.17,
		Endpoint:        "/user",
		Help:            "Users by role and status, and per user the last sign-in (GET /user).",
		Permission: "reading users needs a key with no restriction, View Only or User Management, " +
			"linked to an Administrator or Manager (an Orders-only key cannot read users)",
		New: func(c *certcentral.Client, o Options) Collector { return &usersCollector{client: c, opts: o.Users} },
	})
}

var (
	usersDesc = newDesc("users", "Number of users by access role (the highest role a user holds) and status.",
		"role", "status")
	usersNeverDesc = newDesc("users_never_logged_in", "Number of users who have never signed in, by access role.",
		"role")
	userLabels   = []string{"user_id", "username", "email", "role", "status"}
	userInfoDesc = newDesc("user_info", "Descriptive labels of a user; always 1.",
		"user_id", "username", "email", "first_name", "last_name", "role", "status", "type", "division")
	userLastLoginDesc = newDesc("user_last_login_timestamp_seconds",
		"When the user last signed in, as a Unix timestamp; absent for users who never signed in.", userLabels...)
	userDaysDesc = newDesc("user_days_since_last_login",
		"Whole days since the user last signed in; absent for users who never signed in.", userLabels...)
	userNeverDesc = newDesc("user_never_logged_in",
		"1 if the user has never signed in (CertCentral sends no last_login_date), else 0.", userLabels...)
)

// roleNames are the canonical names by role ID; metrics key off the ID because the glossary
// and the API disagree on casing.
var roleNames = map[int]string{
	certcentral.RoleAdministrator:  "Administrator",
	certcentral.RoleManager:        "Manager",
	certcentral.RoleFinanceManager: "Finance Manager",
	certcentral.RoleStandardUser:   "Standard User",
	certcentral.RoleLimitedUser:    "Limited User",
}

// rolePrecedence orders roles by what they can do, most powerful first, so that a user with
// several roles is labelled with the one that matters for an access review.
var rolePrecedence = []int{
	certcentral.RoleAdministrator, certcentral.RoleManager, certcentral.RoleFinanceManager,
	certcentral.RoleStandardUser, certcentral.RoleLimitedUser,
}

const noRole = "none"

// primaryRole returns the label for a user's roles: the most powerful known role, else the
// first unknown role's name as the API gives it.
func primaryRole(roles []certcentral.Role) (name string, rank int) {
	for i, id := range rolePrecedence {
		for _, r := range roles {
			if r.ID == id {
				return roleNames[id], i
			}
		}
	}
	if len(roles) == 0 {
		return noRole, len(rolePrecedence) + 1
	}
	if roles[0].Name != "" {
		return roles[0].Name, len(rolePrecedence)
	}
	return "role_" + strconv.Itoa(roles[0].ID), len(rolePrecedence)
}

type usersCollector struct {
	client *certcentral.Client
	opts   UsersOptions
}

type roleStatus struct{ role, status string }

func (c *usersCollector) Collect(ctx context.Context, out *Output) error {
	now := nowFunc(c.opts.Now)()
	counts := map[roleStatus]int{}
	never := map[string]int{}
	for _, id := range rolePrecedence { // known roles always present, so graphs start at 0
		counts[roleStatus{roleNames[id], "active"}] += 0
		never[roleNames[id]] += 0
	}
	perUser := newRanked[userSeries](c.opts.MaxUsers)
	noID := 0
	facts := userFacts{byID: map[int64]userFact{}}

	stats, err := c.client.ListUsers(ctx, func(u certcentral.User) {
		role, rank := primaryRole(u.Roles)
		status := labelOr(u.Status, "unknown")
		counts[roleStatus{role, status}]++
		facts.byID[u.ID] = userFact{role, status}
		if u.NeverLoggedIn() {
			never[role]++
		}
		out.problems(u.Problems)
		switch {
		case !c.opts.PerUser:
		case u.ID == 0: // no id to tell its series from another's (counted as unparsed)
			noID++
		default:
			us := userSeries{id: u.ID, username: u.Username, email: u.Email, firstName: u.FirstName, lastName: u.LastName,
				role: role, status: status, typ: u.Type, division: u.Division, never: u.NeverLoggedIn()}
			if !u.LastLogin.IsZero() {
				us.lastLogin = u.LastLogin.Unix()
			}
			// Riskiest first: powerful roles, then longest without sign-in (never = longest).
			perUser.add(us, float64(rank), float64(u.LastLogin.Unix()), u.ID)
		}
	})
	out.addList(stats)
	if err != nil {
		return err
	}
	for k, n := range counts {
		out.gauge(usersDesc, float64(n), k.role, k.status)
	}
	for role, n := range never {
		out.gauge(usersNeverDesc, float64(n), role)
	}
	out.facts = facts
	kept, dropped := perUser.top()
	out.dropped += dropped + noID
	for _, u := range kept {
		id := strconv.FormatInt(u.id, 10)
		out.gauge(userInfoDesc, 1, id, u.username, u.email, u.firstName, u.lastName, u.role, u.status, u.typ, u.division)
		out.gauge(userNeverDesc, boolValue(u.never), id, u.username, u.email, u.role, u.status)
		if u.lastLogin == 0 {
			continue // never signed in, or a date we could not read (counted as unparsed)
		}
		last := time.Unix(u.lastLogin, 0)
		out.gauge(userLastLoginDesc, float64(u.lastLogin), id, u.username, u.email, u.role, u.status)
		out.gauge(userDaysDesc, wholeDaysBetween(last, now), id, u.username, u.email, u.role, u.status)
	}
	return nil
}

// userSeries is what the per-user series need of a user, and all that is kept of one: every
// user of the account is held until the riskiest are chosen, up to certcentral.MaxListUsers.
type userSeries struct {
	id                                                                int64
	username, email, firstName, lastName, role, status, typ, division string
	lastLogin                                                         int64 // Unix seconds; 0 when none was read
	never                                                             bool
}

// wholeDaysBetween is the number of complete days from then to now, never negative (a
// sign-in a little in the future is clock skew, not a negative age).
func wholeDaysBetween(then, now time.Time) float64 {
	return math.Max(0, math.Floor(now.Sub(then).Hours()/24))
}

func labelOr(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

func nowFunc(f func() time.Time) func() time.Time {
	if f == nil {
		return time.Now
	}
	return f
}
