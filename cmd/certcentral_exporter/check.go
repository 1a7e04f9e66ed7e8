package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/certcentral-exporter/certcentral_exporter/collector"
	"github.com/certcentral-exporter/certcentral_exporter/config"
	"github.com/certcentral-exporter/certcentral_exporter/internal/accounts"
	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

// Exit codes of `check`: scripts tell "the key cannot read" from "check could not even start".
const (
	checkOK       = 0
	checkFailed   = 1 // at least one enabled collector cannot read
	checkSetupErr = 2 // no usable key, bad URL, nothing enabled: nothing was sent
)

// checkProblem says what went wrong with one request and what to do. Field names are part of
// the JSON output, which scripts read: keep them stable.
type checkProblem struct {
	Reason     string `json:"reason,omitempty"` // a certcentral_collector_error reason
	HTTPStatus int    `json:"http_status,omitempty"`
	Error      string `json:"error,omitempty"`
	Advice     string `json:"advice,omitempty"`
}

type checkUser struct {
	OK       bool     `json:"ok"`
	ID       int64    `json:"id,omitempty"`
	Username string   `json:"username,omitempty"`
	Email    string   `json:"email,omitempty"`
	Name     string   `json:"name,omitempty"`
	Roles    []string `json:"roles,omitempty"`
	checkProblem
}

type checkCollector struct {
	Name     string `json:"name"`
	Endpoint string `json:"endpoint"`
	OK       bool   `json:"ok"`
	// Total is the number of items the list reports (absent for single-object endpoints).
	Total *int `json:"total,omitempty"`
	// Skipped is true when the request was not sent because /user/me already showed that it
	// would fail the same way (rejected key, rate limit).
	Skipped bool `json:"skipped,omitempty"`
	checkProblem
}

type checkReport struct {
	Account    string `json:"account,omitempty"`
	OK         bool   `json:"ok"`
	URL        string `json:"url"`
	KeySource  string `json:"key_source,omitempty"`
	KeyWarning string `json:"key_warning,omitempty"`
	Error      string `json:"error,omitempty"` // set-up failure; nothing was sent
	// Stopped says why the collectors' endpoints were not asked: /user/me failed in a way
	// every request would.
	Stopped    string           `json:"stopped,omitempty"`
	User       *checkUser       `json:"user,omitempty"`
	Collectors []checkCollector `json:"collectors"`
}

// checkOptions are check's own flags.
type checkOptions struct {
	output  string // text or json
	account string // only this account of the config file
}

// checkReports is check's JSON output with a config file: one report per account.
type checkReports struct {
	OK       bool           `json:"ok"`
	Error    string         `json:"error,omitempty"` // the config could not be used; nothing was sent
	Accounts []*checkReport `json:"accounts"`
}

// check is the connection test users run before they deploy: for each account, one request
// to /user/me (who the key belongs to) and one to each enabled collector's endpoint, then one
// line per collector saying ok or what is wrong and how to fix it. It returns the exit
// status: 0 only when every enabled collector of every account checked can read.
func check(s *settings, o checkOptions, w io.Writer) int {
	cfg, err := s.accountsConfig()
	var reports []*checkReport
	code := checkOK
	switch {
	case err != nil:
		code = checkSetupErr
	case o.account != "":
		a, ok := cfg.Account(o.account)
		if !ok {
			err = fmt.Errorf("--account=%s: the config has no such account (it has %s)", o.account, namesHint(cfg.Names()))
			code = checkSetupErr
			break
		}
		cfg.Accounts = []config.Account{a}
	}
	if err == nil {
		for _, a := range cfg.Accounts {
			rep := &checkReport{Account: a.Name, URL: strings.TrimRight(a.URL, "/"), Collectors: []checkCollector{}}
			code = max(code, runCheck(a, rep))
			reports = append(reports, rep)
		}
	}
	single := s.configFile == "" // the flags' one account: the report as it always was
	if o.output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		switch {
		case single && err != nil:
			err = enc.Encode(&checkReport{URL: s.base.URL, Error: err.Error(), Collectors: []checkCollector{}})
		case single:
			reports[0].Account = ""
			err = enc.Encode(reports[0])
		default:
			out := checkReports{OK: code == checkOK, Accounts: reports}
			if err != nil {
				out.Error = err.Error()
			}
			err = enc.Encode(&out)
		}
	} else {
		err = writeCheckTexts(w, reports, err, single, s.base.URL)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "check: cannot write the report:", err)
		return checkSetupErr
	}
	return code
}

