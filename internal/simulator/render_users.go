package simulator

import (
	"fmt"
	"hash/fnv"
	"net/url"
	"strconv"
	"strings"
)

type containerJSON struct {
	ID         int    `json:"id"`
	PublicID   string `json:"public_id"`
	Name       string `json:"name"`
	ParentID   int    `json:"parent_id"`
	TemplateID int    `json:"template_id"`
	Ekey       string `json:"ekey"`
	HasLogo    bool   `json:"has_logo"`
	IsActive   bool   `json:"is_active"`
}

type roleJSON struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// userJSON is a /user list item. Optional strings use omitempty because
// the API omits unset job_title, telephone and last_login_date instead of
// sending "" or null.
type userJSON struct {
	ID                      int            `json:"id"`
	Username                string         `json:"username"`
	AccountID               int            `json:"account_id"`
	FirstName               string         `json:"first_name"`
	LastName                string         `json:"last_name"`
	Email                   string         `json:"email"`
	JobTitle                string         `json:"job_title,omitempty"`
	Telephone               string         `json:"telephone,omitempty"`
	Status                  string         `json:"status"`
	LastLoginDate           string         `json:"last_login_date,omitempty"`
	Container               *containerJSON `json:"container,omitempty"`
	AccessRoles             []roleJSON     `json:"access_roles"`
	Type                    string         `json:"type"`
	HasContainerAssignments bool           `json:"has_container_assignments"`
}

// userInfoJSON is GET /user/me: the list fields plus the user-info extras.
type userInfoJSON struct {
	userJSON
	IsCertCentral       bool            `json:"is_cert_central"`
	IsEnterprise        bool            `json:"is_enterprise"`
	IsSAMLSSOOnly       bool            `json:"is_saml_sso_only"`
	LanguageID          int             `json:"language_id"`
	AccountLanguageID   int             `json:"account_language_id"`
	ContainerVisibility []containerJSON `json:"container_visibility"`
}

// opaque derives a stable hex token (container public_id, ekey) from a seed.
func opaque(seed string, n int) string {
	h := fnv.New128a()
	h.Write([]byte(seed))
	return fmt.Sprintf("%x", h.Sum(nil))[:n]
}

func renderContainer(a Account, id int, name string) containerJSON {
	parent := 0
	if id != a.RootContainerID {
		parent = a.RootContainerID
	}
	return containerJSON{
		ID: id, PublicID: opaque(fmt.Sprint("pub", id), 32), Name: name, ParentID: parent,
		TemplateID: 1, Ekey: opaque(fmt.Sprint("ekey", id), 20), IsActive: true,
	}
}

func renderUser(ds *Dataset, u *User, withContainer bool) userJSON {
	j := userJSON{
		ID: u.ID, Username: u.Username, AccountID: ds.Account.ID,
		FirstName: u.FirstName, LastName: u.LastName, Email: u.Email,
		JobTitle: u.JobTitle, Telephone: u.Telephone, Status: u.Status,
		Type: u.Type, AccessRoles: make([]roleJSON, 0, len(u.RoleIDs)),
	}
	if j.Type == "" {
		j.Type = "standard"
	}
	if u.LastLogin != nil {
		j.LastLoginDate = fmtLastLogin(*u.LastLogin, u.LastLoginLegacyFormat)
	}
	if withContainer {
		c := renderContainer(ds.Account, u.ContainerID, u.ContainerName)
		j.Container = &c
	}
	for _, r := range u.RoleIDs {
		j.AccessRoles = append(j.AccessRoles, roleJSON{r, RoleName(r)})
	}
	return j
}

// renderUsers answers GET /user with access_role_id, container_id,
// filters[search] (substring of username, email or names) and
// without_container=true.
func renderUsers(ds *Dataset, q url.Values) response {
	limit, offset := pageParams(q)
	roleID, _ := strconv.Atoi(q.Get("access_role_id"))
	containerID, _ := strconv.Atoi(q.Get("container_id"))
	search := strings.ToLower(strings.TrimPrefix(q.Get("filters[search]"), "%"))
	match := func(u *User) bool {
		if roleID != 0 && !u.HasRole(roleID) {
			return false
		}
		if containerID != 0 && u.ContainerID != containerID {
			return false
		}
		if search != "" && !strings.Contains(strings.ToLower(u.Username+" "+u.Email+" "+u.FirstName+" "+u.LastName), search) {
			return false
		}
		return true
	}
	items, total := pageOf(ds.Users, match, limit, offset)
	body := struct {
		Users []userJSON `json:"users,omitempty"`
		Page  pageJSON   `json:"page"`
	}{Page: pageJSON{total, limit, offset}}
	withContainer := q.Get("without_container") != "true"
	for _, u := range items {
		body.Users = append(body.Users, renderUser(ds, u, withContainer))
	}
	return okJSON(body)
}

// renderUserMe answers GET /user/me for the key's user.
func renderUserMe(ds *Dataset, u *User) response {
	c := renderContainer(ds.Account, u.ContainerID, u.ContainerName)
	return okJSON(userInfoJSON{
		userJSON:      renderUser(ds, u, true),
		IsCertCentral: true, IsEnterprise: ds.Account.CertCentralType == "enterprise",
		LanguageID: 1, AccountLanguageID: 1,
		ContainerVisibility: []containerJSON{c},
	})
}
