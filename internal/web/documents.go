package web

import (
	"cmp"
	"net/http"
	"slices"
	"time"

	"steward/internal/auth"
	"steward/internal/document"
	"steward/internal/httpx"
	"steward/internal/sms"
)

// DocumentPages are the register of documented information's pages: the
// register with the mandatory-set checklist, a document with its
// versions and acknowledgements, the document form, and each person's
// documents to acknowledge.
func DocumentPages(svc *document.Service) Pages {
	return func(wb *Web, rt *httpx.Router) {
		h := documentPages{wb: wb, svc: svc}
		rt.Handle("GET /documents", sms.PermRead, h.register)
		rt.Handle("GET /documents/new", sms.PermWrite, h.newDoc)
		wb.post(rt, "POST /documents", sms.PermWrite, h.create)
		rt.Handle("GET /documents/acknowledge", sms.PermAcknowledge, h.toAcknowledge)
		rt.Handle("GET /documents/{id}", sms.PermRead, h.detail)
		rt.Handle("GET /documents/{id}/edit", sms.PermWrite, h.edit)
		wb.post(rt, "POST /documents/{id}", sms.PermWrite, h.update)
		// A new version may come with a file, so its form is multipart and
		// read as it arrives.
		rt.Handle("POST /documents/{id}/versions", sms.PermWrite, h.addVersionRequest)
		// The approver named on a document may be an agent; the service
		// decides who may approve.
		wb.post(rt, "POST /documents/{id}/versions/{number}/approve", sms.PermRead, h.approve)
		wb.post(rt, "POST /documents/{id}/acknowledge", sms.PermAcknowledge, h.acknowledge)
		rt.Handle("GET /documents/{id}/compare", sms.PermRead, h.compare)
		wb.recordShows[document.KindName] = func(w http.ResponseWriter, r *http.Request, status int, id int64, f *fieldErrors) {
			h.showDetail(w, r, status, id, f, "")
		}
	}
}

// docID reads the document in the path: its id (12) or number (DOC-000012).
func docID(r *http.Request) (int64, bool) { return document.ParseRef(r.PathValue("id")) }

type documentPages struct {
	wb  *Web
	svc *document.Service
}

// docRow is one line of the register, with its dates in the viewer's words.
type docRow struct {
	document.Document
	Process string
	Review  string // the next review date in the viewer's format
	Late    string // "3 months overdue", or ""
}

type registerView struct {
	Items     []docRow
	Next      string
	Types     []document.Type
	Statuses  []document.Status
	Type      string
	Status    string
	Overdue   bool
	Query     string
	Checks    []document.Check
	ToAck     int
	CanWrite  bool
	CanAck    bool
	LateCount int
}

func (h documentPages) register(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ck := h.wb.clockOf(r)
	q := r.URL.Query()
	v := registerView{Types: document.Types, Statuses: document.Statuses, Type: q.Get("type"), Status: q.Get("status"),
		Overdue: q.Get("overdue") == "1", Query: q.Get("q"), CanWrite: httpx.Principal(r).Can(sms.PermWrite)}
	today := time.Now().In(ck.loc).Format(document.DateLayout)
	f := document.Filter{Overdue: v.Overdue, Today: today, Query: v.Query, Cursor: q.Get("cursor"), Limit: 100}
	if v.Type != "" {
		if !document.Type(v.Type).Valid() {
			h.wb.errorPage(w, r, http.StatusBadRequest, h.wb.clockOf(r).text().T("web.documents.choose_type_list"))
			return
		}
		f.Types = []document.Type{document.Type(v.Type)}
	}
	if v.Status != "" {
		if !document.Status(v.Status).Valid() {
			h.wb.errorPage(w, r, http.StatusBadRequest, h.wb.clockOf(r).text().T("web.documents.choose_status_list"))
			return
		}
		f.Statuses = []document.Status{document.Status(v.Status)}
	}
	list, err := document.List(ctx, h.wb.DB, f)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	procs, err := h.processNames(r)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	for _, d := range list.Items {
		v.Items = append(v.Items, docRow{Document: d, Process: procs[d.ProcessKey], Review: reviewDay(ck, d.NextReview), Late: lateWords(ck, d, today)})
	}
	if list.NextCursor != "" {
		nq := r.URL.Query()
		nq.Set("cursor", list.NextCursor)
		v.Next = "/documents?" + nq.Encode()
	}
	if v.Checks, err = document.Checklist(ctx, h.wb.DB); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	late, err := document.List(ctx, h.wb.DB, document.Filter{Overdue: true, Today: today, Limit: document.MaxList})
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v.LateCount = len(late.Items)
	p := httpx.Principal(r)
	if v.CanAck = p.Can(sms.PermAcknowledge); v.CanAck {
		if v.ToAck, err = document.PendingCount(ctx, h.wb.DB, p.UserID); err != nil {
			h.wb.fail(w, r, err)
			return
		}
	}
	h.wb.render(w, r, http.StatusOK, "documents", page{Title: "Documents", Active: "documents", Data: v})
}

// processNames names the SMS's processes by key.
func (h documentPages) processNames(r *http.Request) (map[string]string, error) {
	list, err := document.Processes(r.Context(), h.wb.DB)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, p := range list {
		out[p.Key] = p.Name
	}
	return out, nil
}

// reviewDay writes a YYYY-MM-DD date in the viewer's date format.
func reviewDay(ck clock, date string) string {
	if date == "" {
		return ""
	}
	t, err := time.ParseInLocation(document.DateLayout, date, ck.loc)
	if err != nil {
		return date
	}
	return ck.day(t)
}

// lateWords says how long a review is overdue, in the viewer's language.
func lateWords(ck clock, d document.Document, today string) string {
	n := d.DaysOverdue(today)
	tx := ck.text()
	switch {
	case n <= 0:
		return ""
	case n < 45:
		return tx.T("documents.overdue_days", "Count", n)
	case n < 730:
		return tx.T("documents.overdue_months", "Count", (n+15)/30)
	}
	return tx.T("documents.overdue_years", "Count", n/365)
}

type ackView struct {
	Items []docRow
}

func (h documentPages) toAcknowledge(w http.ResponseWriter, r *http.Request) {
	ck := h.wb.clockOf(r)
	list, err := document.Pending(r.Context(), h.wb.DB, httpx.Principal(r).UserID)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	procs, err := h.processNames(r)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	var v ackView
	for _, d := range list {
		v.Items = append(v.Items, docRow{Document: d, Process: procs[d.ProcessKey], Review: reviewDay(ck, d.NextReview)})
	}
	h.wb.render(w, r, http.StatusOK, "documents_acknowledge", page{Title: "Documents to acknowledge", Active: "documents-ack", Data: v})
}

// staffOptions are the people a document may be entrusted to: active
// administrators and agents.
func (h documentPages) staffOptions(r *http.Request) ([]option, error) {
	var out []option
	for _, role := range []auth.Role{auth.Admin, auth.Agent} {
		users, err := auth.ListUsers(r.Context(), h.wb.DB, auth.UserFilter{Role: role, Limit: maxChoices})
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			if u.Active {
				out = append(out, option{ID: u.ID, Name: u.Name, Email: u.Email})
			}
		}
	}
	slices.SortFunc(out, func(a, b option) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}
