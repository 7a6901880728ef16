package api

import (
	"context"
	"errors"
	"net/http"

	"steward/internal/change"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/schedule"
	"steward/internal/store"
)

// ChangeRoutes are change management's API routes: changes, their board's
// decisions, the conflicts of their window and the standard change
// catalogue.
func ChangeRoutes(svc *change.Service) Routes {
	return func(a *API, rt *httpx.Router) {
		h := &changeAPI{a: a, svc: svc}
		rt.Handle("POST /api/v1/changes", change.PermCreate, h.create)
		rt.Handle("GET /api/v1/changes", change.PermRead, h.list)
		(&kindAPI[change.Change, change.Patch, change.Entry]{a: a, kind: svc.Kind(), ref: change.ParseRef,
			get: svc.Get, update: svc.Update, journal: svc.Journal, fail: h.fail,
			version: func(c change.Change) int { return c.Version },
			answer:  func(w http.ResponseWriter, _ *http.Request, status int, c change.Change) { h.write(w, status, c, nil) }}).routes(rt)
		rt.Handle("GET /api/v1/changes/{ref}/conflicts", change.PermRead, h.conflicts)
		rt.Handle("GET /api/v1/changes/{ref}/approvals", change.PermRead, h.approvals)
		rt.Handle("POST /api/v1/changes/{ref}/approvals", change.PermApprove, h.decide)
		rt.Handle("GET /api/v1/changes/{ref}/ci-changes", change.PermRead, h.ciChanges)
		rt.Handle("GET /api/v1/change-templates", change.PermRead, h.templates)
		rt.Handle("POST /api/v1/change-templates", change.PermTemplateWrite, h.createTemplate)
		rt.Handle("GET /api/v1/change-templates/{id}", change.PermRead, h.template)
		rt.Handle("PATCH /api/v1/change-templates/{id}", change.PermTemplateWrite, h.patchTemplate)
		rt.Handle("GET /api/v1/change-approval-policies", change.PermRead, h.policies)
		rt.Handle("PATCH /api/v1/change-approval-policies/{id}", change.PermTemplateWrite, h.patchPolicy)
	}
}

type changeAPI struct {
	a   *API
	svc *change.Service
}

// changeOut is a change as the API answers it; a created change comes
// with the conflicts its window has.
type changeOut struct {
	change.Change
	Conflicts *[]schedule.Conflict `json:"conflicts,omitempty"`
}

func (h *changeAPI) ref(r *http.Request) (int64, error) {
	id, ok := change.ParseRef(r.PathValue("ref"))
	if !ok {
		return 0, store.ErrNotFound
	}
	return id, nil
}

// fail answers err; a refusal to schedule over conflicts lists them.
func (h *changeAPI) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ce *change.ConflictsError
	if errors.As(err, &ce) {
		writeJSON(w, http.StatusConflict, map[string]any{"error": errorDetail{Code: "conflict", Message: ce.Error()},
			"conflicts": ce.Items})
		return
	}
	h.a.fail(w, r, err)
}

func (h *changeAPI) write(w http.ResponseWriter, status int, c change.Change, conflicts []schedule.Conflict) {
	w.Header().Set("ETag", etag(c.Version))
	out := changeOut{Change: c}
	if status == http.StatusCreated {
		w.Header().Set("Location", "/api/v1/changes/"+c.Number)
		out.Conflicts = &conflicts
	}
	writeJSON(w, status, out)
}

