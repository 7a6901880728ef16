package api

import (
	"net/http"
	"strconv"

	"steward/internal/httpx"
	"steward/internal/sms"
)

// SMSRoutes are the management system's records: the context register,
// interested parties, the scope's versions, the processes with their
// owners, RACI and interfaces, and competence with training records.
func SMSRoutes(svc *sms.Service) Routes {
	return func(a *API, rt *httpx.Router) {
		h := smsAPI{a: a, svc: svc}
		rt.Handle("GET /api/v1/context-issues", sms.PermRead, h.listIssues)
		rt.Handle("POST /api/v1/context-issues", sms.PermWrite, h.createIssue)
		rt.Handle("GET /api/v1/context-issues/{id}", sms.PermRead, h.getIssue)
		rt.Handle("PATCH /api/v1/context-issues/{id}", sms.PermWrite, h.patchIssue)
		rt.Handle("GET /api/v1/interested-parties", sms.PermRead, h.listParties)
		rt.Handle("POST /api/v1/interested-parties", sms.PermWrite, h.createParty)
		rt.Handle("GET /api/v1/interested-parties/{id}", sms.PermRead, h.getParty)
		rt.Handle("PATCH /api/v1/interested-parties/{id}", sms.PermWrite, h.patchParty)
		rt.Handle("POST /api/v1/interested-parties/{id}/requirements", sms.PermWrite, h.addRequirement)
		rt.Handle("DELETE /api/v1/interested-parties/{id}/requirements/{rid}", sms.PermWrite, h.removeRequirement)
		rt.Handle("GET /api/v1/scope", sms.PermRead, h.getScope)
		rt.Handle("GET /api/v1/scope/versions", sms.PermRead, h.listScopeVersions)
		rt.Handle("POST /api/v1/scope/versions", sms.PermWrite, h.saveScope)
		rt.Handle("POST /api/v1/scope/versions/{number}/approve", sms.PermWrite, h.approveScope)
		rt.Handle("GET /api/v1/processes", sms.PermRead, h.listProcesses)
		rt.Handle("GET /api/v1/processes/{key}", sms.PermRead, h.getProcess)
		rt.Handle("PATCH /api/v1/processes/{key}", sms.PermWrite, h.patchProcess)
		rt.Handle("PUT /api/v1/processes/{key}/raci", sms.PermWrite, h.putRACI)
		rt.Handle("POST /api/v1/processes/{key}/interfaces", sms.PermWrite, h.addInterface)
		rt.Handle("DELETE /api/v1/processes/{key}/interfaces/{to}", sms.PermWrite, h.removeInterface)
		rt.Handle("GET /api/v1/skills", sms.PermRead, h.listSkills)
		rt.Handle("POST /api/v1/skills", sms.PermWrite, h.createSkill)
		rt.Handle("PATCH /api/v1/skills/{id}", sms.PermWrite, h.patchSkill)
		rt.Handle("GET /api/v1/job-roles", sms.PermRead, h.listRoles)
		rt.Handle("POST /api/v1/job-roles", sms.PermWrite, h.createRole)
		rt.Handle("GET /api/v1/job-roles/{id}", sms.PermRead, h.getRole)
		rt.Handle("PATCH /api/v1/job-roles/{id}", sms.PermWrite, h.patchRole)
		rt.Handle("PUT /api/v1/skill-assessments", sms.PermWrite, h.assess)
		rt.Handle("GET /api/v1/trainings", sms.PermRead, h.listTrainings)
		rt.Handle("POST /api/v1/trainings", sms.PermWrite, h.createTraining)
		rt.Handle("GET /api/v1/trainings/{id}", sms.PermRead, h.getTraining)
		rt.Handle("PATCH /api/v1/trainings/{id}", sms.PermWrite, h.patchTraining)
		rt.Handle("GET /api/v1/competence", sms.PermRead, h.competence)
	}
}

type smsAPI struct {
	a   *API
	svc *sms.Service
}

// answer writes a record with its entity tag.
func (h smsAPI) answer(w http.ResponseWriter, r *http.Request, status int, version int, v any, err error) {
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	if status == http.StatusOK && r.Method == http.MethodGet {
		if notModified(w, r, version) {
			return
		}
	} else {
		w.Header().Set("ETag", etag(version))
	}
	writeJSON(w, status, v)
}

