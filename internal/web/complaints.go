package web

import (
	"errors"
	"net/http"
	"strings"

	"steward/internal/auth"
	"steward/internal/complaint"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/patch"
)

func (h csatPages) registerComplaints(rt *httpx.Router) {
	rt.Handle("GET /complaints", complaint.PermRead, h.complaintList)
	rt.Handle("GET /complaints/new", complaint.PermCreate, h.newComplaint)
	h.wb.post(rt, "POST /complaints", complaint.PermCreate, h.createComplaint)
	rt.Handle("GET /complaints/{ref}", complaint.PermRead, h.complaintPage)
	h.wb.post(rt, "POST /complaints/{ref}", complaint.PermUpdate, h.updateComplaint)
	h.wb.post(rt, "POST /complaints/{ref}/notes", complaint.PermUpdate, h.noteComplaint)
}

type complaintsView struct {
	Items     []complaintRow
	Tab, Next string
	Staff     bool
	CanCreate bool
}

func (h csatPages) complaintList(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	v := complaintsView{Tab: r.URL.Query().Get("state"), Staff: p.IsStaff(), CanCreate: p.Can(complaint.PermCreate)}
	f := complaint.Filter{Limit: 100, Cursor: r.URL.Query().Get("cursor")}
	switch v.Tab {
	case "", "open":
		v.Tab = "open"
		f.States = complaint.OpenStates
	case "overdue":
		f.Overdue = true
	case "closed":
		f.States = []complaint.State{complaint.Closed}
	case "all":
	default:
		h.wb.errorPage(w, r, http.StatusBadRequest, h.wb.clockOf(r).text().T("web.complaints.choose_tabs_open"))
		return
	}
	pg, err := h.complaints.List(r.Context(), p, f)
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		h.wb.errorPage(w, r, http.StatusBadRequest, inv.Error())
		return
	} else if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	tx := h.wb.clockOf(r).text()
	for _, c := range pg.Items {
		v.Items = append(v.Items, complaintRow{Complaint: c, From: complaintSource(tx, p, c)})
	}
	v.Next = pg.NextCursor
	h.wb.render(w, r, http.StatusOK, "complaints", page{Title: tx.T("complaint.list_title"), Active: "complaints", Data: v})
}

// complaintRow is one complaint of the list with how it came in.
type complaintRow struct {
	complaint.Complaint
	From string
}

// complaintSource says how a complaint came in, as the viewer reads it:
// a requester tells their own rating and their own complaint from the
// ones the desk opened.
func complaintSource(tx i18n.Text, p *auth.Principal, c complaint.Complaint) string {
	mine := func(id *int64) bool { return id != nil && *id == p.UserID }
	switch c.Source {
	case "rating":
		if mine(c.RequesterID) {
			return tx.T("complaint.src_your_rating")
		}
		return tx.T("complaint.src_rating")
	case "email":
		return tx.T("complaint.src_email")
	case "agent":
		return tx.T("complaint.src_desk")
	}
	if mine(c.CreatedByID) {
		return tx.T("complaint.src_you")
	}
	return tx.T("complaint.src_requester", "Name", c.RequesterName)
}

type complaintFormView struct {
	C       complaint.Complaint
	Days    int
	Staff   bool
	F       *fieldErrors
	Options formOptions
}

func (h csatPages) newComplaint(w http.ResponseWriter, r *http.Request) {
	c := complaint.Complaint{Related: strings.TrimSpace(r.URL.Query().Get("related"))}
	h.showNewComplaint(w, r, http.StatusOK, c, nil)
}

func (h csatPages) showNewComplaint(w http.ResponseWriter, r *http.Request, status int, c complaint.Complaint, fe *fieldErrors) {
	p := httpx.Principal(r)
	v := complaintFormView{C: c, Staff: p.IsStaff(), F: fe}
	var err error
	if v.Days, err = complaint.TargetDays(r.Context(), h.wb.DB); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if v.Staff {
		if v.Options, err = h.wb.formOptions(r, true); err != nil {
			h.wb.fail(w, r, err)
			return
		}
	}
	tx := h.wb.clockOf(r).text()
	h.wb.render(w, r, status, "complaint_new", page{Title: tx.T("complaint.new_title"), Active: "complaints", Data: v})
}

func (h csatPages) createComplaint(w http.ResponseWriter, r *http.Request) {
	v := domainerr.NewInvalid()
	in := complaint.NewComplaint{Title: strings.TrimSpace(r.PostFormValue("title")), Description: formText(r, "description"),
		Related: r.PostFormValue("related")}
	if httpx.Principal(r).IsStaff() {
		if id, ok := formID(r, "customer_id"); ok {
			in.CustomerID = id
		} else {
			v.Add("customer_id", "%s", h.wb.clockOf(r).text().T("web.complaints.choose_from_list"))
		}
		in.RequesterID = h.wb.personID(r, v, "requester_id", requesterPerson)
		in.OwnerID = h.wb.personID(r, v, "owner_id", agentPerson)
		in.TargetOn = strings.TrimSpace(r.PostFormValue("target_on"))
	}
	var err error
	if len(v.Fields) == 0 {
		var c complaint.Complaint
		if c, err = h.complaints.Create(r.Context(), httpx.Principal(r), in); err == nil {
			h.wb.redirect(w, r, "/complaints/"+c.Number, "complaint_raised")
			return
		}
	}
	bad, err := planMerged(v, err)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showNewComplaint(w, r, http.StatusUnprocessableEntity, complaint.Complaint{}, &fieldErrors{Form: "complaint", Errs: bad.Fields, Values: r.PostForm})
}

