package web

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/org"
	"steward/internal/patch"
	"steward/internal/request"
)

// maxTaskRows is how many task rows the item editor offers.
const maxTaskRows = request.MaxTaskTemplates

type taskRow struct {
	I                     int
	Name, GroupID, Order  string
	NameErr, GroupErr, OE string
}

type itemFormView struct {
	Item      request.Item
	New       bool
	F         *fieldErrors
	Services  []option
	Groups    []option
	Approvers []option
	Tasks     []taskRow
	// The form builder: its rows, what the form as a whole lacks, and the
	// requester's form as the rows make it.
	Questions  []questionRow
	FormErrors []string
	Preview    []questionView
	Types      []condChoice
	Failed     bool // some field has a message
}

// questionTypes are the builder's types, in the reader's words.
func questionTypes(tx i18n.Text) []condChoice {
	var out []condChoice
	for _, t := range []string{"text", "number", "choice", "date", "user", "yes_no"} {
		out = append(out, condChoice{t, tx.T("web.requests_admin.type_" + t)})
	}
	return out
}

// Val is what the form shows for an input: what was sent when it failed,
// else cur.
func (v itemFormView) Val(name, cur string) string { return v.F.Val("item", name, cur) }

// Err is the message for a field of the item.
func (v itemFormView) Err(field string) string { return v.F.Err("item", field) }

func (h *requestPages) newItemForm(w http.ResponseWriter, r *http.Request) {
	it := request.Item{Active: true, Approval: request.Approval{Rule: request.NoApproval, Mode: request.AnyMember},
		Form: request.Form{Fields: []request.Field{}}}
	h.showItemForm(w, r, http.StatusOK, it, true, nil, nil)
}

func (h *requestPages) editItemForm(w http.ResponseWriter, r *http.Request) {
	it, ok := h.loadItem(w, r)
	if !ok {
		return
	}
	h.showItemForm(w, r, http.StatusOK, it, false, nil, nil)
}

// showItemForm renders the item editor; f brings back a sent form, and
// questions its builder rows (nil: the item's).
func (h *requestPages) showItemForm(w http.ResponseWriter, r *http.Request, status int, it request.Item, isNew bool, f *fieldErrors, questions []questionRow) {
	tx := h.clockOf(r).text()
	v := itemFormView{Item: it, New: isNew, F: f, Types: questionTypes(tx), Failed: f != nil && len(f.Errs) > 0}
	if questions == nil {
		questions = questionRows(it.Form)
		if len(questions) == 0 {
			questions = append(questions, questionRow{Type: string(request.TextField)})
		}
	}
	v.Questions, v.Preview = placedIn(tx, questions), previewQuestionsIn(tx, questions)
	var err error
	if v.Services, err = h.serviceChoices(r); err != nil {
		h.fail(w, r, err)
		return
	}
	opts, err := h.formOptions(r, false)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Groups = opts.Groups
	if v.Approvers, err = h.approverChoices(r); err != nil {
		h.fail(w, r, err)
		return
	}
	if f != nil {
		v.FormErrors = f.formFaults
	}
	rows := len(it.Tasks) + 3
	if f != nil {
		rows = formRowCount(f.Values)
	}
	for i := 0; i < min(max(rows, 5), maxTaskRows); i++ {
		row := taskRow{I: i}
		if i < len(it.Tasks) {
			t := it.Tasks[i]
			row.Name, row.GroupID, row.Order = t.Name, idstrOf(t.GroupID), strconv.Itoa(t.Order)
		}
		n := strconv.Itoa(i)
		row.Name, row.GroupID, row.Order = v.Val("task_name_"+n, row.Name), v.Val("task_group_"+n, row.GroupID), v.Val("task_order_"+n, row.Order)
		row.NameErr, row.GroupErr, row.OE = v.Err("task_name_"+n), v.Err("task_group_"+n), v.Err("task_order_"+n)
		v.Tasks = append(v.Tasks, row)
	}
	title := tx.T("web.requests_admin.title_new")
	if !isNew {
		title = tx.T("web.requests_admin.title_edit", "Name", it.Name)
	}
	h.show(w, r, status, "catalog_item_form", page{Title: title, Active: "catalog", Data: v})
}

