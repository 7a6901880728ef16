package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/incident"
	"steward/internal/problem"
	"steward/internal/store"
)

// problemPages serve problem management: the problem queue, a new
// problem, a problem's page, the known-error database, the trends of
// recurring incidents and the overview with its figures; and, on the
// incident page, the known errors that may explain the incident.
type problemPages struct {
	*Web
	svc *problem.Service
}

func init() {
	fieldLabels["service_ids"] = "Services"
	fieldLabels["ci_ids"] = "CIs"
	fieldLabels["fix_change"] = "Fixed by"
}

// ProblemPages are problem management's pages over svc.
func ProblemPages(svc *problem.Service) Pages {
	return func(wb *Web, rt *httpx.Router) {
		h := &problemPages{Web: wb, svc: svc}
		rt.Handle("GET /problems", problem.PermRead, h.queue)
		rt.Handle("GET /problems/new", problem.PermCreate, h.newForm)
		wb.post(rt, "POST /problems", problem.PermCreate, h.create)
		rt.Handle("GET /problems/trends", problem.PermRead, h.trends)
		rt.Handle("GET /problems/overview", problem.PermRead, h.overview)
		rt.Handle("GET /problems/{ref}", problem.PermRead, h.detail)
		wb.post(rt, "POST /problems/{ref}/move", problem.PermUpdate, h.move)
		wb.post(rt, "POST /problems/{ref}/edit", problem.PermUpdate, h.edit)
		wb.post(rt, "POST /problems/{ref}/notes", problem.PermUpdate, h.note)
		wb.post(rt, "POST /problems/{ref}/incidents", problem.PermUpdate, h.link)
		wb.post(rt, "POST /problems/{ref}/incidents/delete", problem.PermUpdate, h.unlink)
		wb.post(rt, "POST /problems/{ref}/cis", problem.PermUpdate, h.linkCI)
		wb.post(rt, "POST /problems/{ref}/cis/delete", problem.PermUpdate, h.unlinkCI)
		rt.Handle("GET /known-errors", problem.PermRead, h.knownErrors)
		wb.post(rt, "POST /incidents/{ref}/workaround", incident.PermWorkNote, h.applyWorkaround)
		wb.knownErrors = h.panel
		wb.recordShows[problem.KindName] = func(w http.ResponseWriter, r *http.Request, status int, id int64, f *fieldErrors) {
			pr, err := h.svc.Get(r.Context(), httpx.Principal(r), id)
			if err != nil {
				h.fail(w, r, err)
				return
			}
			h.show(w, r, status, pr, f, "")
		}
	}
}

// problemsView is the problem queue.
type problemsView struct {
	Items     []problem.Problem
	Q         string
	State     string
	Days      url.Values // the day filters as sent: from, to, closed_from, closed_to
	States    []problem.State
	NextURL   string
	CanCreate bool
	Error     string
}

// problemDays are the problem list's day filters: the days a problem was
// opened (from, to) and those it was closed or cancelled on (closed_from,
// closed_to), read on the organisation's calendar.
var problemDays = []string{"from", "to", "closed_from", "closed_to"}

func (h *problemPages) queue(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	q := r.URL.Query()
	v := problemsView{Q: strings.TrimSpace(q.Get("q")), State: q.Get("state"), Days: url.Values{}, States: problem.States, CanCreate: p.Can(problem.PermCreate)}
	f := problem.Filter{Query: v.Q, Cursor: q.Get("cursor"), Limit: 50}
	switch v.State {
	case "", "open":
		v.State = "open"
		f.States = problem.OpenStates
	case "all":
	default:
		f.States = []problem.State{problem.State(v.State)}
	}
	for _, k := range problemDays {
		if s := strings.TrimSpace(q.Get(k)); s != "" && len(s) < 300 {
			v.Days.Set(k, s)
		}
	}
	if v.Error = readListDaysIn(h.clockOf(r).text(), v.Days, h.Loc, "", listDays{"from", "to", &f.CreatedAfter, &f.CreatedBefore},
		listDays{"closed_from", "closed_to", &f.ClosedAfter, &f.ClosedBefore}); v.Error != "" {
		h.render(w, r, http.StatusUnprocessableEntity, "problems", page{Title: h.clockOf(r).text().T("web.problems.problems"), Active: "problems", Data: v})
		return
	}
	status := http.StatusOK
	list, err := h.svc.List(r.Context(), p, f)
	var inv *domainerr.Invalid
	switch {
	case errors.As(err, &inv):
		v.Error, status = h.clockOf(r).text().T("web.problems.search_failed", "Reason", inv.Error()), http.StatusUnprocessableEntity
	case err != nil:
		h.fail(w, r, err)
		return
	}
	v.Items = list.Items
	if list.NextCursor != "" {
		next := url.Values{"q": {v.Q}, "state": {v.State}, "cursor": {list.NextCursor}}
		for k, d := range v.Days {
			next[k] = d
		}
		v.NextURL = "/problems?" + next.Encode()
	}
	h.render(w, r, status, "problems", page{Title: h.clockOf(r).text().T("web.problems.problems"), Active: "problems", Data: v})
}

// newProblemView is the form that opens a problem, possibly from a trend.
type newProblemView struct {
	F          *fieldErrors
	Title      string
	Category   string
	CI         string // a CI id, from a trend
	CIName     string // its name, which the field shows
	ServiceID  string
	Incidents  []problem.LinkedIncident
	Services   []option
	Agents     []option
	FromTrend  string
	Categories []string
}

