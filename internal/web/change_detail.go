package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"steward/internal/catalog"
	"steward/internal/change"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/patch"
	"steward/internal/schedule"
	"steward/internal/store"
)

type changeView struct {
	C                        change.Change
	F                        *fieldErrors
	Error                    string
	Approvals                change.Approvals
	CanDecide, CanUpdate     bool
	Final, Locked            bool
	Conflicts                []schedule.Conflict
	Moves                    []changeMove
	Journal                  []changeEntry
	CIs                      []option
	Services                 []option
	AllServices              []option
	Agents                   []option
	Questions                []change.Question
	CIChanges                []change.CIChange
	PlannedStart, PlannedEnd string
	ActualStart, ActualEnd   string
	Outcomes                 []string
	TemplateName             string
	NeedsAck                 bool
	Records                  recordPanels
}

// changeMove is one button of the moves form.
type changeMove struct {
	To, Label string
	Danger    bool
}

var changeMoveLabels = map[string]string{
	"submit": "Submit for assessment", "request_approval": "Ask the board to approve", "schedule": "Schedule",
	"return": "Back to draft", "rework": "Back to assessment for rework", "cancel": "Cancel the change", "implement": "Start implementing",
	"complete": "Finish implementing", "close": "Close",
}

// Answer is the answer given to question key, for the questionnaire.
func (v changeView) Answer(key string) string {
	if v.F.Failed("edit") {
		return v.F.Val("edit", "risk_"+key, "")
	}
	return v.C.RiskAnswers[key]
}

// HasService reports whether the change touches service id.
func (v changeView) HasService(id int64) bool { return slices.Contains(v.C.ServiceIDs, id) }

func (h *changePages) load(w http.ResponseWriter, r *http.Request) (change.Change, bool) {
	id, ok := change.ParseRef(r.PathValue("ref"))
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return change.Change{}, false
	}
	c, err := h.svc.Get(r.Context(), httpx.Principal(r), id)
	if errors.Is(err, store.ErrNotFound) {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return c, false
	}
	if err != nil {
		h.wb.fail(w, r, err)
		return c, false
	}
	return c, true
}

func (h *changePages) show(w http.ResponseWriter, r *http.Request) {
	c, ok := h.load(w, r)
	if !ok {
		return
	}
	h.render(w, r, http.StatusOK, c, nil, "")
}

func (h *changePages) render(w http.ResponseWriter, r *http.Request, status int, c change.Change, f *fieldErrors, msg string) {
	p := httpx.Principal(r)
	ctx := r.Context()
	v := changeView{C: c, F: f, Error: msg, CanUpdate: p.Can(change.PermUpdate), Final: change.Machine.Final(c.State),
		Locked:    slices.Contains([]string{change.Approval, change.Scheduled, change.Implementing, change.Review}, c.State),
		Questions: change.Questionnaire, Outcomes: change.Outcomes,
		PlannedStart: h.localInput(r, c.PlannedStart), PlannedEnd: h.localInput(r, c.PlannedEnd),
		ActualStart: h.localInput(r, c.ActualStart), ActualEnd: h.localInput(r, c.ActualEnd)}
	var err error
	if v.Approvals, err = h.svc.ApprovalsOf(ctx, p, c.ID); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v.CanDecide = v.Approvals.CanDecide(p, c)
	// A finished change's window no longer occupies the calendar.
	if !v.Final {
		if v.Conflicts, err = h.svc.ConflictsOf(ctx, p, c.ID); err != nil {
			h.wb.fail(w, r, err)
			return
		}
	}
	entries, err := h.svc.Journal(ctx, p, c.ID)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v.Journal = h.journalLines(r, entries)
	if v.Records, err = h.wb.panels(r, change.KindName, c.ID, f); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if v.CIChanges, err = h.svc.CIChanges(ctx, p, c.ID); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if v.CIs, err = h.names(r, "cis", c.CIIDs); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if v.Services, err = h.names(r, "services", c.ServiceIDs); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if v.CanUpdate && !v.Final {
		opts, err := h.wb.formOptions(r, false)
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		v.Agents = opts.Agents
		svcs, err := catalog.New(h.wb.DB).List(ctx, p, catalog.Filter{Limit: 200})
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		for _, s := range svcs.Items {
			v.AllServices = append(v.AllServices, option{ID: s.ID, Name: s.Name})
		}
		for _, mv := range change.Machine.Moves {
			if mv.From == c.State && mv.By == "" && change.Guard(c, mv) == nil {
				v.Moves = append(v.Moves, changeMove{To: mv.To, Label: changeMoveLabels[mv.Action], Danger: mv.Action == "cancel"})
				if mv.To == change.Scheduled && len(v.Conflicts) > 0 {
					v.NeedsAck = true
				}
			}
		}
		v.NeedsAck = v.NeedsAck || (c.State == change.Scheduled && len(v.Conflicts) > 0)
	}
	if c.TemplateID != nil {
		if t, err := h.svc.GetTemplate(ctx, p, *c.TemplateID); err == nil {
			v.TemplateName = t.Name
		}
	}
	h.wb.render(w, r, status, "change", page{Title: c.Number + " " + c.Title, Active: "changes", Data: v})
}

