package api

import (
	"net/http"

	"steward/internal/complaint"
	"steward/internal/httpx"
)

// complaintAPI serves complaints (CMP-).
type complaintAPI struct {
	*API
	svc *complaint.Service
}

// ComplaintRoutes are complaints' API routes over svc.
func ComplaintRoutes(svc *complaint.Service) Routes {
	return func(a *API, rt *httpx.Router) {
		h := &complaintAPI{API: a, svc: svc}
		rt.Handle("GET /api/v1/complaints", complaint.PermRead, h.list)
		rt.Handle("POST /api/v1/complaints", complaint.PermCreate, h.create)
		(&kindAPI[complaint.Complaint, complaint.Patch, complaint.Entry]{a: a, kind: svc.Kind(), ref: complaint.ParseRef,
			get: svc.Get, update: svc.Update, journal: svc.Journal, addNote: svc.AddNote,
			version: func(c complaint.Complaint) int { return c.Version }}).routes(rt)
	}
}

func (h *complaintAPI) list(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "state", "customer_id", "owner_id", "overdue", "q", "limit", "cursor")
	f := complaint.Filter{CustomerID: q.int64("customer_id"), Query: q.str("q", 200), Limit: q.limit(), Cursor: q.str("cursor", 30)}
	if v := q.str("owner_id", 20); v == "me" {
		f.OwnerID = httpx.Principal(r).UserID
	} else if v != "" {
		f.OwnerID = q.int64("owner_id")
	}
	if b := q.boolean("overdue"); b != nil {
		f.Overdue = *b
	}
	for _, s := range q.list("state") {
		if s == "open" {
			f.States = append(f.States, complaint.OpenStates...)
			continue
		}
		f.States = append(f.States, complaint.State(s))
	}
	listPage(h.API, w, r, q, f, h.svc.List)
}

func (h *complaintAPI) create(w http.ResponseWriter, r *http.Request) {
	createNumbered(h.API, w, r, "/api/v1/complaints/", h.svc.Create,
		func(c complaint.Complaint) (string, int) { return c.Number, c.Version })
}