func (h *changeAPI) create(w http.ResponseWriter, r *http.Request) {
	var in change.NewChange
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	idem, err := h.a.idempotency(r, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if idem.replay(w) {
		return
	}
	p := httpx.Principal(r)
	var hook change.InTxHook
	var conflicts []schedule.Conflict
	if idem.key != "" {
		keep := storeHook[changeOut](idem, http.StatusCreated)
		hook = func(ctx context.Context, tx *store.Tx, c change.Change) error {
			cs, err := h.svc.ConflictsIn(ctx, tx, c)
			if err != nil {
				return err
			}
			conflicts = cs
			return keep(ctx, tx, changeOut{Change: c, Conflicts: &cs})
		}
	}
	c, err := h.svc.Create(r.Context(), p, in, hook)
	if idem.raced(err) && idem.replay(w) {
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if hook == nil {
		if conflicts, err = h.svc.ConflictsOf(r.Context(), p, c.ID); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.write(w, http.StatusCreated, c, conflicts)
}

func (h *changeAPI) list(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "state", "type", "outcome", "assignee_id", "created_after", "created_before", "closed_after", "closed_before",
		"q", "limit", "cursor")
	f := change.Filter{States: q.list("state"), Types: q.list("type"), Outcomes: q.list("outcome"), AssigneeID: q.int64("assignee_id"),
		CreatedAfter: q.time("created_after"), CreatedBefore: q.time("created_before"),
		ClosedAfter: q.time("closed_after"), ClosedBefore: q.time("closed_before"),
		Query: q.str("q", 200), Limit: q.limit(), Cursor: q.str("cursor", 300)}
	listPage(h.a, w, r, q, f, h.svc.List)
}

func (h *changeAPI) conflicts(w http.ResponseWriter, r *http.Request) {
	id, err := h.ref(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	cs, err := h.svc.ConflictsOf(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": cs})
}

func (h *changeAPI) approvals(w http.ResponseWriter, r *http.Request) {
	id, err := h.ref(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.svc.ApprovalsOf(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

type changeDecisionInput struct {
	Decision string `json:"decision"`
	Comment  string `json:"comment"`
}

func (h *changeAPI) decide(w http.ResponseWriter, r *http.Request) {
	id, err := h.ref(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in changeDecisionInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.svc.Decide(r.Context(), httpx.Principal(r), id, in.Decision, in.Comment)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.write(w, http.StatusOK, c, nil)
}

func (h *changeAPI) ciChanges(w http.ResponseWriter, r *http.Request) {
	id, err := h.ref(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	items, err := h.svc.CIChanges(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(items, ""))
}

func (h *changeAPI) templates(w http.ResponseWriter, r *http.Request) {
	items, err := h.svc.Templates(r.Context(), httpx.Principal(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(items, ""))
}

func (h *changeAPI) template(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	t, err := h.svc.GetTemplate(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(t.Version))
	writeJSON(w, http.StatusOK, t)
}

func (h *changeAPI) createTemplate(w http.ResponseWriter, r *http.Request) {
	h.saveTemplate(w, r, 0, http.StatusCreated)
}

func (h *changeAPI) patchTemplate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.saveTemplate(w, r, id, http.StatusOK)
}

func (h *changeAPI) saveTemplate(w http.ResponseWriter, r *http.Request, id int64, status int) {
	var in change.TemplateInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if id == 0 && in.Name == nil {
		h.fail(w, r, domainerr.Field("name", "is required"))
		return
	}
	t, err := h.svc.SaveTemplate(r.Context(), httpx.Principal(r), id, in, ifMatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(t.Version))
	writeJSON(w, status, t)
}

func (h *changeAPI) policies(w http.ResponseWriter, r *http.Request) {
	ps, err := h.svc.Policies(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(ps, ""))
}

type policyInput struct {
	GroupID   *int64  `json:"group_id"`
	Approvers []int64 `json:"approvers"`
	Rule      string  `json:"rule"`
}

func (h *changeAPI) patchPolicy(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in policyInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.svc.SetPolicy(r.Context(), httpx.Principal(r), id, in.GroupID, in.Approvers, in.Rule); err != nil {
		h.fail(w, r, err)
		return
	}
	ps, err := h.svc.Policies(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, p := range ps {
		if p.ID == id {
			writeJSON(w, http.StatusOK, p)
			return
		}
	}
	h.fail(w, r, store.ErrNotFound)
}
