package api

import (
	"net/http"
	"strconv"

	"steward/internal/httpx"
	"steward/internal/internalaudit"
	"steward/internal/nonconformity"
	"steward/internal/review"
	"steward/internal/sms"
)

// checkingAPI serves the management system's checking and correcting:
// internal audits (9.2), nonconformities and their actions (10.1) and
// management reviews (9.3).
type checkingAPI struct {
	*API
	audits  *internalaudit.Service
	ncs     *nonconformity.Service
	reviews *review.Service
}

// CheckingRoutes are the routes of internal audits, nonconformities,
// actions and management reviews.
func CheckingRoutes(audits *internalaudit.Service, ncs *nonconformity.Service, reviews *review.Service) Routes {
	return func(a *API, rt *httpx.Router) {
		h := &checkingAPI{API: a, audits: audits, ncs: ncs, reviews: reviews}
		rt.Handle("GET /api/v1/audit-programmes", sms.PermRead, h.listProgrammes)
		rt.Handle("POST /api/v1/audit-programmes", sms.PermWrite, h.createProgramme)
		rt.Handle("PATCH /api/v1/audit-programmes/{id}", sms.PermWrite, h.patchProgramme)
		rt.Handle("GET /api/v1/audits", sms.PermRead, h.listAudits)
		rt.Handle("POST /api/v1/audits", sms.PermWrite, h.createAudit)
		rt.Handle("GET /api/v1/audits/{id}", sms.PermRead, h.getAudit)
		rt.Handle("PATCH /api/v1/audits/{id}", sms.PermWrite, h.patchAudit)
		rt.Handle("POST /api/v1/audits/{id}/start", sms.PermAudit, h.startAudit)
		rt.Handle("GET /api/v1/audits/{id}/items", sms.PermRead, h.auditItems)
		rt.Handle("PATCH /api/v1/audits/{id}/items/{itemID}", sms.PermAudit, h.recordItem)
		rt.Handle("GET /api/v1/audits/{id}/report", sms.PermRead, h.getReport)
		rt.Handle("POST /api/v1/audits/{id}/report", sms.PermAudit, h.reportAudit)
		rt.Handle("GET /api/v1/audit-coverage", sms.PermRead, h.coverage)

		rt.Handle("GET /api/v1/nonconformities", sms.PermRead, h.listNCs)
		rt.Handle("POST /api/v1/nonconformities", sms.PermWrite, h.createNC)
		rt.Handle("GET /api/v1/nonconformities/{ref}", sms.PermRead, h.getNC)
		rt.Handle("PATCH /api/v1/nonconformities/{ref}", sms.PermWrite, h.patchNC)
		rt.Handle("POST /api/v1/nonconformities/{ref}/actions", sms.PermWrite, h.addNCAction)
		rt.Handle("GET /api/v1/actions", sms.PermRead, h.listActions)
		// The owner of an action may mark it done without keeping the
		// management system; the service checks who.
		rt.Handle("PATCH /api/v1/actions/{id}", sms.PermRead, h.patchAction)

		rt.Handle("GET /api/v1/management-reviews", sms.PermRead, h.listReviews)
		rt.Handle("POST /api/v1/management-reviews", sms.PermWrite, h.createReview)
		rt.Handle("GET /api/v1/management-reviews/{id}", sms.PermRead, h.getReview)
		rt.Handle("PATCH /api/v1/management-reviews/{id}", sms.PermWrite, h.patchReview)
		rt.Handle("POST /api/v1/management-reviews/{id}/compile", sms.PermWrite, h.compileReview)
		rt.Handle("POST /api/v1/management-reviews/{id}/actions", sms.PermWrite, h.addReviewAction)
	}
}

// versioned writes v with its version as the ETag.
func versioned(w http.ResponseWriter, status int, version int, v any) {
	w.Header().Set("ETag", etag(version))
	writeJSON(w, status, v)
}

func (h *checkingAPI) listProgrammes(w http.ResponseWriter, r *http.Request) {
	list, err := h.audits.ListProgrammes(r.Context(), httpx.Principal(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (h *checkingAPI) createProgramme(w http.ResponseWriter, r *http.Request) {
	var in internalaudit.ProgrammeInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := h.audits.SaveProgramme(r.Context(), httpx.Principal(r), 0, in, 0)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/audit-programmes/"+strconv.FormatInt(p.ID, 10))
	versioned(w, http.StatusCreated, p.Version, p)
}

func (h *checkingAPI) patchProgramme(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in internalaudit.ProgrammeInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := h.audits.SaveProgramme(r.Context(), httpx.Principal(r), id, in, ifMatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	versioned(w, http.StatusOK, p.Version, p)
}

func (h *checkingAPI) listAudits(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "programme_id", "state", "limit", "cursor")
	f := internalaudit.AuditFilter{ProgrammeID: q.int64("programme_id"), State: q.str("state", 20), Limit: q.limit(), BeforeID: q.int64("cursor")}
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.audits.List(r.Context(), httpx.Principal(r), f)
	if err = queryFault(err); err != nil {
		h.fail(w, r, err)
		return
	}
	next := ""
	if len(list) == f.Limit {
		next = strconv.FormatInt(list[len(list)-1].ID, 10)
	}
	writeJSON(w, http.StatusOK, listBody(list, next))
}

func (h *checkingAPI) createAudit(w http.ResponseWriter, r *http.Request) {
	var in internalaudit.AuditInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.audits.Save(r.Context(), httpx.Principal(r), 0, in, 0)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/audits/"+strconv.FormatInt(a.ID, 10))
	versioned(w, http.StatusCreated, a.Version, a)
}

func (h *checkingAPI) getAudit(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.audits.Get(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if notModified(w, r, a.Version) {
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (h *checkingAPI) patchAudit(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in internalaudit.AuditInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.audits.Save(r.Context(), httpx.Principal(r), id, in, ifMatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	versioned(w, http.StatusOK, a.Version, a)
}

func (h *checkingAPI) startAudit(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.audits.Start(r.Context(), httpx.Principal(r), id, ifMatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	versioned(w, http.StatusOK, a.Version, a)
}

func (h *checkingAPI) auditItems(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.audits.Get(r.Context(), httpx.Principal(r), id); err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.audits.Items(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (h *checkingAPI) recordItem(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	item, err := pathID(r, "itemID")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in internalaudit.ItemInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	it, err := h.audits.RecordItem(r.Context(), httpx.Principal(r), id, item, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, it)
}

func (h *checkingAPI) getReport(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rep, err := h.audits.Report(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// reportInput is the summary given when an audit is reported.
type reportInput struct {
	Summary *string `json:"summary"`
}

func (h *checkingAPI) reportAudit(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in reportInput
	if r.ContentLength != 0 {
		if err := decode(w, r, &in); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	a, err := h.audits.ReportAudit(r.Context(), httpx.Principal(r), id, in.Summary, ifMatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	versioned(w, http.StatusOK, a.Version, a)
}

func (h *checkingAPI) coverage(w http.ResponseWriter, r *http.Request) {
	list, err := h.audits.Coverage(r.Context(), httpx.Principal(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
}