func runCheck(ac config.Account, rep *checkReport) int {
	if len(ac.Collectors) == 0 {
		rep.Error = "no collector is enabled: nothing to check"
		return checkSetupErr
	}
	// The key's source and permission warning go into the report, not into a log line.
	key, err := ac.LoadKey(os.Getenv)
	rep.KeySource, rep.KeyWarning = key.Source, key.Warning
	if err != nil {
		rep.Error = err.Error()
		return checkSetupErr
	}
	client, _, err := accounts.NewClient(ac, key, accounts.Options{UserAgent: userAgent()}, nil)
	if err != nil {
		rep.Error = err.Error()
		return checkSetupErr
	}
	rep.URL = client.BaseURL()
	timeout := ac.CollectionTimeout

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	me, meErr := client.Me(ctx)
	cancel()
	rep.User = &checkUser{OK: meErr == nil}
	var owner *certcentral.User
	if meErr == nil {
		owner = &me
		rep.User.ID, rep.User.Username, rep.User.Email = me.ID, me.Username, me.Email
		rep.User.Name = strings.TrimSpace(me.FirstName + " " + me.LastName)
		for _, r := range me.Roles {
			rep.User.Roles = append(rep.User.Roles, r.Name)
		}
	} else {
		rep.User.checkProblem = problemFor(ac.URL, collector.Definition{Endpoint: "/user/me",
			Permission: "reading /user/me needs any valid key"}, meErr, nil)
	}
	// A rejected key or a rate limit holds for every endpoint, and so does an unreachable host
	// or a wrong path: asking again would only spend more of the key's budget, or wait again.
	doomed := doomsEveryRequest(meErr)
	if doomed {
		rep.Stopped = "every request would fail as GET /user/me did (" + string(certcentral.KindOf(meErr)) + "): nothing else was sent"
	}

	rep.Collectors = make([]checkCollector, len(ac.Collectors))
	var wg sync.WaitGroup
	for i, name := range ac.Collectors {
		def, _ := collector.Lookup(name)
		rep.Collectors[i] = checkCollector{Name: name, Endpoint: def.Endpoint}
		cc := &rep.Collectors[i]
		if doomed {
			cc.Skipped = true
			cc.checkProblem = problemFor(ac.URL, def, meErr, owner)
			cc.Error = "not sent: GET /user/me already failed with " + string(certcentral.KindOf(meErr))
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			res, err := client.Probe(ctx, def.Endpoint, probeQuery(ac.Options, def))
			if err != nil {
				cc.checkProblem = problemFor(ac.URL, def, err, owner)
				return
			}
			cc.OK = true
			if res.Total >= 0 {
				cc.Total = &res.Total
			}
		}()
	}
	wg.Wait()
	rep.OK = true
	for _, c := range rep.Collectors {
		rep.OK = rep.OK && c.OK
	}
	switch {
	case rep.OK:
		return checkOK
	case doomed && !answered(meErr):
		return checkSetupErr // nothing answered: the URL or the network, not a collector
	}
	return checkFailed
}

// doomsEveryRequest says whether a failure of GET /user/me means every other request would
// fail the same way: the key is rejected or rate limited, or CertCentral cannot be reached
// or is not at that URL.
func doomsEveryRequest(err error) bool {
	switch certcentral.KindOf(err) {
	case certcentral.KindInvalidKey, certcentral.KindRateLimited, certcentral.KindConnection, certcentral.KindTLS,
		certcentral.KindTimeout, certcentral.KindNotFound, certcentral.KindInvalidResponse:
		return true
	}
	return false
}

// answered says whether CertCentral itself answered (and judged the key), as opposed to no
// answer or one from something that is not CertCentral.
func answered(err error) bool {
	k := certcentral.KindOf(err)
	return k == certcentral.KindInvalidKey || k == certcentral.KindRateLimited
}

