package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"steward/internal/auth"
	"steward/internal/infosec"
	"steward/internal/request"

	"steward/internal/domainerr"
	"steward/internal/store"
)

// Person fields. A form names a person with ref-picker: a select of the
// candidates while there are at most pickBound of them, else a text field
// where the person is typed by e-mail or exact name (picker.js makes
// either a typeahead). The server reads both the same way, with personID:
// a number is a chosen id, anything else is typed text resolved here.

// pickBound is the most people a person field lists as a select; past it
// the field is typed.
const pickBound = 200

// personKind is who may hold a person field.
type personKind string

const (
	// anyone active: a requester, an agent, an auditor.
	anyPerson personKind = ""
	// agents and administrators: those work is assigned to (the picker's
	// role=agent).
	agentPerson personKind = "agent"
	// every member of staff: anyone but a requester (role=staff).
	staffPerson personKind = "staff"
	// requesters only (role=requester).
	requesterPerson personKind = "requester"
	// whoever may decide approvals (role=approver): a named approver, a
	// manager. Which roles those are is the permission table's say.
	approverPerson personKind = "approver"
	// whoever sees security incidents (role=security): the members of
	// security groups and the administrators.
	securityPerson personKind = "security"
)

// approverRoles are the roles that may decide approvals.
func approverRoles() []string {
	var out []string
	for _, r := range auth.Roles {
		if (&auth.Principal{Role: r}).Can(request.PermApprove) {
			out = append(out, string(r))
		}
	}
	return out
}

// roleSQL narrows users u to those of kind k.
func (k personKind) roleSQL() string {
	switch k {
	case agentPerson:
		return " AND u.role IN ('agent', 'admin')"
	case staffPerson:
		return " AND u.role <> 'requester'"
	case requesterPerson:
		return " AND u.role = 'requester'"
	case approverPerson:
		// The roles are the fixed names of auth.Roles, never user input.
		if rs := approverRoles(); len(rs) > 0 {
			return " AND u.role IN ('" + strings.Join(rs, "', '") + "')"
		}
		return " AND 1 = 0"
	case securityPerson:
		return " AND " + infosec.ClearedSQL
	}
	return ""
}

// fits reports whether a user of role may hold a field of kind k.
func (k personKind) fits(role string) bool {
	switch k {
	case agentPerson:
		return role == "agent" || role == "admin"
	case staffPerson:
		return role != "requester"
	case requesterPerson:
		return role == "requester"
	case approverPerson:
		return slices.Contains(approverRoles(), role)
	case securityPerson:
		// and a member of a security group: held asks the database.
		return role != "requester"
	}
	return true
}

// personID reads person field name of r's form: "" is nobody, a number a
// chosen person, other text an e-mail address or an exact name typed
// where the form had too many people to list. What cannot be resolved
// to one person of kind k is added to bad with a message for the field,
// and nil returned; the typed text stays in the form that comes back.
func (wb *Web) personID(r *http.Request, bad *domainerr.Invalid, name string, k personKind) *int64 {
	id, msg := wb.person(r, name, k)
	if msg != "" {
		bad.Add(name, "%s", msg)
	}
	return id
}

// person is personID for handlers that collect errors their own way: it
// returns the person, or the message that says why there is none.
func (wb *Web) person(r *http.Request, name string, k personKind) (*int64, string) {
	typed := strings.TrimSpace(r.PostFormValue(name))
	if typed == "" {
		return nil, ""
	}
	tx := wb.clockOf(r).text()
	if id, err := strconv.ParseInt(typed, 10, 64); err == nil {
		if id <= 0 {
			return nil, tx.T("picker.not_a_choice")
		}
		var role string
		var held int
		err := store.ScanErr(wb.DB.QueryRow(r.Context(), "SELECT u.role, (SELECT COUNT(*) FROM users u WHERE u.id = ?"+k.roleSQL()+") FROM users u WHERE u.id = ?", id, id).Scan(&role, &held))
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil, tx.T("picker.not_a_choice")
		case err != nil:
			wb.Log.Error("web: reading a person", "field", name, "err", err)
			return nil, tx.T("picker.not_a_choice")
		case !k.fits(role) || held == 0:
			return nil, tx.T(k.refusal())
		}
		return &id, ""
	}
	ids, byName, err := resolvePerson(r.Context(), wb.DB, typed, k)
	switch {
	case err != nil:
		wb.Log.Error("web: resolving a person", "field", name, "err", err)
		return nil, tx.T("picker.not_a_choice")
	case len(ids) == 1:
		return &ids[0], ""
	case len(ids) > 1:
		return nil, tx.T("picker.several", "Count", len(ids), "Typed", typed)
	case byName:
		return nil, tx.T(k.nobody("picker.no_name"), "Typed", typed)
	}
	return nil, tx.T(k.nobody("picker.no_email"), "Typed", typed)
}

// refusal is the message for a chosen person who may not hold a field of
// kind k.
func (k personKind) refusal() string {
	switch k {
	case agentPerson:
		return "picker.not_agent"
	case staffPerson:
		return "picker.not_staff"
	case requesterPerson:
		return "picker.not_requester"
	case approverPerson:
		return "picker.not_approver"
	case securityPerson:
		return "picker.not_security"
	}
	return "picker.not_a_choice"
}

// nobody is the message id, under prefix, for text that names no one of
// kind k.
func (k personKind) nobody(prefix string) string {
	switch k {
	case agentPerson, staffPerson:
		return prefix + "_staff"
	case requesterPerson:
		return prefix + "_requester"
	case approverPerson:
		return prefix + "_approver"
	case securityPerson:
		return prefix + "_security"
	}
	return prefix
}

// resolvePerson finds the active people of kind k that typed names: by
// e-mail address when it holds an @, else by exact name, in any letter
// case. byName tells which was tried. More than one match means namesakes;
// two are enough to say so.
func resolvePerson(ctx context.Context, q store.Querier, typed string, k personKind) (ids []int64, byName bool, err error) {
	col := "lower(u.email)"
	if !strings.Contains(typed, "@") {
		col, byName = "lower(u.name)", true
	}
	rows, err := q.Query(ctx, "SELECT u.id FROM users u WHERE u.active = ? AND "+col+" = ?"+k.roleSQL()+" ORDER BY u.id LIMIT 10",
		true, strings.ToLower(typed))
	if err != nil {
		return nil, byName, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, byName, err
		}
		ids = append(ids, id)
	}
	return ids, byName, rows.Err()
}

// personText is what a typed person field shows for the person chosen
// (id cur): their e-mail address, which resolves to them alone; the id
// itself when they are not among opts (the server reads ids too).
func personText(opts []option, cur string) string {
	for _, o := range opts {
		if strconv.FormatInt(o.ID, 10) == cur {
			if o.Email != "" {
				return o.Email
			}
			return o.Name
		}
	}
	return cur
}

// personKept is person for a record's edit form: the person it already
// names (cur) is kept as chosen without asking again whether they may
// hold the field, so an edit of other fields never fails for them.
func (wb *Web) personKept(r *http.Request, name string, cur *int64, k personKind) (*int64, string) {
	if cur != nil && strings.TrimSpace(r.PostFormValue(name)) == strconv.FormatInt(*cur, 10) {
		return cur, ""
	}
	return wb.person(r, name, k)
}
