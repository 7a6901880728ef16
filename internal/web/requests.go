package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/patch"
	"steward/internal/record"
	"steward/internal/request"
	"steward/internal/sla"
	"steward/internal/store"
	"steward/internal/ticket"
)

// requestPages serve the request catalogue portal, the request queue and
// pages, approvals, notifications and the catalogue's administration.
type requestPages struct {
	*Web
	svc *request.Service
}

// RequestPages are request fulfilment's pages: requests, the catalogue to order from, approvals and the catalogue's administration.
var RequestPages Pages = (*Web).registerRequests

func (wb *Web) registerRequests(rt *httpx.Router) {
	h := &requestPages{Web: wb, svc: wb.Requests}
	rt.Handle("GET /catalog", request.PermCatalogRead, h.portal)
	rt.Handle("GET /catalog/items/new", request.PermCatalogWrite, h.newItemForm)
	wb.post(rt, "POST /catalog/items", request.PermCatalogWrite, h.createItem)
	rt.Handle("GET /catalog/items/{id}", request.PermCatalogRead, h.itemPage)
	wb.post(rt, "POST /catalog/items/{id}/request", request.PermCreate, h.submit)
	rt.Handle("GET /catalog/items/{id}/edit", request.PermCatalogWrite, h.editItemForm)
	wb.post(rt, "POST /catalog/items/{id}/edit", request.PermCatalogWrite, h.updateItem)

	rt.Handle("GET /requests", request.PermRead, h.queue)
	rt.Handle("GET /requests/{ref}", request.PermRead, h.requestPage)
	wb.post(rt, "POST /requests/{ref}/comments", request.PermComment, h.comment(true))
	wb.post(rt, "POST /requests/{ref}/notes", request.PermWorkNote, h.comment(false))
	wb.post(rt, "POST /requests/{ref}/edit", request.PermUpdate, h.edit)
	for _, a := range requestActions {
		wb.post(rt, "POST /requests/{ref}/"+a.path, a.perm, h.action(a))
	}
	wb.recordShows[request.KindName] = func(w http.ResponseWriter, r *http.Request, status int, id int64, f *fieldErrors) {
		req, err := h.svc.Get(r.Context(), httpx.Principal(r), id)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.showRequest(w, r, status, req, f, "")
	}
	wb.post(rt, "POST /requests/{ref}/approvals/{id}/approve", request.PermApprove, h.decide(true))
	wb.post(rt, "POST /requests/{ref}/approvals/{id}/reject", request.PermApprove, h.decide(false))
	wb.post(rt, "POST /requests/{ref}/tasks", request.PermUpdate, h.addTask)
	for _, a := range taskActions {
		wb.post(rt, "POST /requests/{ref}/tasks/{id}/"+a.path, request.PermUpdate, h.taskAction(a))
	}

	rt.Handle("GET /approvals", request.PermApprove, h.approvals)
	rt.Handle("GET /notifications", auth.NotificationOwn, h.notifications)
	wb.post(rt, "POST /notifications/{id}/read", auth.NotificationOwn, h.readNotification)
	wb.post(rt, "POST /notifications/read-all", auth.NotificationOwn, h.readAllNotifications)
	rt.Handle("GET /managers", auth.UserRead, h.managers)
	wb.post(rt, "POST /users/{id}/manager", auth.UserWrite, h.setManager)
}

// show renders one of these pages.
func (h *requestPages) show(w http.ResponseWriter, r *http.Request, status int, name string, pg page) {
	h.render(w, r, status, name, pg)
}

// requestView is the request page.
type requestView struct {
	R         request.Request
	Answers   []answerLine
	Approvals []approvalLine
	Tasks     []request.Task
	Journal   []requestLine
	F         *fieldErrors
	Error     string
	Options   formOptions
	Prios     []string
	SLA       []sla.TimerView // staff only
	Records   recordPanels    // files and linked records
	Survey    *csatPanel      // the requester's rating widget, when there is one

	Staff, CanUpdate, CanComment, CanNote, CanCancel, CanReopen bool
}

