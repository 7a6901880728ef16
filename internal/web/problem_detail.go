package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/incident"
	"steward/internal/patch"
	"steward/internal/problem"
	"steward/internal/store"
)

// problemView is a problem's page.
type problemView struct {
	Pr         problem.Problem
	F          *fieldErrors
	Error      string
	Journal    []problem.Entry
	Incidents  []problem.LinkedIncident
	CIs        []option
	Services   []option
	Recurrence *problem.Recurrence
	Records    recordPanels
	CanUpdate  bool
	Moves      []problemMove
	// For the edit form.
	AllServices     []option
	Agents          []option
	CauseCategories []string
}

// problemMove is one way on from the problem's state, as a button or a
// small form.
type problemMove struct {
	To, Label string
	Needs     bool // a form with root cause (and workaround) rather than a button
}

// moveLabels are the message ids of the moves' button labels.
var moveLabels = map[problem.State]string{
	problem.Investigating: "web.problem_detail.move_investigating", problem.KnownError: "web.problem_detail.move_known_error",
	problem.Resolved: "web.problem_detail.move_resolved", problem.Closed: "web.problem_detail.move_closed",
	problem.Cancelled: "web.problem_detail.move_cancelled",
}

func (v problemView) Open() bool { return v.Pr.State.Open() || v.Pr.State == problem.Resolved }

func (h *problemPages) detail(w http.ResponseWriter, r *http.Request) {
	pr, ok := h.loadProblem(w, r)
	if !ok {
		return
	}
	h.show(w, r, http.StatusOK, pr, nil, "")
}

