package api

import (
	"net/http"

	"steward/internal/continuity"
	"steward/internal/httpx"
	"steward/internal/sms"
)

// continuityAPI serves service continuity (8.7.2): requirements, plans,
// tests, invocations and the standing of every service.
type continuityAPI struct {
	*API
	svc *continuity.Service
}

// ContinuityRoutes are continuity's API routes over svc.
func ContinuityRoutes(svc *continuity.Service) Routes {
	return func(a *API, rt *httpx.Router) {
		h := &continuityAPI{API: a, svc: svc}
		rt.Handle("GET /api/v1/reports/continuity", continuity.PermRead, h.standing)
		rt.Handle("GET /api/v1/continuity-requirements", continuity.PermRead, h.listRequirements)
		rt.Handle("PUT /api/v1/continuity-requirements/{service_id}", continuity.PermWrite, h.setRequirement)
		rt.Handle("DELETE /api/v1/continuity-requirements/{service_id}", continuity.PermWrite, h.deleteRequirement)
		rt.Handle("GET /api/v1/continuity-plans", continuity.PermRead, h.listPlans)
		rt.Handle("POST /api/v1/continuity-plans", continuity.PermWrite, h.createPlan)
		rt.Handle("GET /api/v1/continuity-plans/{id}", continuity.PermRead, h.getPlan)
		rt.Handle("PATCH /api/v1/continuity-plans/{id}", continuity.PermWrite, h.patchPlan)
		rt.Handle("DELETE /api/v1/continuity-plans/{id}", continuity.PermWrite, h.deletePlan)
		rt.Handle("POST /api/v1/continuity-plans/{id}/approve", continuity.PermApprove, h.approvePlan)
		rt.Handle("GET /api/v1/continuity-tests", continuity.PermRead, h.listTests)
		rt.Handle("POST /api/v1/continuity-tests", continuity.PermWrite, h.createTest)
		rt.Handle("GET /api/v1/continuity-tests/{id}", continuity.PermRead, h.getTest)
		rt.Handle("PATCH /api/v1/continuity-tests/{id}", continuity.PermWrite, h.patchTest)
		rt.Handle("DELETE /api/v1/continuity-tests/{id}", continuity.PermWrite, h.deleteTest)
		rt.Handle("POST /api/v1/continuity-tests/{id}/actions", continuity.PermWrite, h.addAction)
		rt.Handle("POST /api/v1/continuity-tests/{id}/actions/{action}/done", continuity.PermWrite, h.doneAction)
		rt.Handle("POST /api/v1/continuity-tests/{id}/actions/{action}/improvement", sms.PermWrite, h.raiseAction)
		rt.Handle("GET /api/v1/continuity-invocations", continuity.PermRead, h.listInvocations)
		rt.Handle("POST /api/v1/continuity-invocations", continuity.PermWrite, h.createInvocation)
		rt.Handle("GET /api/v1/continuity-invocations/{id}", continuity.PermRead, h.getInvocation)
		rt.Handle("PATCH /api/v1/continuity-invocations/{id}", continuity.PermWrite, h.patchInvocation)
	}
}

// answer writes v (or the error) with an ETag of version when given.
func (h *continuityAPI) answer(w http.ResponseWriter, r *http.Request, status int, v any, version int, err error) {
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if version > 0 {
		w.Header().Set("ETag", etag(version))
	}
	writeJSON(w, status, v)
}

func (h *continuityAPI) standing(w http.ResponseWriter, r *http.Request) {
	st, err := h.svc.Standing(r.Context(), httpx.Principal(r))
	h.answer(w, r, http.StatusOK, st, 0, err)
}

func (h *continuityAPI) listRequirements(w http.ResponseWriter, r *http.Request) {
	list, err := h.svc.Requirements(r.Context(), httpx.Principal(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(list, ""))
}

func (h *continuityAPI) setRequirement(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "service_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in continuity.RequirementInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	req, err := h.svc.SetRequirement(r.Context(), httpx.Principal(r), id, in, ifMatch(r))
	h.answer(w, r, http.StatusOK, req, req.Version, err)
}

func (h *continuityAPI) deleteRequirement(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "service_id")
	if err == nil {
		err = h.svc.DeleteRequirement(r.Context(), httpx.Principal(r), id)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *continuityAPI) listPlans(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "service_id", "state", "limit")
	f := continuity.PlanFilter{ServiceID: q.int64("service_id"), State: q.str("state", 20), Limit: q.limit()}
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.svc.Plans(r.Context(), httpx.Principal(r), f)
	if err = queryFault(err); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(list, ""))
}

func (h *continuityAPI) createPlan(w http.ResponseWriter, r *http.Request) {
	var in continuity.PlanInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	pl, err := h.svc.CreatePlan(r.Context(), httpx.Principal(r), in)
	if err == nil {
		w.Header().Set("Location", "/api/v1/continuity-plans/"+itoa(pl.ID))
		pl, err = h.svc.Plan(r.Context(), httpx.Principal(r), pl.ID)
	}
	h.answer(w, r, http.StatusCreated, pl, pl.Version, err)
}