// Is reports whether the request is in state s.
func (v requestView) Is(s string) bool { return string(v.R.State) == s }

// Final reports whether the request can no longer change.
func (v requestView) Final() bool { return v.R.State.Final() }

// Unfinished counts tasks still pending or open.
func (v requestView) Unfinished() int {
	n := 0
	for _, t := range v.Tasks {
		if t.State == request.TaskPending || t.State == request.TaskOpen {
			n++
		}
	}
	return n
}

type answerLine struct{ Label, Value string }

type approvalLine struct {
	request.ApprovalRecord
	CanDecide bool
}

type requestLine struct {
	request.Entry
	Lines []request.Change
}

func (h *requestPages) loadRequest(w http.ResponseWriter, r *http.Request) (request.Request, bool) {
	id, ok := request.ParseRef(r.PathValue("ref"))
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "")
		return request.Request{}, false
	}
	req, err := h.svc.Get(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return req, false
	}
	return req, true
}

func (h *requestPages) requestPage(w http.ResponseWriter, r *http.Request) {
	req, ok := h.loadRequest(w, r)
	if !ok {
		return
	}
	h.showRequest(w, r, http.StatusOK, req, nil, "")
}

// showRequest renders the request page; f brings back a failed form, msg a
// banner such as a stale change or a conflict.
func (h *requestPages) showRequest(w http.ResponseWriter, r *http.Request, status int, req request.Request, f *fieldErrors, msg string) {
	ctx, p := r.Context(), httpx.Principal(r)
	v := requestView{R: req, F: f, Error: msg, Staff: p.IsStaff(), CanUpdate: p.Can(request.PermUpdate),
		CanComment: p.Can(request.PermComment), CanNote: p.Can(request.PermWorkNote), Prios: []string{"P1", "P2", "P3", "P4", "P5"}}
	own := req.RequesterID == p.UserID && p.Can(request.PermCreate)
	v.CanCancel = (own || v.CanUpdate) && req.State.Open()
	v.CanReopen = (own || v.CanUpdate) && req.State == request.Fulfilled
	names := newNamer(ctx, h.DB)
	var err error
	if v.Answers, err = answerLines(h.clockOf(r).text(), req, names); err != nil {
		h.fail(w, r, err)
		return
	}
	approvals, err := h.svc.Approvals(ctx, p, req.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, a := range approvals {
		v.Approvals = append(v.Approvals, approvalLine{a, canDecide(p, req, a)})
	}
	if v.Tasks, err = h.svc.Tasks(ctx, p, req.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	entries, err := h.svc.Journal(ctx, p, req.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, e := range entries {
		line := requestLine{Entry: e}
		for _, c := range e.Changes {
			c.Old, c.New = names.value(c.Field, c.Old), names.value(c.Field, c.New)
			line.Lines = append(line.Lines, c)
		}
		v.Journal = append(v.Journal, line)
	}
	if names.err != nil {
		h.fail(w, r, names.err)
		return
	}
	if v.Staff {
		if v.SLA, err = h.slaService().Views(ctx, ticket.Request, req.ID); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if v.Records, err = h.panels(r, request.KindName, req.ID, f); err != nil {
		h.fail(w, r, err)
		return
	}
	if v.Survey, err = h.csatPanelFor(r, ticket.Request, req.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	if v.CanUpdate && !req.State.Final() {
		if v.Options, err = h.formOptions(r, false); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.show(w, r, status, "request", page{Title: req.Number + " " + req.Title, Active: "requests", Data: v})
}

// canDecide mirrors the service's rule, to offer the buttons only to the
// approver; the service has the last word.
func canDecide(p *auth.Principal, req request.Request, a request.ApprovalRecord) bool {
	if !p.Can(request.PermApprove) || a.State != request.Pending || req.State != request.AwaitingApproval ||
		record.SeparationOfDuties(p.UserID, req.SubmitterID, req.RequesterID) != nil {
		return false
	}
	if a.ApproverID != nil {
		return *a.ApproverID == p.UserID
	}
	return a.GroupID != nil && p.InGroup(*a.GroupID)
}

// answerLines lists the answers in the order of the form they were given to.
func answerLines(tx i18n.Text, req request.Request, names *namer) ([]answerLine, error) {
	var out []answerLine
	for _, fl := range req.Form.Fields {
		a, ok := req.Answers[fl.Key]
		if !ok {
			continue
		}
		val := request.Text(a)
		switch fl.Type {
		case request.YesNoField:
			val = map[bool]string{true: tx.T("web.requests.yes"), false: tx.T("web.requests.no")}[a == true]
		case request.UserField:
			val = names.value("user", val)
		}
		out = append(out, answerLine{fl.Label, val})
	}
	return out, names.err
}

// namer turns the ids of journal changes and answers into names, loading
// each kind once.
type namer struct {
	ctx    context.Context
	db     *store.DB
	groups map[int64]string
	users  map[int64]string
	err    error
}

func newNamer(ctx context.Context, db *store.DB) *namer {
	return &namer{ctx: ctx, db: db, users: map[int64]string{}}
}

func (n *namer) value(field, val string) string {
	id, err := strconv.ParseInt(val, 10, 64)
	switch {
	case val == "" || err != nil || n.err != nil:
		if field == "state" || field == "approval" {
			return human(val)
		}
		return val
	case field == "group_id":
		if n.groups == nil {
			n.groups = map[int64]string{}
			rows, err := n.db.Query(n.ctx, "SELECT id, name FROM support_groups ORDER BY id LIMIT 5000")
			if err != nil {
				n.err = err
				return val
			}
			defer rows.Close()
			for rows.Next() {
				var gid int64
				var name string
				if n.err = rows.Scan(&gid, &name); n.err != nil {
					return val
				}
				n.groups[gid] = name
			}
		}
		return orID(n.groups[id], id)
	case field == "assignee_id" || field == "user":
		if name, ok := n.users[id]; ok {
			return name
		}
		var name string
		err := store.ScanErr(n.db.QueryRow(n.ctx, "SELECT name FROM users WHERE id = ?", id).Scan(&name))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			n.err = err
		}
		n.users[id] = orID(name, id)
		return n.users[id]
	}
	return val
}

// requestForms are the forms of the request page with inputs of their
// own, which show their faults beside them.
var requestForms = map[string]bool{"comment": true, "note": true, "edit": true, "task": true}

// afterFailure answers a refused change with the request as it is now.
func (h *requestPages) afterFailure(w http.ResponseWriter, r *http.Request, req request.Request, form string, err error) {
	var inv *domainerr.Invalid
	var conflict *domainerr.Conflict
	switch {
	case errors.As(err, &inv) && !requestForms[form] && !strings.HasPrefix(form, "decide-"):
		// A button without inputs: say what stood in the way.
		h.showRequest(w, r, http.StatusUnprocessableEntity, req, nil, invalidText(inv))
	case errors.As(err, &inv):
		h.showRequest(w, r, http.StatusUnprocessableEntity, req, &fieldErrors{Form: form, Errs: inv.Fields, Values: r.PostForm}, "")
	case errors.Is(err, domainerr.ErrStale):
		fresh, gerr := h.svc.Get(r.Context(), httpx.Principal(r), req.ID)
		if gerr != nil {
			h.fail(w, r, gerr)
			return
		}
		h.showRequest(w, r, http.StatusConflict, fresh, nil, h.clockOf(r).text().T("web.requests.stale"))
	case errors.As(err, &conflict):
		h.showRequest(w, r, http.StatusConflict, req, nil, conflict.Message)
	default:
		h.fail(w, r, err)
	}
}

func (h *requestPages) done(w http.ResponseWriter, r *http.Request, req request.Request, flash, anchor string) {
	h.redirect(w, r, "/requests/"+req.Number+anchor, flash)
}

func (h *requestPages) comment(public bool) http.HandlerFunc {
	form, flash := "comment", "commented"
	if !public {
		form, flash = "note", "noted"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		req, ok := h.loadRequest(w, r)
		if !ok {
			return
		}
		if _, err := h.svc.AddComment(r.Context(), httpx.Principal(r), req.ID, formText(r, "body"), public, nil); err != nil {
			h.afterFailure(w, r, req, form, err)
			return
		}
		h.done(w, r, req, flash, "#journal")
	}
}

// requestAction is a one-button move of a request.
type requestAction struct {
	path, flash string
	perm        auth.Permission
	run         func(h *requestPages, r *http.Request, req request.Request, version int) (request.Request, error)
}

func patchState(s request.State) func(h *requestPages, r *http.Request, req request.Request, version int) (request.Request, error) {
	return func(h *requestPages, r *http.Request, req request.Request, version int) (request.Request, error) {
		return h.svc.Update(r.Context(), httpx.Principal(r), req.ID, request.Patch{State: &s}, version)
	}
}

var requestActions = []requestAction{
	{"assign-to-me", "assigned", request.PermUpdate, func(h *requestPages, r *http.Request, req request.Request, version int) (request.Request, error) {
		return h.svc.Update(r.Context(), httpx.Principal(r), req.ID, request.Patch{AssigneeID: patch.Of(httpx.Principal(r).UserID)}, version)
	}},
	{"fulfil", "fulfilled", request.PermUpdate, patchState(request.Fulfilled)},
	{"close", "request-closed", request.PermUpdate, patchState(request.Closed)},
	{"cancel", "cancelled", request.PermCreate, func(h *requestPages, r *http.Request, req request.Request, version int) (request.Request, error) {
		return h.svc.Cancel(r.Context(), httpx.Principal(r), req.ID, formText(r, "reason"), version)
	}},
	{"reopen", "request-reopened", request.PermCreate, func(h *requestPages, r *http.Request, req request.Request, version int) (request.Request, error) {
		return h.svc.Reopen(r.Context(), httpx.Principal(r), req.ID, formText(r, "reason"), version)
	}},
}

func (h *requestPages) action(a requestAction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req, ok := h.loadRequest(w, r)
		if !ok {
			return
		}
		version, ok := formVersion(r)
		if !ok {
			h.errorPage(w, r, http.StatusBadRequest, h.clockOf(r).text().T("web.requests.no_version"))
			return
		}
		if _, err := a.run(h, r, req, version); err != nil {
			h.afterFailure(w, r, req, a.path, err)
			return
		}
		h.done(w, r, req, a.flash, "")
	}
}

// edit sends only the fields that differ from the record.
func (h *requestPages) edit(w http.ResponseWriter, r *http.Request) {
	req, ok := h.loadRequest(w, r)
	if !ok {
		return
	}
	version, ok := formVersion(r)
	if !ok {
		h.errorPage(w, r, http.StatusBadRequest, h.clockOf(r).text().T("web.requests.no_version"))
		return
	}
	var pt request.Patch
	bad := domainerr.NewInvalid()
	if t := formText(r, "title"); t != req.Title {
		pt.Title = &t
	}
	if s := r.PostFormValue("priority"); s != req.Priority.String() {
		pr, ok := request.ParsePriority(s)
		if !ok {
			bad.Add("priority", "%s", h.clockOf(r).text().T("web.requests.priority_range"))
		}
		pt.Priority = &pr
	}
	for _, ref := range []struct {
		field string
		cur   *int64
		dst   *patch.Field[int64]
	}{{"group_id", req.GroupID, &pt.GroupID}, {"assignee_id", req.AssigneeID, &pt.AssigneeID}} {
		id, ok := formID(r, ref.field)
		msg := ""
		if ref.field == "assignee_id" {
			id, msg = h.personKept(r, ref.field, ref.cur, agentPerson)
			ok = true
		}
		switch {
		case msg != "":
			bad.Add(ref.field, "%s", msg)
		case !ok:
			bad.Add(ref.field, "%s", h.clockOf(r).text().T("web.requests.invalid_choice"))
		case id == nil && ref.cur != nil:
			*ref.dst = patch.Field[int64]{Set: true, Null: true}
		case id != nil && (ref.cur == nil || *ref.cur != *id):
			*ref.dst = patch.Of(*id)
		}
	}
	if bad.Err() != nil {
		h.afterFailure(w, r, req, "edit", bad)
		return
	}
	if _, err := h.svc.Update(r.Context(), httpx.Principal(r), req.ID, pt, version); err != nil {
		h.afterFailure(w, r, req, "edit", err)
		return
	}
	h.done(w, r, req, "updated", "")
}

func (h *requestPages) decide(approve bool) http.HandlerFunc {
	flash := "approved"
	if !approve {
		flash = "rejected"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		req, ok := h.loadRequest(w, r)
		if !ok {
			return
		}
		id, ok := pathID(r)
		if !ok {
			h.errorPage(w, r, http.StatusNotFound, "")
			return
		}
		_, err := h.svc.Decide(r.Context(), httpx.Principal(r), req.ID, id, approve, formText(r, "comment"))
		var refused *domainerr.Refused
		if errors.As(err, &refused) {
			h.showRequest(w, r, http.StatusForbidden, req, nil, errText(h.clockOf(r).text(), refused.Message))
			return
		}
		if errors.Is(err, domainerr.ErrForbidden) {
			h.showRequest(w, r, http.StatusForbidden, req, nil, h.clockOf(r).text().T("web.requests.not_approver"))
			return
		}
		if err != nil {
			h.afterFailure(w, r, req, "decide-"+strconv.FormatInt(id, 10), err)
			return
		}
		if r.PostFormValue("back") == "approvals" {
			h.redirect(w, r, "/approvals", flash)
			return
		}
		h.done(w, r, req, flash, "#approvals")
	}
}

func (h *requestPages) addTask(w http.ResponseWriter, r *http.Request) {
	req, ok := h.loadRequest(w, r)
	if !ok {
		return
	}
	in := request.NewTask{Name: r.PostFormValue("name"), Note: formText(r, "note")}
	if r.PostFormValue("note_visibility") == string(request.NoteRequester) {
		vis := request.NoteRequester
		in.NoteVisibility = &vis
	}
	bad := domainerr.NewInvalid()
	var ok1 bool
	if in.GroupID, ok1 = formID(r, "group_id"); !ok1 {
		bad.Add("group_id", "%s", h.clockOf(r).text().T("web.requests.invalid_choice"))
	}
	if s := r.PostFormValue("order"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			bad.Add("order", "%s", h.clockOf(r).text().T("web.requests.order_range", "Max", request.MaxOrder))
		}
		in.Order = &n
	}
	if bad.Err() != nil {
		h.afterFailure(w, r, req, "task", bad)
		return
	}
	if _, err := h.svc.AddTask(r.Context(), httpx.Principal(r), req.ID, in); err != nil {
		h.afterFailure(w, r, req, "task", err)
		return
	}
	h.done(w, r, req, "task", "#tasks")
}

// taskAction is a one-button change of a task.
type taskAction struct {
	path, flash string
	build       func(me int64) request.TaskPatch
}

var taskActions = []taskAction{
	{"done", "taskdone", func(int64) request.TaskPatch { s := request.TaskDone; return request.TaskPatch{State: &s} }},
	{"cancel", "taskoff", func(int64) request.TaskPatch { s := request.TaskCancelled; return request.TaskPatch{State: &s} }},
	{"take", "tasktaken", func(me int64) request.TaskPatch { return request.TaskPatch{AssigneeID: patch.Of(me)} }},
}

func (h *requestPages) taskAction(a taskAction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req, ok := h.loadRequest(w, r)
		if !ok {
			return
		}
		id, ok := pathID(r)
		if !ok {
			h.errorPage(w, r, http.StatusNotFound, "")
			return
		}
		version, _ := formVersion(r)
		p := httpx.Principal(r)
		if _, err := h.svc.UpdateTask(r.Context(), p, req.ID, id, a.build(p.UserID), version); err != nil {
			h.afterFailure(w, r, req, "tasks", err)
			return
		}
		h.done(w, r, req, a.flash, "#tasks")
	}
}