type complaintView struct {
	C        complaint.Complaint
	Journal  []complaint.Entry
	Staff    bool
	CanWork  bool
	F        *fieldErrors
	Error    string
	Agents   []option
	Next     []string
	Accepted string // yes, no or ""
}

func (h csatPages) loadComplaint(w http.ResponseWriter, r *http.Request) (complaint.Complaint, bool) {
	id, ok := complaint.ParseRef(r.PathValue("ref"))
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return complaint.Complaint{}, false
	}
	c, err := h.complaints.Get(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.wb.fail(w, r, err)
		return c, false
	}
	return c, true
}

func (h csatPages) complaintPage(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadComplaint(w, r)
	if !ok {
		return
	}
	h.showComplaint(w, r, http.StatusOK, c, nil, "")
}

func (h csatPages) showComplaint(w http.ResponseWriter, r *http.Request, status int, c complaint.Complaint, fe *fieldErrors, msg string) {
	p := httpx.Principal(r)
	v := complaintView{C: c, Staff: p.IsStaff(), CanWork: p.Can(complaint.PermUpdate) && c.State != complaint.Closed, F: fe, Error: msg,
		Next: complaint.Machine.Next(string(c.State))}
	if c.Accepted != nil {
		v.Accepted = "no"
		if *c.Accepted {
			v.Accepted = "yes"
		}
	}
	var err error
	if v.Journal, err = h.complaints.Journal(r.Context(), p, c.ID); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if v.CanWork {
		opts, err := h.wb.formOptions(r, false)
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		v.Agents = opts.Agents
	}
	h.wb.render(w, r, status, "complaint", page{Title: c.Number + " " + c.Title, Active: "complaints", Data: v})
}

// updateComplaint saves the working form; a button naming a state moves
// the complaint there with what the form holds.
func (h csatPages) updateComplaint(w http.ResponseWriter, r *http.Request) {
	id, ok := complaint.ParseRef(r.PathValue("ref"))
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	v := domainerr.NewInvalid()
	txt := func(name string) *string { s := formText(r, name); return &s }
	pt := complaint.Patch{Title: txt("title"), Investigation: txt("investigation"), Response: txt("response"),
		Closure: txt("closure"), TargetOn: txt("target_on")}
	owner := h.wb.personID(r, v, "owner_id", agentPerson)
	pt.OwnerID = patch.Field[int64]{Set: true, Null: owner == nil}
	if owner != nil {
		pt.OwnerID.V = *owner
	}
	switch r.PostFormValue("accepted") {
	case "yes":
		pt.Accepted = patch.Of(true)
	case "no":
		pt.Accepted = patch.Of(false)
	case "":
		pt.Accepted = patch.Field[bool]{Set: true, Null: true}
	default:
		v.Add("accepted", "%s", h.wb.clockOf(r).text().T("web.complaints.choose_yes_no"))
	}
	if st := r.PostFormValue("move"); st != "" {
		s := complaint.State(st)
		pt.State = &s
	}
	ver, _ := formVersion(r)
	var err error
	if len(v.Fields) == 0 {
		var c complaint.Complaint
		if c, err = h.complaints.Update(r.Context(), httpx.Principal(r), id, pt, ver); err == nil {
			h.wb.redirect(w, r, "/complaints/"+c.Number, "saved")
			return
		}
	}
	var conflict *domainerr.Conflict
	stale := errors.Is(err, domainerr.ErrStale)
	if errors.As(err, &conflict) || stale {
		cur, gerr := h.complaints.Get(r.Context(), httpx.Principal(r), id)
		if gerr != nil {
			h.wb.fail(w, r, gerr)
			return
		}
		msg := h.wb.stale(r)
		if conflict != nil {
			msg = conflict.Message
		}
		h.showComplaint(w, r, http.StatusConflict, cur, nil, msg)
		return
	}
	bad, err := planMerged(v, err)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	cur, gerr := h.complaints.Get(r.Context(), httpx.Principal(r), id)
	if gerr != nil {
		h.wb.fail(w, r, gerr)
		return
	}
	h.showComplaint(w, r, http.StatusUnprocessableEntity, cur, &fieldErrors{Form: "complaint", Errs: bad.Fields, Values: r.PostForm}, "")
}

func (h csatPages) noteComplaint(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadComplaint(w, r)
	if !ok {
		return
	}
	_, err := h.complaints.AddNote(r.Context(), httpx.Principal(r), c.ID, formText(r, "body"))
	if err == nil {
		h.wb.redirect(w, r, "/complaints/"+c.Number+"#journal", "saved")
		return
	}
	var inv *domainerr.Invalid
	if !errors.As(err, &inv) {
		h.wb.fail(w, r, err)
		return
	}
	h.showComplaint(w, r, http.StatusUnprocessableEntity, c, &fieldErrors{Form: "note", Errs: inv.Fields, Values: r.PostForm}, "")
}
