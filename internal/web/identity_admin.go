package web

import (
	"errors"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/identity"
	"steward/internal/org"
	"steward/internal/store"
)

// registerAdmin adds the administrator's page: single sign-on's claim
// mapping, the roles that must use a second factor, and resetting a
// person's second factor.
func (h identityPage) registerAdmin(rt *httpx.Router) {
	rt.Handle("GET /admin/single-sign-on", identity.PermAdmin, h.settings)
	h.wb.post(rt, "POST /admin/single-sign-on", identity.PermAdmin, h.saveSettings)
	h.wb.post(rt, "POST /admin/single-sign-on/reset-2fa", identity.PermAdmin, h.reset)
	h.wb.post(rt, "POST /admin/single-sign-on/unlink", identity.PermAdmin, h.unlink)
}

const (
	idBlankRules   = 2
	idMaxRuleRows  = identity.MaxRules + idBlankRules + 10
	idListed2FA    = 200
	idMaxEmailText = 254
)

type identityAdminView struct {
	Enabled     bool
	Name        string
	Issuer      string
	ClientID    string
	RedirectURL string
	Linked      int

	GroupsClaim       string
	DefaultRole       string
	CreateUsers       bool
	LocalPasswordsOff bool
	LinkPrivileged    bool
	Roles             []idRole
	Rules             []idRuleRow
	Customers         []idOption
	Groups            []idOption
	Errs              map[string]string
	Banner            string

	TwoFA       []auth.SecondFactorUser
	More2FA     bool
	ResetEmail  string
	UnlinkEmail string
}

type idRole struct {
	Value, Label string
	Required     bool
}

type idOption struct {
	ID, Name string
}

type idRuleRow struct {
	Claim, Value, Role, Customer, Group string
	Err                                 string
}

func (h identityPage) settings(w http.ResponseWriter, r *http.Request) {
	h.showSaved(w, r, http.StatusOK, identityAdminView{Errs: map[string]string{}})
}

// showSaved shows the page with the settings as saved, and v's messages
// and typed addresses.
func (h identityPage) showSaved(w http.ResponseWriter, r *http.Request, status int, v identityAdminView) {
	st, err := h.svc.Settings(r.Context())
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v.GroupsClaim, v.DefaultRole, v.CreateUsers = st.GroupsClaim, string(st.DefaultRole), st.CreateUsers
	v.LocalPasswordsOff, v.LinkPrivileged = st.LocalPasswordsOff, st.LinkPrivileged
	for _, rule := range st.Rules {
		v.Rules = append(v.Rules, idRuleRow{Claim: rule.Claim, Value: rule.Value, Role: string(rule.Role),
			Customer: idText(rule.CustomerID), Group: idText(rule.GroupID)})
	}
	h.showSettings(w, r, status, &v, st.SecondFactorRoles)
}

func idText(id *int64) string {
	if id == nil {
		return ""
	}
	return strconv.FormatInt(*id, 10)
}

// showSettings fills what every view of the page has and renders it.
func (h identityPage) showSettings(w http.ResponseWriter, r *http.Request, status int, v *identityAdminView, required []auth.Role) {
	ctx := r.Context()
	cfg := h.svc.Cfg
	v.Enabled, v.Name, v.Issuer, v.ClientID, v.RedirectURL = h.svc.Enabled(), h.svc.Name(), cfg.OIDCIssuer, cfg.OIDCClientID, h.svc.RedirectURL()
	if err := h.wb.DB.QueryRow(ctx, "SELECT COUNT(DISTINCT user_id) FROM identity_links").Scan(&v.Linked); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	tx := h.wb.clockOf(r).text()
	for _, role := range auth.Roles {
		v.Roles = append(v.Roles, idRole{Value: string(role), Label: tx.Label(string(role)), Required: slices.Contains(required, role)})
	}
	for range idBlankRules {
		v.Rules = append(v.Rules, idRuleRow{})
	}
	for _, k := range []struct {
		kind org.Kind
		dst  *[]idOption
	}{{org.Customers, &v.Customers}, {org.Groups, &v.Groups}} {
		names, err := k.kind.Names(ctx, h.wb.DB)
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		for id, name := range names {
			*k.dst = append(*k.dst, idOption{ID: strconv.FormatInt(id, 10), Name: name})
		}
		sort.Slice(*k.dst, func(i, j int) bool { return strings.ToLower((*k.dst)[i].Name) < strings.ToLower((*k.dst)[j].Name) })
	}
	list, err := auth.SecondFactorUsers(ctx, h.wb.DB, idListed2FA+1)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if len(list) > idListed2FA {
		list, v.More2FA = list[:idListed2FA], true
	}
	v.TwoFA = list
	h.wb.render(w, r, status, "identity_settings", page{Title: "Single sign-on", Active: "single-sign-on", Data: v})
}