// probeQuery adds the parameters of the account's settings that the collector would send;
// Probe adds each list's fixed ones (include_validation, the pending filter) itself.
func probeQuery(opts collector.Options, def collector.Definition) url.Values {
	q := url.Values{}
	if def.Name == "balance" && opts.Balance.DivisionID != 0 {
		q.Set("container_id", strconv.FormatInt(opts.Balance.DivisionID, 10))
	}
	return q
}

func problemFor(baseURL string, def collector.Definition, err error, owner *certcentral.User) checkProblem {
	kind := certcentral.KindOf(err)
	if kind == "" {
		kind = "internal_error"
	}
	p := checkProblem{Reason: string(kind), Error: err.Error(), Advice: checkAdvice(baseURL, def, kind, owner)}
	var e *certcentral.Error
	if errors.As(err, &e) {
		p.HTTPStatus = e.Status
	}
	return p
}

// checkAdvice is the collector's advice, made sharper with what check knows: the key's user
// and roles, and the region the URL points at.
func checkAdvice(baseURL string, def collector.Definition, kind certcentral.Kind, owner *certcentral.User) string {
	switch kind {
	case certcentral.KindInvalidKey:
		return collector.Advice(def, kind) + "; " + regionHint(baseURL)
	case certcentral.KindMissingPermission, certcentral.KindAccessDenied:
		return permissionAdvice(def, owner)
	}
	return collector.Advice(def, kind)
}

// regionHint: an account lives in the US or the European CertCentral and its keys work only
// there, so a valid key against the other region's URL is rejected as invalid.
func regionHint(baseURL string) string {
	u := strings.TrimRight(baseURL, "/")
	switch u {
	case certcentral.USBaseURL:
		return "if the account is on CertCentral Europe, its keys only work there: try --certcentral.url=" + certcentral.EUBaseURL
	case certcentral.EUBaseURL:
		return "if the account is on the US CertCentral, its keys only work there: try --certcentral.url=" + certcentral.USBaseURL
	}
	return "a key only works in its account's region: --certcentral.url must be " + certcentral.USBaseURL +
		" (US) or " + certcentral.EUBaseURL + " (Europe)"
}

// roleNeeds are the user roles that may read an endpoint (docs/certcentral-api.md §10);
// endpoints not listed are open to every role.
var roleNeeds = map[string]struct {
	ids   []int
	words string
}{
	"/user":            {[]int{certcentral.RoleAdministrator, certcentral.RoleManager}, "Administrator or Manager"},
	"/domain":          {[]int{certcentral.RoleAdministrator, certcentral.RoleManager}, "Administrator or Manager"},
	"/finance/balance": {[]int{certcentral.RoleAdministrator, certcentral.RoleManager, certcentral.RoleFinanceManager}, "Administrator, Manager or Finance Manager"},
	"/organization":    {[]int{certcentral.RoleAdministrator, certcentral.RoleManager}, "Administrator or Manager"},
	"/request":         {[]int{certcentral.RoleAdministrator, certcentral.RoleManager}, "Administrator or Manager"},
	"/key":             {[]int{certcentral.RoleAdministrator}, "Administrator"},
}

const restrictionFix = "create a key with the View Only restriction, linked to an Administrator or a service user (an API-only user)"