func (h *problemPages) show(w http.ResponseWriter, r *http.Request, status int, pr problem.Problem, f *fieldErrors, msg string) {
	p := httpx.Principal(r)
	ctx := r.Context()
	v := problemView{Pr: pr, F: f, Error: msg, CanUpdate: p.Can(problem.PermUpdate), CauseCategories: problem.CauseCategories}
	var err error
	if v.Journal, err = h.svc.Journal(ctx, p, pr.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.nameChanges(ctx, v.Journal); err != nil {
		h.fail(w, r, err)
		return
	}
	if v.Incidents, err = h.svc.LinkedIncidents(ctx, p, pr.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	if v.CIs, v.Services, err = h.refNames(ctx, pr); err != nil {
		h.fail(w, r, err)
		return
	}
	rec, found, err := h.svc.RecurrenceOf(ctx, p, pr, time.Now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if found {
		v.Recurrence = &rec
	}
	if v.Records, err = h.panels(r, problem.KindName, pr.ID, f); err != nil {
		h.fail(w, r, err)
		return
	}
	for _, to := range problem.Machine.Next(string(pr.State)) {
		st := problem.State(to)
		label := ""
		if id, ok := moveLabels[st]; ok {
			label = h.clockOf(r).text().T(id)
		}
		if st == problem.Investigating && pr.State != problem.New {
			label = h.clockOf(r).text().T("web.problem_detail.move_investigate_again")
		}
		v.Moves = append(v.Moves, problemMove{To: to, Label: label, Needs: st == problem.KnownError || st == problem.Resolved})
	}
	if v.CanUpdate && v.Open() {
		if v.AllServices, err = h.serviceOptions(r, 0); err != nil {
			h.fail(w, r, err)
			return
		}
		opts, err := h.formOptions(r, false)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		v.Agents = opts.Agents
	}
	h.render(w, r, status, "problem", page{Title: pr.Number + " " + pr.Title, Active: "problems", Data: v})
}

// nameChanges shows the people, services and CIs a journal names by id
// by their names.
func (h *problemPages) nameChanges(ctx context.Context, entries []problem.Entry) error {
	var services map[int64]string
	users, cis := map[int64]string{}, map[int64]string{}
	name := func(field, val string) (string, error) {
		var parts []string
		for _, s := range strings.Split(val, ", ") {
			id, err := strconv.ParseInt(s, 10, 64)
			if s == "" || err != nil {
				return val, nil
			}
			switch field {
			case "assignee_id":
				if _, ok := users[id]; !ok {
					u, err := auth.GetUser(ctx, h.DB, id)
					if err != nil && !errors.Is(err, store.ErrNotFound) {
						return "", err
					}
					users[id] = orID(u.Name, id)
				}
				parts = append(parts, users[id])
			case "service_ids":
				if services == nil {
					if services, err = h.catalog().Names(ctx); err != nil {
						return "", err
					}
				}
				parts = append(parts, orID(services[id], id))
			case "ci_ids":
				if _, ok := cis[id]; !ok {
					ci, err := h.CMDB.GetCI(ctx, id)
					if err != nil && !errors.Is(err, store.ErrNotFound) {
						return "", err
					}
					cis[id] = orID(ci.Name, id)
				}
				parts = append(parts, cis[id])
			default:
				return val, nil
			}
		}
		return strings.Join(parts, ", "), nil
	}
	for i := range entries {
		for j, c := range entries[i].Changes {
			var err error
			if c.Old, err = name(c.Field, c.Old); err != nil {
				return err
			}
			if c.New, err = name(c.Field, c.New); err != nil {
				return err
			}
			entries[i].Changes[j] = c
		}
	}
	return nil
}

// refNames names a problem's CIs and services.
func (h *problemPages) refNames(ctx context.Context, pr problem.Problem) (cis, services []option, err error) {
	for _, id := range pr.CIIDs {
		ci, err := h.CMDB.GetCI(ctx, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, nil, err
		}
		cis = append(cis, option{ID: id, Name: orID(ci.Name, id)})
	}
	if len(pr.ServiceIDs) > 0 {
		names, err := h.catalog().Names(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, id := range pr.ServiceIDs {
			services = append(services, option{ID: id, Name: orID(names[id], id)})
		}
	}
	return cis, services, nil
}

// move takes the problem to the state the form names, with the fields
// that move needs.
func (h *problemPages) move(w http.ResponseWriter, r *http.Request) {
	pr, ok := h.loadProblem(w, r)
	if !ok {
		return
	}
	version, ok := h.version(w, r)
	if !ok {
		return
	}
	to := problem.State(r.PostFormValue("state"))
	pt := problem.Patch{State: &to}
	if _, ok := r.PostForm["root_cause"]; ok {
		pt.RootCause = ptrTo(formText(r, "root_cause"))
	}
	if _, ok := r.PostForm["workaround"]; ok {
		pt.Workaround = ptrTo(formText(r, "workaround"))
	}
	if c := r.PostFormValue("cause_category"); c != "" && c != pr.CauseCategory {
		pt.CauseCategory = &c
	}
	if c := strings.TrimSpace(r.PostFormValue("fix_change")); c != "" && !strings.EqualFold(c, pr.FixChange) {
		pt.FixChange = patch.Of(c)
	}
	if _, err := h.svc.Update(r.Context(), httpx.Principal(r), pr.ID, pt, version); err != nil {
		h.afterFailure(w, r, pr, "move-"+string(to), err)
		return
	}
	h.redirect(w, r, "/problems/"+pr.Number, "problem-moved")
}

func ptrTo(s string) *string { return &s }

// edit sends only the fields that differ from the problem.
func (h *problemPages) edit(w http.ResponseWriter, r *http.Request) {
	pr, ok := h.loadProblem(w, r)
	if !ok {
		return
	}
	version, ok := h.version(w, r)
	if !ok {
		return
	}
	var pt problem.Patch
	bad := domainerr.NewInvalid()
	text := func(field, cur string, dst **string) {
		if _, ok := r.PostForm[field]; ok {
			if v := formText(r, field); v != cur {
				*dst = &v
			}
		}
	}
	text("title", pr.Title, &pt.Title)
	text("description", pr.Description, &pt.Description)
	text("category", pr.Category, &pt.Category)
	text("root_cause", pr.RootCause, &pt.RootCause)
	text("workaround", pr.Workaround, &pt.Workaround)
	text("cause_category", pr.CauseCategory, &pt.CauseCategory)
	if c := strings.TrimSpace(r.PostFormValue("fix_change")); !strings.EqualFold(c, pr.FixChange) {
		if c == "" {
			pt.FixChange = patch.Field[string]{Set: true, Null: true}
		} else {
			pt.FixChange = patch.Of(c)
		}
	}
	switch id, msg := h.personKept(r, "assignee_id", pr.AssigneeID, agentPerson); {
	case msg != "":
		bad.Add("assignee_id", "%s", msg)
	case id == nil && pr.AssigneeID != nil:
		pt.AssigneeID = patch.Field[int64]{Set: true, Null: true}
	case id != nil && (pr.AssigneeID == nil || *pr.AssigneeID != *id):
		pt.AssigneeID = patch.Of(*id)
	}
	services, ok := formIDs(r, "service_ids")
	if !ok {
		bad.Add("service_ids", "%s", h.clockOf(r).text().T("web.problem_detail.invalid_choice"))
	}
	if _, sent := r.PostForm["services_sent"]; sent && !sameIDs(services, pr.ServiceIDs) {
		pt.ServiceIDs = patch.Of(services)
	}
	if bad.Err() != nil {
		h.afterFailure(w, r, pr, "edit", bad)
		return
	}
	if _, err := h.svc.Update(r.Context(), httpx.Principal(r), pr.ID, pt, version); err != nil {
		h.afterFailure(w, r, pr, "edit", err)
		return
	}
	h.redirect(w, r, "/problems/"+pr.Number, "updated")
}

func sameIDs(a, b []int64) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

// note adds a note to the problem's journal.
func (h *problemPages) note(w http.ResponseWriter, r *http.Request) {
	pr, ok := h.loadProblem(w, r)
	if !ok {
		return
	}
	if _, err := h.svc.AddNote(r.Context(), httpx.Principal(r), pr.ID, formText(r, "body")); err != nil {
		h.afterFailure(w, r, pr, "note", err)
		return
	}
	h.redirect(w, r, "/problems/"+pr.Number+"#journal", "problem-noted")
}

// link links the incidents typed, by number, separated by spaces or commas.
func (h *problemPages) link(w http.ResponseWriter, r *http.Request) {
	pr, ok := h.loadProblem(w, r)
	if !ok {
		return
	}
	refs := strings.FieldsFunc(r.PostFormValue("incidents"), func(c rune) bool { return c == ',' || c == ' ' || c == ';' })
	if _, err := h.svc.LinkIncidents(r.Context(), httpx.Principal(r), pr.ID, refs); err != nil {
		h.afterFailure(w, r, pr, "link", err)
		return
	}
	h.redirect(w, r, "/problems/"+pr.Number+"#incidents", "problem-linked")
}

func (h *problemPages) unlink(w http.ResponseWriter, r *http.Request) {
	pr, ok := h.loadProblem(w, r)
	if !ok {
		return
	}
	iid, ok := incident.ParseRef(r.PostFormValue("incident"))
	if !ok {
		h.errorPage(w, r, http.StatusBadRequest, h.clockOf(r).text().T("web.problem_detail.form_incident_unlink"))
		return
	}
	if err := h.svc.UnlinkIncident(r.Context(), httpx.Principal(r), pr.ID, iid); err != nil {
		h.afterFailure(w, r, pr, "link", err)
		return
	}
	h.redirect(w, r, "/problems/"+pr.Number+"#incidents", "problem-unlinked")
}

// linkCI adds a CI, found by name or id, to the problem's CIs.
func (h *problemPages) linkCI(w http.ResponseWriter, r *http.Request) {
	pr, ok := h.loadProblem(w, r)
	if !ok {
		return
	}
	ci, err := h.findCI(r.Context(), r.PostFormValue("ci"))
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		h.afterFailure(w, r, pr, "ci", domainerr.Field("ci", "%s", inv.Fields["other"]))
		return
	} else if err != nil {
		h.fail(w, r, err)
		return
	}
	h.setCIs(w, r, pr, append(slices.Clone(pr.CIIDs), ci))
}

func (h *problemPages) unlinkCI(w http.ResponseWriter, r *http.Request) {
	pr, ok := h.loadProblem(w, r)
	if !ok {
		return
	}
	id, ok := formID(r, "ci_id")
	if !ok || id == nil {
		h.errorPage(w, r, http.StatusBadRequest, h.clockOf(r).text().T("web.problem_detail.form_ci_unlink"))
		return
	}
	h.setCIs(w, r, pr, slices.DeleteFunc(slices.Clone(pr.CIIDs), func(x int64) bool { return x == *id }))
}

func (h *problemPages) setCIs(w http.ResponseWriter, r *http.Request, pr problem.Problem, cis []int64) {
	if _, err := h.svc.Update(r.Context(), httpx.Principal(r), pr.ID, problem.Patch{CIIDs: patch.Of(cis)}, 0); err != nil {
		var inv *domainerr.Invalid
		if errors.As(err, &inv) && inv.Fields["ci_ids"] != "" {
			err = domainerr.Field("ci", "%s", inv.Fields["ci_ids"])
		}
		h.afterFailure(w, r, pr, "ci", err)
		return
	}
	h.redirect(w, r, "/problems/"+pr.Number+"#cis", "updated")
}

// canApply reports whether p may apply workarounds on incidents.
func canApply(p *auth.Principal) bool { return p.Can(problem.PermRead) && p.Can(incident.PermWorkNote) }
