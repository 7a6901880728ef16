package web

import (
	"errors"
	"net/http"
	"strconv"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/org"
	"steward/internal/patch"
)

func (wb *Web) registerUsers(rt *httpx.Router) {
	rt.Handle("GET /users", auth.UserRead, wb.listUsers)
	rt.Handle("GET /users/new", auth.UserWrite, wb.newUserForm)
	wb.post(rt, "POST /users", auth.UserWrite, wb.createUser)
	rt.Handle("GET /users/{id}", auth.UserRead, wb.userPage)
	wb.post(rt, "POST /users/{id}", auth.UserWrite, wb.updateUser)
	wb.post(rt, "POST /users/{id}/unlock", auth.UserWrite, wb.unlockUser)
}

type usersView struct {
	Users     []auth.User
	Customers map[int64]string
	Groups    map[int64]string
	Role      string
	Roles     []auth.Role
	NextURL   string
	CanWrite  bool
}

const userPageSize = 100

func (wb *Web) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	role := auth.Role(q.Get("role"))
	if !role.Valid() {
		role = ""
	}
	users, err := auth.ListUsers(r.Context(), wb.DB, auth.UserFilter{Role: role, After: after, Limit: userPageSize + 1})
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	v := usersView{Users: users, Role: string(role), Roles: auth.Roles, CanWrite: httpx.Principal(r).Can(auth.UserWrite)}
	if v.Customers, v.Groups, err = wb.orgNames(r); err != nil {
		wb.fail(w, r, err)
		return
	}
	if len(users) > userPageSize {
		v.Users = users[:userPageSize]
		v.NextURL = "/users?after=" + strconv.FormatInt(v.Users[userPageSize-1].ID, 10)
		if role != "" {
			v.NextURL += "&role=" + string(role)
		}
	}
	wb.render(w, r, http.StatusOK, "users", page{Title: "Users", Active: "users", Data: v})
}

func (wb *Web) orgNames(r *http.Request) (map[int64]string, map[int64]string, error) {
	customers, err := org.Customers.Names(r.Context(), wb.DB)
	if err != nil {
		return nil, nil, err
	}
	groups, err := org.Groups.Names(r.Context(), wb.DB)
	return customers, groups, err
}

type userView struct {
	User      auth.User // ID 0 for a new account
	F         *fieldErrors
	Error     string
	Roles     []auth.Role
	Customers []option
	Groups    []option
	CanWrite  bool
	Self      bool
	Lockouts  []auth.Lockout // sign-in lockouts in force
}

// Checked reports whether group id is ticked: as sent after a failed
// submission, else as stored.
func (v userView) Checked(id int64) bool {
	if v.F != nil {
		for _, s := range v.F.Values["group_ids"] {
			if s == strconv.FormatInt(id, 10) {
				return true
			}
		}
		return false
	}
	for _, g := range v.User.GroupIDs {
		if g == id {
			return true
		}
	}
	return false
}

func (wb *Web) showUser(w http.ResponseWriter, r *http.Request, status int, v userView) {
	customers, groups, err := wb.orgNames(r)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	p := httpx.Principal(r)
	v.Customers, v.Groups, v.Roles = namedOptions(customers), namedOptions(groups), auth.Roles
	v.CanWrite, v.Self = p.Can(auth.UserWrite), v.User.ID == p.UserID
	if v.User.ID != 0 {
		if v.Lockouts, err = auth.Lockouts(r.Context(), wb.DB, v.User.Email); err != nil {
			wb.fail(w, r, err)
			return
		}
	}
	title := "New user"
	if v.User.ID != 0 {
		title = v.User.Name
	}
	wb.render(w, r, status, "user", page{Title: title, Active: "users", Data: v})
}

func (wb *Web) newUserForm(w http.ResponseWriter, r *http.Request) {
	wb.showUser(w, r, http.StatusOK, userView{User: auth.User{Role: auth.Agent, Active: true}})
}

func (wb *Web) userPage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	u, err := auth.GetUser(r.Context(), wb.DB, id)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	wb.showUser(w, r, http.StatusOK, userView{User: u})
}

// unlockUser lifts the account's sign-in lockouts.
func (wb *Web) unlockUser(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	if _, err := auth.Unlock(r.Context(), wb.DB, httpx.Principal(r).Actor(), id); err != nil {
		wb.fail(w, r, err)
		return
	}
	wb.redirect(w, r, "/users/"+strconv.FormatInt(id, 10), "unlocked")
}