func (h smsAPI) items(w http.ResponseWriter, r *http.Request, list any, err error) {
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (h smsAPI) listIssues(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "status", "overdue", "after", "limit")
	f := sms.IssueFilter{Status: q.str("status", 20), AfterID: q.int64("after"), Limit: q.limit()}
	if b := q.boolean("overdue"); b != nil {
		f.Overdue = *b
	}
	if f.Status != "" && f.Status != "open" && f.Status != "closed" {
		q.fields["status"] = "must be open or closed"
	}
	if err := q.err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	list, err := h.svc.Issues(r.Context(), f)
	h.items(w, r, list, err)
}

func (h smsAPI) createIssue(w http.ResponseWriter, r *http.Request) {
	var in sms.IssueInput
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	i, err := h.svc.CreateIssue(r.Context(), httpx.Principal(r).Actor(), in)
	if err == nil {
		w.Header().Set("Location", "/api/v1/context-issues/"+strconv.FormatInt(i.ID, 10))
	}
	h.answer(w, r, http.StatusCreated, i.Version, i, err)
}

func (h smsAPI) getIssue(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	i, err := h.svc.Issue(r.Context(), h.a.DB, id)
	h.answer(w, r, http.StatusOK, i.Version, i, err)
}

func (h smsAPI) patchIssue(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	var in sms.IssueInput
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	i, err := h.svc.UpdateIssue(r.Context(), httpx.Principal(r).Actor(), id, in, ifMatch(r))
	h.answer(w, r, http.StatusOK, i.Version, i, err)
}

func (h smsAPI) listParties(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "after", "limit")
	after, limit := q.int64("after"), q.limit()
	if err := q.err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	list, err := h.svc.Parties(r.Context(), after, limit)
	h.items(w, r, list, err)
}

func (h smsAPI) createParty(w http.ResponseWriter, r *http.Request) {
	var in sms.PartyInput
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	p, err := h.svc.CreateParty(r.Context(), httpx.Principal(r).Actor(), in)
	if err == nil {
		w.Header().Set("Location", "/api/v1/interested-parties/"+strconv.FormatInt(p.ID, 10))
	}
	h.answer(w, r, http.StatusCreated, p.Version, p, err)
}

func (h smsAPI) getParty(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	p, err := h.svc.Party(r.Context(), h.a.DB, id)
	h.answer(w, r, http.StatusOK, p.Version, p, err)
}

func (h smsAPI) patchParty(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	var in sms.PartyInput
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	p, err := h.svc.UpdateParty(r.Context(), httpx.Principal(r).Actor(), id, in, ifMatch(r))
	h.answer(w, r, http.StatusOK, p.Version, p, err)
}

func (h smsAPI) addRequirement(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	var in sms.RequirementInput
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	p, err := h.svc.AddRequirement(r.Context(), httpx.Principal(r).Actor(), id, in, ifMatch(r))
	h.answer(w, r, http.StatusCreated, p.Version, p, err)
}

func (h smsAPI) removeRequirement(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	rid, err := pathID(r, "rid")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	p, err := h.svc.RemoveRequirement(r.Context(), httpx.Principal(r).Actor(), id, rid, ifMatch(r))
	h.answer(w, r, http.StatusOK, p.Version, p, err)
}

func (h smsAPI) getScope(w http.ResponseWriter, r *http.Request) {
	sc, err := h.svc.CurrentScope(r.Context())
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sc)
}

func (h smsAPI) listScopeVersions(w http.ResponseWriter, r *http.Request) {
	list, err := h.svc.ScopeVersions(r.Context(), h.a.DB)
	h.items(w, r, list, err)
}

func (h smsAPI) saveScope(w http.ResponseWriter, r *http.Request) {
	var in sms.ScopeInput
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	v, err := h.svc.SaveScope(r.Context(), httpx.Principal(r).Actor(), in)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/scope/versions/"+strconv.Itoa(v.Number))
	writeJSON(w, http.StatusCreated, v)
}

func (h smsAPI) approveScope(w http.ResponseWriter, r *http.Request) {
	n, err := pathID(r, "number")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	v, err := h.svc.ApproveScope(r.Context(), httpx.Principal(r).Actor(), int(n))
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (h smsAPI) listProcesses(w http.ResponseWriter, r *http.Request) {
	list, err := h.svc.Processes(r.Context(), h.a.DB)
	h.items(w, r, list, err)
}

func (h smsAPI) getProcess(w http.ResponseWriter, r *http.Request) {
	p, err := h.svc.Process(r.Context(), h.a.DB, r.PathValue("key"))
	h.answer(w, r, http.StatusOK, p.Version, p, err)
}

func (h smsAPI) patchProcess(w http.ResponseWriter, r *http.Request) {
	var in sms.ProcessInput
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	p, err := h.svc.UpdateProcess(r.Context(), httpx.Principal(r).Actor(), r.PathValue("key"), in, ifMatch(r))
	h.answer(w, r, http.StatusOK, p.Version, p, err)
}

func (h smsAPI) putRACI(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Lines []sms.RACILine `json:"lines"`
	}
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	p, err := h.svc.SetRACI(r.Context(), httpx.Principal(r).Actor(), r.PathValue("key"), in.Lines, ifMatch(r))
	h.answer(w, r, http.StatusOK, p.Version, p, err)
}