func idstrOf(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

// formRowCount is how many task rows a sent form had, so that it comes
// back with the same rows.
func formRowCount(vals map[string][]string) int {
	n := 0
	for k := range vals {
		if rest, ok := strings.CutPrefix(k, "task_name_"); ok {
			if i, err := strconv.Atoi(rest); err == nil && i+1 > n {
				n = i + 1
			}
		}
	}
	return n
}

// approverChoices lists the active users who may decide approvals.
func (h *requestPages) approverChoices(r *http.Request) ([]option, error) {
	rows, err := h.DB.Query(r.Context(), `SELECT u.id, u.name, u.email FROM users u WHERE u.active = ?`+approverPerson.roleSQL()+`
		ORDER BY u.name, u.id LIMIT ?`, true, maxChoices)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []option
	for rows.Next() {
		var o option
		if err := rows.Scan(&o.ID, &o.Name, &o.Email); err != nil {
			return nil, err
		}
		o.Note = o.Email
		out = append(out, o)
	}
	return out, rows.Err()
}

// namedApprover reads the item's named approver, chosen or typed, when
// the item asks one: someone who may decide approvals.
func (h *requestPages) namedApprover(r *http.Request, bad *domainerr.Invalid, f *itemForm) {
	if a := f.in.Approval; a.Rule == request.UserApproval {
		id, msg := h.person(r, "approval_user_id", approverPerson)
		if msg != "" {
			bad.Add("approval.user_id", "%s", msg)
		}
		a.UserID = id
	}
}

// itemForm is the item editor's form read into a new item, with the row
// each task came from so that the service's tasks[i] faults land on it.
type itemForm struct {
	in        request.NewItem
	taskRow   []int
	questions []questionRow
	built     builtForm
}

func readItemForm(tx i18n.Text, r *http.Request, bad *domainerr.Invalid) itemForm {
	var f itemForm
	invalid := tx.T("web.requests_admin.invalid_choice")
	in := &f.in
	in.Name, in.Description = r.PostFormValue("name"), formText(r, "description")
	active := r.PostFormValue("active") == "on"
	in.Active = &active
	if id, ok := formID(r, "service_id"); ok && id != nil {
		in.ServiceID = *id
	} else if !ok {
		bad.Add("service_id", "%s", invalid)
	}
	var ok bool
	if in.GroupID, ok = formID(r, "group_id"); !ok {
		bad.Add("group_id", "%s", invalid)
	}
	a := request.Approval{Rule: request.ApprovalRule(r.PostFormValue("approval_rule")), Mode: request.ApprovalMode(r.PostFormValue("approval_mode"))}
	// Only the approver that fits the rule is sent; the others are the
	// unused inputs of the same form.
	switch a.Rule {
	case request.UserApproval:
		a.Mode = request.AnyMember // the approver is read by namedApprover
	case request.GroupApproval:
		if a.GroupID, ok = formID(r, "approval_group_id"); !ok {
			bad.Add("approval.group_id", "%s", invalid)
		}
	default:
		a.Mode = request.AnyMember
	}
	in.Approval = &a
	f.questions = readQuestionRows(r)
	f.built = buildForm(f.questions)
	in.Form = &f.built.form
	in.Tasks = []request.TaskTemplate{}
	for i := 0; i < min(formRowCount(r.PostForm), maxTaskRows); i++ {
		n := strconv.Itoa(i)
		name, order := strings.TrimSpace(r.PostFormValue("task_name_"+n)), strings.TrimSpace(r.PostFormValue("task_order_"+n))
		group, gok := formID(r, "task_group_"+n)
		if name == "" && group == nil {
			continue // an empty row; an order alone says nothing
		}
		t := request.TaskTemplate{Name: name, GroupID: group, Order: 1}
		if !gok {
			bad.Add("task_group_"+n, "%s", invalid)
		}
		if order != "" {
			o, err := strconv.Atoi(order)
			if err != nil {
				bad.Add("task_order_"+n, "%s", tx.T("web.requests_admin.order_range", "Max", request.MaxOrder))
			}
			t.Order = o
		}
		in.Tasks = append(in.Tasks, t)
		f.taskRow = append(f.taskRow, i)
	}
	return f
}

var taskFault = regexp.MustCompile(`^tasks\[(\d+)\]\.(name|group_id|order)$`)

// onRows moves the service's tasks[i] faults to the rows they came from.
func (f itemForm) onRows(inv *domainerr.Invalid) {
	input := map[string]string{"name": "task_name_", "group_id": "task_group_", "order": "task_order_"}
	for k, msg := range inv.Fields {
		m := taskFault.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		i, _ := strconv.Atoi(m[1])
		if i < len(f.taskRow) {
			inv.Fields[fmt.Sprintf("%s%d", input[m[2]], f.taskRow[i])] = msg
		}
	}
}

// rearranged shows the editor again when a builder button was pressed
// (add, move or remove a question, refresh the preview), saving nothing.
func (h *requestPages) rearranged(w http.ResponseWriter, r *http.Request, it request.Item, isNew bool, f itemForm) bool {
	act := r.PostFormValue("act")
	rows, moved := moveQuestion(f.questions, act)
	if !moved && act != "preview" {
		return false
	}
	h.showItemForm(w, r, http.StatusOK, it, isNew, &fieldErrors{Form: "item", Errs: map[string]string{}, Values: r.PostForm}, rows)
	return true
}

func (h *requestPages) createItem(w http.ResponseWriter, r *http.Request) {
	bad := domainerr.NewInvalid()
	f := readItemForm(h.clockOf(r).text(), r, bad)
	h.namedApprover(r, bad, &f)
	if h.rearranged(w, r, request.Item{Form: request.Form{Fields: []request.Field{}}}, true, f) {
		return
	}
	err := bad.Err()
	if err == nil {
		var it request.Item
		if it, err = h.svc.CreateItem(r.Context(), httpx.Principal(r), f.in); err == nil {
			h.redirect(w, r, "/catalog/items/"+strconv.FormatInt(it.ID, 10), "item")
			return
		}
	}
	h.itemFailed(w, r, request.Item{Form: request.Form{Fields: []request.Field{}}}, true, f, err)
}

func (h *requestPages) updateItem(w http.ResponseWriter, r *http.Request) {
	it, ok := h.loadItem(w, r)
	if !ok {
		return
	}
	version, ok := formVersion(r)
	if !ok {
		h.errorPage(w, r, http.StatusBadRequest, h.clockOf(r).text().T("web.requests_admin.form_version_item"))
		return
	}
	bad := domainerr.NewInvalid()
	f := readItemForm(h.clockOf(r).text(), r, bad)
	h.namedApprover(r, bad, &f)
	if h.rearranged(w, r, it, false, f) {
		return
	}
	err := bad.Err()
	if err == nil {
		in := f.in
		pt := request.ItemPatch{ServiceID: &in.ServiceID, Name: &in.Name, Description: &in.Description, Active: in.Active,
			Approval: in.Approval, Tasks: &in.Tasks, Form: in.Form, GroupID: patch.Field[int64]{Set: true, Null: in.GroupID == nil}}
		if in.GroupID != nil {
			pt.GroupID = patch.Of(*in.GroupID)
		}
		if _, err = h.svc.UpdateItem(r.Context(), httpx.Principal(r), it.ID, pt, version); err == nil {
			h.redirect(w, r, "/catalog/items/"+strconv.FormatInt(it.ID, 10), "item")
			return
		}
	}
	h.itemFailed(w, r, it, false, f, err)
}

func (h *requestPages) itemFailed(w http.ResponseWriter, r *http.Request, it request.Item, isNew bool, f itemForm, err error) {
	var inv *domainerr.Invalid
	switch {
	case errors.As(err, &inv):
		f.onRows(inv)
		fe := &fieldErrors{Form: "item", Errs: inv.Fields, Values: r.PostForm}
		fe.formFaults = f.built.placeFaultsIn(h.clockOf(r).text(), f.questions, inv)
		h.showItemForm(w, r, http.StatusUnprocessableEntity, it, isNew, fe, f.questions)
	case errors.Is(err, domainerr.ErrStale):
		h.errorPage(w, r, http.StatusConflict, h.stale(r))
	default:
		h.fail(w, r, err)
	}
}

type managerRow struct {
	ID        int64
	Name      string
	Role      auth.Role
	Customer  string
	ManagerID int64
}

type managersView struct {
	Users    []managerRow
	Choices  []option
	CanWrite bool
	Error    string
	// F holds what a row's form sent when it came back, with its message
	// (form "manager-<user id>").
	F *fieldErrors
}

// managers lists who approves for whom when an item asks the manager.
func (h *requestPages) managers(w http.ResponseWriter, r *http.Request) {
	h.showManagers(w, r, http.StatusOK, "")
}

func (h *requestPages) showManagers(w http.ResponseWriter, r *http.Request, status int, msg string) {
	h.showManagersRow(w, r, status, msg, nil)
}

// showManagersRow is showManagers with a row's form come back (fe).
func (h *requestPages) showManagersRow(w http.ResponseWriter, r *http.Request, status int, msg string, fe *fieldErrors) {
	p := httpx.Principal(r)
	ctx := r.Context()
	v := managersView{CanWrite: p.Can(auth.UserWrite), Error: msg, F: fe}
	links, err := org.Managers(ctx, h.DB, p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rows, err := h.DB.Query(ctx, `SELECT u.id, u.name, u.email, u.role, COALESCE(c.name, '') FROM users u
		LEFT JOIN customers c ON c.id = u.customer_id WHERE u.active = ? ORDER BY u.name, u.id LIMIT ?`, true, maxChoices)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var m managerRow
		var email string
		if err := rows.Scan(&m.ID, &m.Name, &email, &m.Role, &m.Customer); err != nil {
			h.fail(w, r, err)
			return
		}
		m.ManagerID = links[m.ID]
		v.Users = append(v.Users, m)
		if approverPerson.fits(string(m.Role)) {
			v.Choices = append(v.Choices, option{ID: m.ID, Name: m.Name, Email: email})
		}
	}
	if err := rows.Err(); err != nil {
		h.fail(w, r, err)
		return
	}
	h.show(w, r, status, "managers", page{Title: h.clockOf(r).text().T("web.requests_admin.managers"), Active: "managers", Data: v})
}

func (h *requestPages) setManager(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	m, msg := h.person(r, "manager_id", approverPerson)
	if msg != "" {
		fe := &fieldErrors{Form: "manager-" + strconv.FormatInt(id, 10), Errs: map[string]string{"manager_id": msg}, Values: r.PostForm}
		h.showManagersRow(w, r, http.StatusUnprocessableEntity, "", fe)
		return
	}
	_, err := request.SetManager(r.Context(), h.DB, httpx.Principal(r), id, m)
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		h.showManagers(w, r, http.StatusUnprocessableEntity, h.clockOf(r).text().T("web.requests_admin.manager_not_saved", "Reason", invalidText(inv)))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, "/managers#user-"+strconv.FormatInt(id, 10), "manager")
}
