package web

import (
	"net/http"
	"strconv"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/kpi"
	"steward/internal/objective"
	"steward/internal/sms"
)

// objectiveRow is an objective with its figures in words.
type objectiveRow struct {
	objective.Objective
	Current  planFigure
	Baseline string
	Bar      planBar
}

// planBar is what the plan-bar template draws.
type planBar struct {
	Percent float64
	State   string
	Label   string
}

func rowOf(tx i18n.Text, o objective.Objective) objectiveRow {
	row := objectiveRow{Objective: o, Current: planFigure{o.Progress.Value, o.Unit, o.Progress.N, tx},
		Bar: planBar{Percent: o.Progress.Percent, State: o.Progress.State}}
	row.Bar.Label = tx.T("web.planning_objectives.progress", "Target", o.TargetWords(), "Current", row.Current.String())
	if o.Baseline != nil {
		row.Baseline = planFigure{*o.Baseline, o.Unit, 1, tx}.String()
	}
	return row
}

type objectivesView struct {
	Items    []objectiveRow
	CanWrite bool
}

func (h planningPages) objectives(w http.ResponseWriter, r *http.Request) {
	list, err := h.p.Objectives.List(r.Context())
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := objectivesView{CanWrite: httpx.Principal(r).Can(sms.PermWrite)}
	for _, o := range list {
		v.Items = append(v.Items, rowOf(h.wb.clockOf(r).text(), o))
	}
	h.wb.render(w, r, http.StatusOK, "objectives", page{Title: "Objectives", Active: "objectives", Data: v})
}

type objectiveView struct {
	O          objectiveRow
	New        bool
	CanWrite   bool
	F          *fieldErrors
	Metrics    []kpi.Metric
	Agents     []option
	Directions []string
	Series     []planSeriesRow
	Target     string
	Baseline   string
}

// planSeriesRow is one bucket of an objective's series, with its bar.
type planSeriesRow struct {
	From  string
	Fig   planFigure
	Meets bool
	Bar   planBar
}

func (h planningPages) showObjective(w http.ResponseWriter, r *http.Request, status int, o objective.Objective, isNew bool, fe *fieldErrors) {
	v := objectiveView{O: rowOf(h.wb.clockOf(r).text(), o), New: isNew, CanWrite: httpx.Principal(r).Can(sms.PermWrite), F: fe, Metrics: planMetrics(),
		Directions: objective.Directions}
	if !isNew {
		v.Target = strconv.FormatFloat(o.Target, 'f', -1, 64)
		if o.Baseline != nil {
			v.Baseline = strconv.FormatFloat(*o.Baseline, 'f', -1, 64)
		}
		pts, err := h.p.Objectives.Series(r.Context(), o)
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		ck := h.wb.clockOf(r)
		top := o.Target
		for _, p := range pts {
			if p.Value.Value > top {
				top = p.Value.Value
			}
		}
		for _, p := range pts {
			row := planSeriesRow{From: ck.day(p.From), Fig: planFigure{p.Value.Value, o.Unit, p.N, ck.text()}, Meets: p.N > 0 && o.Meets(p.Value.Value)}
			row.Bar = planBar{State: "no_data", Label: row.Fig.String()}
			if p.N > 0 && top > 0 {
				row.Bar.Percent = 100 * p.Value.Value / top
				row.Bar.State = "off_track"
				if row.Meets {
					row.Bar.State = "on_track"
				}
			}
			v.Series = append(v.Series, row)
		}
	}
	opts, err := h.wb.formOptions(r, false)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v.Agents = opts.Agents
	title := "New objective"
	if !isNew {
		title = o.Title
	}
	h.wb.render(w, r, status, "objective", page{Title: title, Active: "objectives", Data: v})
}

func (h planningPages) newObjective(w http.ResponseWriter, r *http.Request) {
	h.showObjective(w, r, http.StatusOK, objective.Objective{PeriodDays: 90, Direction: "at_least", Status: "active"}, true, nil)
}

func (h planningPages) objective(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	o, err := h.p.Objectives.Get(r.Context(), id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showObjective(w, r, http.StatusOK, o, false, nil)
}

func (h planningPages) saveObjective(w http.ResponseWriter, r *http.Request, id int64) {
	v := domainerr.NewInvalid()
	in := objective.Input{Title: planText(r, "title"), Description: planText(r, "description"), MetricKey: planText(r, "metric_key"),
		Direction: planText(r, "direction"), StartsOn: planText(r, "starts_on"), DueOn: planText(r, "due_on"), OwnerID: h.wb.planOwner(r, v),
		PeriodDays: planFormInt(r, "period_days", v), Target: planFormFloat(r, "target", v), Baseline: planFormFloat(r, "baseline", v)}
	if s := r.PostFormValue("status"); s != "" {
		in.Status = &s
	}
	if in.Target == nil && !v.Has("target") {
		v.Add("target", "is required")
	}
	if in.PeriodDays == nil && !v.Has("period_days") {
		v.Add("period_days", "is required")
	}
	var err error
	var o objective.Objective
	if len(v.Fields) == 0 {
		actor := httpx.Principal(r).Actor()
		if id == 0 {
			o, err = h.p.Objectives.Create(r.Context(), actor, in)
		} else {
			ver, _ := formVersion(r)
			o, err = h.p.Objectives.Update(r.Context(), actor, id, in, ver)
		}
		if err == nil {
			h.wb.redirect(w, r, "/objectives/"+strconv.FormatInt(o.ID, 10), "plan-saved")
			return
		}
	}
	bad, err := planMerged(v, err)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	cur := objective.Objective{PeriodDays: 90, Direction: "at_least", Status: "active"}
	if id != 0 {
		if cur, err = h.p.Objectives.Get(r.Context(), id); err != nil {
			h.wb.fail(w, r, err)
			return
		}
	}
	h.showObjective(w, r, http.StatusUnprocessableEntity, cur, id == 0, &fieldErrors{Form: "objective", Errs: bad.Fields, Values: r.PostForm})
}

func (h planningPages) createObjective(w http.ResponseWriter, r *http.Request) {
	h.saveObjective(w, r, 0)
}

func (h planningPages) updateObjective(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	h.saveObjective(w, r, id)
}