func (h *problemPages) newForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := newProblemView{Title: strings.TrimSpace(q.Get("title")), Category: q.Get("category"), CI: q.Get("ci_id"), ServiceID: q.Get("service_id")}
	if id, err := strconv.ParseInt(v.CI, 10, 64); err == nil {
		if ci, err := h.CMDB.GetCI(r.Context(), id); err == nil {
			v.CIName = ci.Name
		}
	}
	for _, ref := range q["incident"] {
		if id, ok := incident.ParseRef(ref); ok {
			inc, err := h.Incidents.Get(r.Context(), httpx.Principal(r), id)
			if err == nil {
				v.Incidents = append(v.Incidents, problem.LinkedIncident{ID: inc.ID, Number: inc.Number, Title: inc.Title, State: inc.State})
			}
		}
	}
	h.showNew(w, r, http.StatusOK, v)
}

func (h *problemPages) showNew(w http.ResponseWriter, r *http.Request, status int, v newProblemView) {
	var err error
	if v.Services, err = h.serviceOptions(r, 0); err != nil {
		h.fail(w, r, err)
		return
	}
	opts, err := h.formOptions(r, false)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Agents = opts.Agents
	h.render(w, r, status, "problem_new", page{Title: h.clockOf(r).text().T("web.problems.title_new"), Active: "problems", Data: v})
}

func (h *problemPages) create(w http.ResponseWriter, r *http.Request) {
	in := problem.NewProblem{Title: formText(r, "title"), Description: formText(r, "description"), Category: formText(r, "category")}
	bad := domainerr.NewInvalid()
	in.AssigneeID = h.personID(r, bad, "assignee_id", agentPerson)
	if id, ok := formID(r, "service_id"); !ok {
		bad.Add("service_id", "%s", h.clockOf(r).text().T("web.problems.invalid_choice"))
	} else if id != nil {
		in.ServiceIDs = []int64{*id}
	}
	if s := strings.TrimSpace(r.PostFormValue("ci")); s != "" && s == r.PostFormValue("ci_name") {
		// The CI a trend named, unchanged: its id, whatever other CIs share its name.
		if id, ok := formID(r, "ci_id"); ok && id != nil {
			in.CIIDs = []int64{*id}
		}
	} else if s != "" {
		ci, err := h.findCI(r.Context(), s)
		var inv *domainerr.Invalid
		switch {
		case errors.As(err, &inv):
			bad.Add("ci", "%s", inv.Fields["other"])
		case err != nil:
			h.fail(w, r, err)
			return
		default:
			in.CIIDs = []int64{ci}
		}
	}
	in.Incidents = append(r.PostForm["incident"], strings.FieldsFunc(r.PostFormValue("incidents"), func(c rune) bool {
		return c == ',' || c == ' ' || c == '\n' || c == '\r' || c == ';'
	})...)
	var pr problem.Problem
	err := error(bad.Err())
	if err == nil {
		pr, err = h.svc.Create(r.Context(), httpx.Principal(r), in, nil)
	}
	var inv *domainerr.Invalid
	switch {
	case err == nil:
		h.redirect(w, r, "/problems/"+pr.Number, "problem-created")
	case errors.As(err, &inv):
		fields := inv.Fields
		if m, ok := fields["service_ids"]; ok {
			fields["service_id"] = m
		}
		if m, ok := fields["ci_ids"]; ok {
			fields["ci"] = m
		}
		v := newProblemView{F: &fieldErrors{Form: "new", Errs: fields, Values: r.PostForm}, CI: r.PostFormValue("ci")}
		for _, ref := range r.PostForm["incident"] {
			if id, ok := incident.ParseRef(ref); ok {
				if inc, err := h.Incidents.Get(r.Context(), httpx.Principal(r), id); err == nil {
					v.Incidents = append(v.Incidents, problem.LinkedIncident{ID: inc.ID, Number: inc.Number, Title: inc.Title, State: inc.State})
				}
			}
		}
		h.showNew(w, r, http.StatusUnprocessableEntity, v)
	default:
		h.fail(w, r, err)
	}
}

// loadProblem reads the problem the path names.
func (h *problemPages) loadProblem(w http.ResponseWriter, r *http.Request) (problem.Problem, bool) {
	id, ok := problem.ParseRef(r.PathValue("ref"))
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "")
		return problem.Problem{}, false
	}
	pr, err := h.svc.Get(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return pr, false
	}
	return pr, true
}

// afterFailure answers a refused change with the problem as it is now.
func (h *problemPages) afterFailure(w http.ResponseWriter, r *http.Request, pr problem.Problem, form string, err error) {
	var inv *domainerr.Invalid
	var conflict *domainerr.Conflict
	switch {
	case errors.As(err, &inv):
		h.show(w, r, http.StatusUnprocessableEntity, pr, &fieldErrors{Form: form, Errs: inv.Fields, Values: r.PostForm}, "")
	case errors.Is(err, domainerr.ErrStale):
		fresh, gerr := h.svc.Get(r.Context(), httpx.Principal(r), pr.ID)
		if gerr != nil {
			h.fail(w, r, gerr)
			return
		}
		h.show(w, r, http.StatusConflict, fresh, nil, h.clockOf(r).text().T("web.problems.stale"))
	case errors.As(err, &conflict):
		h.show(w, r, http.StatusConflict, pr, nil, conflict.Message)
	case errors.Is(err, store.ErrNotFound):
		h.show(w, r, http.StatusNotFound, pr, nil, h.clockOf(r).text().T("web.problems.not_found"))
	default:
		h.fail(w, r, err)
	}
}

// version refuses a form that does not name the version it was made from.
func (h *problemPages) version(w http.ResponseWriter, r *http.Request) (int, bool) {
	v, ok := formVersion(r)
	if !ok {
		h.errorPage(w, r, http.StatusBadRequest, h.clockOf(r).text().T("web.problems.form_version_problem"))
	}
	return v, ok
}