func (h *continuityAPI) getPlan(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	pl, err := h.svc.Plan(r.Context(), httpx.Principal(r), id)
	if err == nil && notModified(w, r, pl.Version) {
		return
	}
	h.answer(w, r, http.StatusOK, pl, pl.Version, err)
}

func (h *continuityAPI) patchPlan(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in continuity.PlanInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	pl, err := h.svc.UpdatePlan(r.Context(), httpx.Principal(r), id, in, ifMatch(r))
	if err == nil {
		pl, err = h.svc.Plan(r.Context(), httpx.Principal(r), id)
	}
	h.answer(w, r, http.StatusOK, pl, pl.Version, err)
}

func (h *continuityAPI) deletePlan(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		err = h.svc.DeletePlan(r.Context(), httpx.Principal(r), id)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *continuityAPI) approvePlan(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	pl, err := h.svc.ApprovePlan(r.Context(), httpx.Principal(r), id, ifMatch(r))
	if err == nil {
		pl, err = h.svc.Plan(r.Context(), httpx.Principal(r), id)
	}
	h.answer(w, r, http.StatusOK, pl, pl.Version, err)
}

func (h *continuityAPI) listTests(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "plan_id", "service_id", "limit")
	f := continuity.TestFilter{PlanID: q.int64("plan_id"), ServiceID: q.int64("service_id"), Limit: q.limit()}
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.svc.Tests(r.Context(), httpx.Principal(r), f)
	if err = queryFault(err); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(list, ""))
}

func (h *continuityAPI) createTest(w http.ResponseWriter, r *http.Request) {
	var in continuity.TestInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	t, err := h.svc.RecordTest(r.Context(), httpx.Principal(r), in)
	if err == nil {
		w.Header().Set("Location", "/api/v1/continuity-tests/"+itoa(t.ID))
	}
	h.answer(w, r, http.StatusCreated, t, t.Version, err)
}

func (h *continuityAPI) getTest(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	t, err := h.svc.Test(r.Context(), httpx.Principal(r), id)
	if err == nil && notModified(w, r, t.Version) {
		return
	}
	h.answer(w, r, http.StatusOK, t, t.Version, err)
}

func (h *continuityAPI) patchTest(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in continuity.TestInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	t, err := h.svc.UpdateTest(r.Context(), httpx.Principal(r), id, in, ifMatch(r))
	h.answer(w, r, http.StatusOK, t, t.Version, err)
}

func (h *continuityAPI) deleteTest(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		err = h.svc.DeleteTest(r.Context(), httpx.Principal(r), id)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *continuityAPI) addAction(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in continuity.NewAction
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.svc.AddAction(r.Context(), httpx.Principal(r), id, in)
	h.answer(w, r, http.StatusCreated, a, 0, err)
}

func (h *continuityAPI) actionIDs(r *http.Request) (int64, int64, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return 0, 0, err
	}
	aid, err := pathID(r, "action")
	return id, aid, err
}

func (h *continuityAPI) doneAction(w http.ResponseWriter, r *http.Request) {
	id, aid, err := h.actionIDs(r)
	if err == nil {
		err = h.svc.DoneAction(r.Context(), httpx.Principal(r), id, aid)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *continuityAPI) raiseAction(w http.ResponseWriter, r *http.Request) {
	id, aid, err := h.actionIDs(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.svc.RaiseImprovement(r.Context(), httpx.Principal(r), id, aid)
	h.answer(w, r, http.StatusOK, a, 0, err)
}

func (h *continuityAPI) listInvocations(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "plan_id", "limit")
	planID, limit := q.int64("plan_id"), q.limit()
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.svc.Invocations(r.Context(), httpx.Principal(r), planID, limit)
	if err = queryFault(err); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(list, ""))
}

func (h *continuityAPI) createInvocation(w http.ResponseWriter, r *http.Request) {
	var in continuity.InvocationInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	v, err := h.svc.RecordInvocation(r.Context(), httpx.Principal(r), in)
	if err == nil {
		w.Header().Set("Location", "/api/v1/continuity-invocations/"+itoa(v.ID))
	}
	h.answer(w, r, http.StatusCreated, v, v.Version, err)
}

func (h *continuityAPI) getInvocation(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v, err := h.svc.Invocation(r.Context(), httpx.Principal(r), id)
	if err == nil && notModified(w, r, v.Version) {
		return
	}
	h.answer(w, r, http.StatusOK, v, v.Version, err)
}

func (h *continuityAPI) patchInvocation(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in continuity.InvocationInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	v, err := h.svc.UpdateInvocation(r.Context(), httpx.Principal(r), id, in, ifMatch(r))
	h.answer(w, r, http.StatusOK, v, v.Version, err)
}