func (h identityPage) saveSettings(w http.ResponseWriter, r *http.Request) {
	pf := r.PostForm
	v := identityAdminView{GroupsClaim: pf.Get("groups_claim"), DefaultRole: pf.Get("default_role"),
		CreateUsers: pf.Get("create_users") == "1", LocalPasswordsOff: pf.Get("local_passwords_off") == "1",
		LinkPrivileged: pf.Get("link_privileged") == "1", Errs: map[string]string{}}
	st := identity.Settings{GroupsClaim: v.GroupsClaim, DefaultRole: auth.Role(v.DefaultRole), CreateUsers: v.CreateUsers,
		LocalPasswordsOff: v.LocalPasswordsOff, LinkPrivileged: v.LinkPrivileged, Rules: []identity.Rule{}}
	for _, s := range pf["second_factor_roles"] {
		st.SecondFactorRoles = append(st.SecondFactorRoles, auth.Role(s))
	}
	// rowOf maps the rules kept to the rows as shown, for their messages.
	var rowOf []int
	n, _ := strconv.Atoi(pf.Get("rule_rows"))
	for i := range min(max(n, 0), idMaxRuleRows) {
		k := strconv.Itoa(i)
		row := idRuleRow{Claim: strings.TrimSpace(pf.Get("rule_claim_" + k)), Value: strings.TrimSpace(pf.Get("rule_value_" + k)),
			Role: pf.Get("rule_role_" + k), Customer: pf.Get("rule_customer_" + k), Group: pf.Get("rule_group_" + k)}
		if pf.Get("rule_drop_"+k) != "" || (row.Claim == "" && row.Value == "" && row.Role == "" && row.Customer == "" && row.Group == "") {
			continue
		}
		rule := identity.Rule{Claim: row.Claim, Value: row.Value, Role: auth.Role(row.Role)}
		var okC, okG bool
		rule.CustomerID, okC = formID(r, "rule_customer_"+k)
		rule.GroupID, okG = formID(r, "rule_group_"+k)
		if !okC || !okG {
			row.Err = h.wb.clockOf(r).text().T("web.identity_admin.choose_lists")
		}
		v.Rules = append(v.Rules, row)
		rowOf = append(rowOf, len(v.Rules)-1)
		st.Rules = append(st.Rules, rule)
	}
	err := identity.Check(r.Context(), h.wb.DB, &st)
	if err == nil && !slices.ContainsFunc(v.Rules, func(row idRuleRow) bool { return row.Err != "" }) {
		err = h.svc.SaveSettings(r.Context(), httpx.Principal(r).Actor(), st)
		if err == nil {
			h.wb.redirect(w, r, "/admin/single-sign-on", "identity_settings_saved")
			return
		}
	}
	var inv *domainerr.Invalid
	if err != nil && !errors.As(err, &inv) {
		h.wb.fail(w, r, err)
		return
	}
	if inv != nil {
		for field, msg := range inv.Fields {
			if i, ok := strings.CutPrefix(field, "rule_"); ok {
				if n, err := strconv.Atoi(i); err == nil && n < len(rowOf) {
					v.Rules[rowOf[n]].Err = errText(h.wb.clockOf(r).text(), msg)
					continue
				}
			}
			v.Errs[field] = errText(h.wb.clockOf(r).text(), msg)
		}
	}
	v.Banner = h.wb.clockOf(r).text().T("web.identity_admin.not_saved")
	h.showSettings(w, r, http.StatusUnprocessableEntity, &v, st.SecondFactorRoles)
}

func (h identityPage) reset(w http.ResponseWriter, r *http.Request) {
	email := strings.TrimSpace(r.PostFormValue("email"))
	fail := func(msg string) {
		h.showSaved(w, r, http.StatusUnprocessableEntity, identityAdminView{Errs: map[string]string{"reset_email": msg}, ResetEmail: email})
	}
	if email == "" || len(email) > idMaxEmailText {
		fail(h.wb.clockOf(r).text().T("web.identity_admin.reset_email"))
		return
	}
	u, err := auth.UserByEmail(r.Context(), h.wb.DB, email)
	if errors.Is(err, store.ErrNotFound) {
		fail(h.wb.clockOf(r).text().T("web.identity_admin.no_account", "Email", email))
		return
	} else if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	was, err := auth.ResetSecondFactor(r.Context(), h.wb.DB, httpx.Principal(r).Actor(), u.ID)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if !was {
		fail(h.wb.clockOf(r).text().T("web.identity_admin.nothing_reset", "Email", u.Email))
		return
	}
	h.wb.redirect(w, r, "/admin/single-sign-on", "identity_2fa_reset")
}

// unlink removes the links of an account to the provider, so that its
// owner's next sign-in there links it again (by e-mail, under the rules
// for linking).
func (h identityPage) unlink(w http.ResponseWriter, r *http.Request) {
	email := strings.TrimSpace(r.PostFormValue("email"))
	fail := func(msg string) {
		h.showSaved(w, r, http.StatusUnprocessableEntity, identityAdminView{Errs: map[string]string{"unlink_email": msg}, UnlinkEmail: email})
	}
	if email == "" || len(email) > idMaxEmailText {
		fail(h.wb.clockOf(r).text().T("web.identity_admin.unlink_email"))
		return
	}
	u, err := auth.UserByEmail(r.Context(), h.wb.DB, email)
	if errors.Is(err, store.ErrNotFound) {
		fail(h.wb.clockOf(r).text().T("web.identity_admin.no_account", "Email", email))
		return
	} else if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	n, err := h.svc.Unlink(r.Context(), httpx.Principal(r).Actor(), u.ID)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if n == 0 {
		fail(h.wb.clockOf(r).text().T("web.identity_admin.not_linked", "Email", u.Email))
		return
	}
	h.wb.redirect(w, r, "/admin/single-sign-on", "identity_unlinked")
}