// permissionAdvice tells a role that is too weak from a key restriction that is too narrow:
// the key's effective permission is the linked user's role intersected with the restriction.
func permissionAdvice(def collector.Definition, owner *certcentral.User) string {
	need, roleMatters := roleNeeds[def.Endpoint]
	if owner == nil {
		if roleMatters {
			return fmt.Sprintf("%s: the key's user needs the %s role, and the key's restriction must allow it; %s", def.Permission, need.words, restrictionFix)
		}
		return def.Permission + "; " + restrictionFix
	}
	var names []string
	hasRole := !roleMatters
	for _, r := range owner.Roles {
		names = append(names, r.Name)
		hasRole = hasRole || slices.Contains(need.ids, r.ID)
	}
	who := fmt.Sprintf("the key's user %s (role %s)", owner.Username, orNone(strings.Join(names, ", ")))
	if !hasRole {
		return fmt.Sprintf("%s lacks the role: the linked user needs the %s role; give it to that user in CertCentral, or %s",
			who, need.words, restrictionFix)
	}
	// The same words for every endpoint the restriction blocks, so that check gives this fix once.
	return fmt.Sprintf("%s may read what failed, so the key's restriction is too narrow: %s", who, restrictionFix)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// writeCheckTexts writes the text report: the one account's as it always was, or a block per
// account of the config file.
func writeCheckTexts(w io.Writer, reports []*checkReport, setupErr error, single bool, flagURL string) error {
	if setupErr != nil {
		rep := &checkReport{URL: flagURL, Error: setupErr.Error()}
		if !single {
			rep.URL = ""
		}
		return writeCheckText(w, rep)
	}
	for i, rep := range reports {
		if !single {
			if i > 0 {
				if _, err := io.WriteString(w, "\n"); err != nil {
					return err
				}
			}
			if _, err := fmt.Fprintf(w, "%-10s      %s\n", "account", rep.Account); err != nil {
				return err
			}
		}
		if err := writeCheckText(w, rep); err != nil {
			return err
		}
	}
	return nil
}

func writeCheckText(w io.Writer, rep *checkReport) error {
	var b strings.Builder
	line := func(label, status, text string) {
		fmt.Fprintf(&b, "%-10s %-4s %s\n", label, status, text)
	}
	if rep.URL != "" {
		fmt.Fprintf(&b, "%-10s      %s\n", "api", rep.URL)
	}
	if rep.KeySource != "" {
		fmt.Fprintf(&b, "%-10s      from %s\n", "key", rep.KeySource)
	}
	if rep.KeyWarning != "" {
		line("key", "WARN", rep.KeyWarning)
	}
	if rep.Error != "" {
		line("check", "FAIL", rep.Error)
		_, err := io.WriteString(w, b.String())
		return err
	}
	// Each distinct fix is written once, after the lines that need it, numbered.
	var fixes []string
	fixRef := func(p checkProblem) string {
		i := slices.Index(fixes, p.Advice)
		if i < 0 {
			fixes = append(fixes, p.Advice)
			i = len(fixes) - 1
		}
		return fmt.Sprintf(" [fix %d]", i+1)
	}
	if u := rep.User; u != nil {
		if u.OK {
			who := u.Username
			if u.Name != "" {
				who += " (" + u.Name + ")"
			}
			line("key user", "OK", fmt.Sprintf("%s, user id %d, role %s", who, u.ID, orNone(strings.Join(u.Roles, ", "))))
		} else {
			line("key user", "FAIL", problemText(u.checkProblem)+fixRef(u.checkProblem))
		}
	}
	failed := 0
	for _, c := range rep.Collectors {
		switch {
		case c.OK:
			text := "GET " + c.Endpoint
			if c.Total != nil {
				text += fmt.Sprintf(": %d in total", *c.Total)
			}
			line(c.Name, "OK", text)
		case c.Skipped:
			failed++
			line(c.Name, "SKIP", "not checked")
		default:
			failed++
			line(c.Name, "FAIL", problemText(c.checkProblem)+fixRef(c.checkProblem))
		}
	}
	for _, d := range collector.Definitions() {
		if d.DefaultOff && !slices.ContainsFunc(rep.Collectors, func(c checkCollector) bool { return c.Name == d.Name }) {
			line(d.Name, "OFF", fmt.Sprintf("not enabled (--collector.%s to turn it on): %s", d.Name, d.Permission))
		}
	}
	if rep.Stopped != "" {
		line("stopped", "", rep.Stopped)
	}
	for i, f := range fixes {
		line(fmt.Sprintf("fix %d", i+1), "", f)
	}
	switch {
	case failed == 0:
		line("result", "OK", fmt.Sprintf("all %d enabled collectors can read", len(rep.Collectors)))
	case rep.Stopped != "":
		line("result", "FAIL", "no collector was checked: fix the problem above and run check again")
	default:
		line("result", "FAIL", fmt.Sprintf("%d of %d enabled collectors cannot read: fix the problems above and run check again", failed, len(rep.Collectors)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func problemText(p checkProblem) string {
	return fmt.Sprintf("%s: %s", p.Reason, p.Error)
}