// names looks up the names of ids in table (cis or services).
func (h *changePages) names(r *http.Request, table string, ids []int64) ([]option, error) {
	out := []option{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := h.wb.DB.Query(r.Context(), "SELECT id, name FROM "+table+" WHERE id IN ("+
		strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+") ORDER BY name, id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var o option
		if err := rows.Scan(&o.ID, &o.Name); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// answer redirects after a change that worked, or shows the page again
// with what went wrong.
func (h *changePages) answer(w http.ResponseWriter, r *http.Request, c change.Change, form string, err error, flash string) {
	var inv *domainerr.Invalid
	var ce *change.ConflictsError
	var conflict *domainerr.Conflict
	var refused *domainerr.Refused
	switch {
	case err == nil:
		h.wb.redirect(w, r, "/changes/"+c.Number, flash)
	case errors.As(err, &inv):
		h.render(w, r, http.StatusUnprocessableEntity, c, &fieldErrors{Form: form, Errs: inv.Fields, Values: r.PostForm}, "")
	case errors.As(err, &ce):
		h.render(w, r, http.StatusConflict, c, &fieldErrors{Form: form, Errs: map[string]string{
			"acknowledge_conflicts": "acknowledge the conflicts with a comment to schedule the change anyway"}, Values: r.PostForm},
			"The window has conflicts: see them below, and acknowledge them with a comment to schedule anyway.")
	case errors.As(err, &conflict):
		h.render(w, r, http.StatusConflict, c, nil, conflict.Message)
	case errors.As(err, &refused):
		h.render(w, r, http.StatusForbidden, c, nil, refused.Message)
	case errors.Is(err, domainerr.ErrStale):
		h.render(w, r, http.StatusConflict, c, nil, "Someone changed this change meanwhile: this is it as it stands now.")
	default:
		h.wb.fail(w, r, err)
	}
}

// formPatch reads the edit form: only the fields it shows are changed.
func (h *changePages) formPatch(r *http.Request, c change.Change, bad *domainerr.Invalid) change.Patch {
	var pt change.Patch
	str := func(name string) *string {
		if _, ok := r.PostForm[name]; !ok {
			return nil
		}
		s := formText(r, name)
		return &s
	}
	pt.Title, pt.Description, pt.Justification = str("title"), str("description"), str("justification")
	pt.ImplementationPlan, pt.TestPlan, pt.BackoutPlan = str("implementation_plan"), str("test_plan"), str("backout_plan")
	pt.Review = str("review")
	if o := str("outcome"); o != nil && *o != "" {
		pt.Outcome = o
	}
	for _, q := range change.Questionnaire {
		if a := str("risk_" + q.Key); a != nil {
			if pt.RiskAnswers == nil {
				pt.RiskAnswers = map[string]string{}
			}
			pt.RiskAnswers[q.Key] = *a
		}
	}
	for _, t := range []struct {
		name string
		dst  *patch.Field[int64]
	}{{"assignee_id", &pt.AssigneeID}} {
		if _, ok := r.PostForm[t.name]; ok {
			id := h.wb.personID(r, bad, t.name, agentPerson)
			t.dst.Set, t.dst.Null = true, id == nil
			if id != nil {
				t.dst.V = *id
			}
		}
	}
	for _, t := range []struct {
		name string
		dst  *patch.Field[time.Time]
	}{{"planned_start", &pt.PlannedStart}, {"planned_end", &pt.PlannedEnd}} {
		if _, ok := r.PostForm[t.name]; ok {
			tm := h.formTime(r, t.name, bad)
			t.dst.Set, t.dst.Null = true, tm == nil
			if tm != nil {
				t.dst.V = *tm
			}
		}
	}
	if r.PostFormValue("touches") == "1" {
		ids, ok := formIDs(r, "service_ids")
		if !ok {
			bad.Add("service_ids", "is not a valid choice")
		}
		pt.ServiceIDs = &ids
		cis, ok := formIDs(r, "ci_ids")
		if !ok {
			bad.Add("ci_ids", "is not a valid choice")
		}
		if s := strings.TrimSpace(r.PostFormValue("ci")); s != "" {
			id, err := h.wb.findCI(r.Context(), s)
			if err != nil {
				bad.Add("ci_ids", "%s", ciPickError(err))
			} else {
				cis = append(cis, id)
			}
		}
		pt.CIIDs = &cis
	}
	if a := str("acknowledge_conflicts"); a != nil && strings.TrimSpace(*a) != "" {
		pt.AcknowledgeConflicts = a
	}
	return pt
}

func (h *changePages) update(w http.ResponseWriter, r *http.Request) {
	c, ok := h.load(w, r)
	if !ok {
		return
	}
	bad := domainerr.NewInvalid()
	pt := h.formPatch(r, c, bad)
	err := bad.Err()
	if err == nil {
		_, err = h.svc.Update(r.Context(), httpx.Principal(r), c.ID, pt, changeVersion(r))
	}
	h.answer(w, r, c, "edit", err, "updated")
}

func (h *changePages) move(w http.ResponseWriter, r *http.Request) {
	c, ok := h.load(w, r)
	if !ok {
		return
	}
	bad := domainerr.NewInvalid()
	pt := h.formPatch(r, c, bad)
	st := r.PostFormValue("state")
	pt.State = &st
	err := bad.Err()
	if err == nil {
		_, err = h.svc.Update(r.Context(), httpx.Principal(r), c.ID, pt, changeVersion(r))
	}
	h.answer(w, r, c, "move", err, "updated")
}

func (h *changePages) decide(w http.ResponseWriter, r *http.Request) {
	c, ok := h.load(w, r)
	if !ok {
		return
	}
	d := r.PostFormValue("decision")
	_, err := h.svc.Decide(r.Context(), httpx.Principal(r), c.ID, d, formText(r, "comment"))
	h.answer(w, r, c, "decide", err, map[string]string{"approve": "approved", "reject": "rejected"}[d])
}

// changeVersion is the version the form was built on, 0 (no check) when absent.
func changeVersion(r *http.Request) int {
	v, _ := formVersion(r)
	return v
}

// changeEntry is a journal entry as the page shows it.
type changeEntry struct {
	change.Entry
	Lines []string
}

var changeTextFields = map[string]bool{"description": true, "justification": true, "implementation_plan": true,
	"test_plan": true, "backout_plan": true, "review": true, "ci_ids": true, "service_ids": true}

// journalLines words each field change for people: times in the viewer's
// clock, long texts as "edited", codes as labels.
func (h *changePages) journalLines(r *http.Request, entries []change.Entry) []changeEntry {
	clk := h.wb.clockOf(r)
	val := func(field, s string) string {
		if s == "" {
			return "—"
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return clk.full(t)
		}
		switch field {
		case "state", "type", "outcome", "risk":
			return human(s)
		}
		return s
	}
	out := make([]changeEntry, len(entries))
	for i, e := range entries {
		out[i] = changeEntry{Entry: e}
		for _, f := range e.Changes {
			line := fieldLabel(f.Field) + ": "
			if changeTextFields[f.Field] {
				line += "edited"
			} else {
				line += val(f.Field, f.Old) + " → " + val(f.Field, f.New)
			}
			out[i].Lines = append(out[i].Lines, line)
		}
	}
	return out
}