func (h smsAPI) addInterface(w http.ResponseWriter, r *http.Request) {
	var in struct {
		To          string `json:"to"`
		Description string `json:"description"`
	}
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	p, err := h.svc.AddInterface(r.Context(), httpx.Principal(r).Actor(), r.PathValue("key"), in.To, in.Description, ifMatch(r))
	h.answer(w, r, http.StatusCreated, p.Version, p, err)
}

func (h smsAPI) removeInterface(w http.ResponseWriter, r *http.Request) {
	p, err := h.svc.RemoveInterface(r.Context(), httpx.Principal(r).Actor(), r.PathValue("key"), r.PathValue("to"), ifMatch(r))
	h.answer(w, r, http.StatusOK, p.Version, p, err)
}

func (h smsAPI) listSkills(w http.ResponseWriter, r *http.Request) {
	list, err := h.svc.Skills(r.Context(), h.a.DB)
	h.items(w, r, list, err)
}

func (h smsAPI) createSkill(w http.ResponseWriter, r *http.Request) {
	var in sms.SkillInput
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	k, err := h.svc.SaveSkill(r.Context(), httpx.Principal(r).Actor(), 0, in, 0)
	h.answer(w, r, http.StatusCreated, k.Version, k, err)
}

func (h smsAPI) patchSkill(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	var in sms.SkillInput
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	k, err := h.svc.SaveSkill(r.Context(), httpx.Principal(r).Actor(), id, in, ifMatch(r))
	h.answer(w, r, http.StatusOK, k.Version, k, err)
}

func (h smsAPI) listRoles(w http.ResponseWriter, r *http.Request) {
	list, err := h.svc.JobRoles(r.Context(), h.a.DB)
	h.items(w, r, list, err)
}

func (h smsAPI) createRole(w http.ResponseWriter, r *http.Request) {
	var in sms.RoleInput
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	jr, err := h.svc.SaveJobRole(r.Context(), httpx.Principal(r).Actor(), 0, in, 0)
	h.answer(w, r, http.StatusCreated, jr.Version, jr, err)
}

func (h smsAPI) getRole(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	jr, err := h.svc.JobRole(r.Context(), h.a.DB, id)
	h.answer(w, r, http.StatusOK, jr.Version, jr, err)
}

func (h smsAPI) patchRole(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	var in sms.RoleInput
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	jr, err := h.svc.SaveJobRole(r.Context(), httpx.Principal(r).Actor(), id, in, ifMatch(r))
	h.answer(w, r, http.StatusOK, jr.Version, jr, err)
}

func (h smsAPI) assess(w http.ResponseWriter, r *http.Request) {
	var in sms.Assessment
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	if err := h.svc.Assess(r.Context(), httpx.Principal(r).Actor(), in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h smsAPI) listTrainings(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "user_id", "after", "limit")
	f := sms.TrainingFilter{UserID: q.int64("user_id"), AfterID: q.int64("after"), Limit: q.limit()}
	if err := q.err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	list, err := h.svc.Trainings(r.Context(), f)
	h.items(w, r, list, err)
}

func (h smsAPI) createTraining(w http.ResponseWriter, r *http.Request) {
	var in sms.TrainingInput
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	t, err := h.svc.CreateTraining(r.Context(), httpx.Principal(r).Actor(), in)
	if err == nil {
		w.Header().Set("Location", "/api/v1/trainings/"+strconv.FormatInt(t.ID, 10))
	}
	h.answer(w, r, http.StatusCreated, t.Version, t, err)
}

func (h smsAPI) getTraining(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	t, err := h.svc.Training(r.Context(), h.a.DB, id)
	h.answer(w, r, http.StatusOK, t.Version, t, err)
}

func (h smsAPI) patchTraining(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	var in sms.TrainingInput
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	t, err := h.svc.UpdateTraining(r.Context(), httpx.Principal(r).Actor(), id, in, ifMatch(r))
	h.answer(w, r, http.StatusOK, t.Version, t, err)
}

func (h smsAPI) competence(w http.ResponseWriter, r *http.Request) {
	m, err := h.svc.Competence(r.Context())
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}