// userRefs reads the customer and groups of the user form.
func userRefs(r *http.Request, bad *domainerr.Invalid) (*int64, []int64) {
	cust, ok := formID(r, "customer_id")
	if !ok {
		bad.Add("customer_id", "is not a valid choice")
	}
	groups, ok := formIDs(r, "group_ids")
	if !ok {
		bad.Add("group_ids", "are not valid choices")
	}
	return cust, groups
}

func (wb *Web) createUser(w http.ResponseWriter, r *http.Request) {
	bad := domainerr.NewInvalid()
	cust, groups := userRefs(r, bad)
	in := auth.NewUser{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Role: auth.Role(r.PostFormValue("role")),
		CustomerID: cust, GroupIDs: groups, Password: r.PostFormValue("password")}
	var err error = bad
	if bad.Err() == nil {
		var u auth.User
		if u, err = auth.CreateUser(r.Context(), wb.DB, httpx.Principal(r).Actor(), in); err == nil {
			wb.redirect(w, r, "/users/"+strconv.FormatInt(u.ID, 10), "user")
			return
		}
	}
	wb.userFailed(w, r, auth.User{Active: true}, err)
}

func (wb *Web) updateUser(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	cur, err := auth.GetUser(r.Context(), wb.DB, id)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	bad := domainerr.NewInvalid()
	cust, groups := userRefs(r, bad)
	email, name, role := r.PostFormValue("email"), r.PostFormValue("name"), auth.Role(r.PostFormValue("role"))
	active := r.PostFormValue("active") == "on"
	pt := auth.UserPatch{Email: &email, Name: &name, Role: &role, Active: &active,
		CustomerID: patch.Field[int64]{Set: true, Null: cust == nil}, GroupIDs: patch.Of(groups)}
	if cust != nil {
		pt.CustomerID.V = *cust
	}
	if pw := r.PostFormValue("password"); pw != "" {
		pt.Password = &pw
	}
	if id == httpx.Principal(r).UserID && (!active || role != cur.Role) {
		bad.Add("active", "you cannot deactivate yourself or change your own role")
	}
	version, _ := formVersion(r)
	err = bad.Err()
	if err == nil {
		if _, err = auth.UpdateUser(r.Context(), wb.DB, httpx.Principal(r).Actor(), id, pt, version); err == nil {
			wb.Tokens.ForgetUser(id) // their API tokens carry the change at once on this node
			wb.redirect(w, r, "/users/"+strconv.FormatInt(id, 10), "user")
			return
		}
	}
	wb.userFailed(w, r, cur, err)
}

// userFailed shows the form again with the messages and what was typed.
func (wb *Web) userFailed(w http.ResponseWriter, r *http.Request, u auth.User, err error) {
	var inv *domainerr.Invalid
	var conflict *domainerr.Conflict
	switch {
	case errors.As(err, &inv):
		if pw := r.PostForm["password"]; len(pw) > 0 {
			r.PostForm["password"] = nil // never echo a password back
		}
		wb.showUser(w, r, http.StatusUnprocessableEntity, userView{User: u,
			F: &fieldErrors{Form: "user", Errs: inv.Fields, Values: r.PostForm}})
	case errors.Is(err, domainerr.ErrStale):
		fresh, gerr := auth.GetUser(r.Context(), wb.DB, u.ID)
		if gerr != nil {
			wb.fail(w, r, gerr)
			return
		}
		wb.showUser(w, r, http.StatusConflict, userView{User: fresh, Error: wb.stale(r)})
	case errors.As(err, &conflict):
		// Such as demoting the last active administrator.
		wb.showUser(w, r, http.StatusConflict, userView{User: u, Error: errText(wb.clockOf(r).text(), conflict.Message)})
	default:
		wb.fail(w, r, err)
	}
}

// roleNote explains a role in a sentence, for the user form, in English.
func roleNote(r auth.Role) string { return roleNoteIn(i18n.For(i18n.Default), r) }

// roleNoteIn is roleNote in the reader's words.
func roleNoteIn(tx i18n.Text, r auth.Role) string {
	switch r {
	case auth.Admin, auth.Agent, auth.Requester, auth.Auditor:
		return tx.T("web.users.role_" + string(r))
	}
	return ""
}

func init() {
	textFuncs["roleNote"] = func(tx i18n.Text) any { return func(r auth.Role) string { return roleNoteIn(tx, r) } }
}
