package web

import (
	"errors"
	"net/http"
	"strconv"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/improvement"
	"steward/internal/kpi"
	"steward/internal/sms"
)

// improvementRow is an improvement with its measurements in words.
type improvementRow struct {
	improvement.Improvement
	Before, After, Change string
	// Verdict is improved or not_improved once both were measured.
	Verdict string
}

func improvementRowOf(tx i18n.Text, i improvement.Improvement) improvementRow {
	row := improvementRow{Improvement: i}
	if i.BaselineValue != nil {
		row.Before = planFigure{*i.BaselineValue, i.Unit, 1, tx}.String()
	}
	if i.ResultValue != nil {
		row.After = planFigure{*i.ResultValue, i.Unit, 1, tx}.String()
	}
	if i.Difference != nil {
		d := *i.Difference
		sign := "+"
		if d < 0 {
			sign, d = "−", -d
		}
		row.Verdict = "not_improved"
		if i.Improved != nil && *i.Improved {
			row.Verdict = "improved"
		}
		row.Change = sign + planFigure{d, i.Unit, 1, tx}.String()
		if i.Unit == "%" {
			row.Change = sign + tx.T("web.planning_improvements.points", "Value", planNumber(d))
		}
	}
	return row
}

type improvementsView struct {
	Items    []improvementRow
	Status   string
	CanWrite bool
}

func (h planningPages) improvements(w http.ResponseWriter, r *http.Request) {
	v := improvementsView{Status: r.URL.Query().Get("status"), CanWrite: httpx.Principal(r).Can(sms.PermWrite)}
	list, err := h.p.Improvements.List(r.Context(), improvement.Filter{Status: v.Status})
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		h.wb.errorPage(w, r, http.StatusBadRequest, inv.Error())
		return
	} else if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	tx := h.wb.clockOf(r).text()
	for _, i := range list {
		v.Items = append(v.Items, improvementRowOf(tx, i))
	}
	h.wb.render(w, r, http.StatusOK, "improvements", page{Title: "Improvements", Active: "improvements", Data: v})
}

type improvementView struct {
	I          improvementRow
	New        bool
	CanWrite   bool
	F          *fieldErrors
	ActError   string
	Metrics    []kpi.Metric
	Agents     []option
	Sources    []string
	Priorities []string
}

func (h planningPages) showImprovement(w http.ResponseWriter, r *http.Request, status int, i improvement.Improvement, isNew bool, fe *fieldErrors, actErr string) {
	v := improvementView{I: improvementRowOf(h.wb.clockOf(r).text(), i), New: isNew, CanWrite: httpx.Principal(r).Can(sms.PermWrite), F: fe, ActError: actErr,
		Metrics: planMetrics(), Sources: improvement.Sources, Priorities: improvement.Priorities}
	opts, err := h.wb.formOptions(r, false)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v.Agents = opts.Agents
	title := "New improvement"
	if !isNew {
		title = i.Title
	}
	h.wb.render(w, r, status, "improvement", page{Title: title, Active: "improvements", Data: v})
}

func (h planningPages) newImprovement(w http.ResponseWriter, r *http.Request) {
	h.showImprovement(w, r, http.StatusOK, improvement.Improvement{Source: "suggestion", Priority: "medium", Status: "proposed"}, true, nil, "")
}

func (h planningPages) improvement(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	i, err := h.p.Improvements.Get(r.Context(), h.wb.DB, id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showImprovement(w, r, http.StatusOK, i, false, nil, "")
}

func (h planningPages) saveImprovement(w http.ResponseWriter, r *http.Request, id int64) {
	v := domainerr.NewInvalid()
	in := improvement.Input{Title: planText(r, "title"), Description: planText(r, "description"), Source: planText(r, "source"),
		SourceRef: planText(r, "source_ref"), Criteria: planText(r, "criteria"), Priority: planText(r, "priority"), MetricKey: planText(r, "metric_key"),
		DueOn: planText(r, "due_on"), OwnerID: h.wb.planOwner(r, v)}
	var err error
	var i improvement.Improvement
	if len(v.Fields) == 0 {
		actor := httpx.Principal(r).Actor()
		if id == 0 {
			i, err = h.p.Improvements.Create(r.Context(), actor, in)
		} else {
			ver, _ := formVersion(r)
			i, err = h.p.Improvements.Update(r.Context(), actor, id, in, ver)
		}
		if err == nil {
			h.wb.redirect(w, r, "/improvements/"+strconv.FormatInt(i.ID, 10), "plan-saved")
			return
		}
	}
	bad, err := planMerged(v, err)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	cur := improvement.Improvement{Source: "suggestion", Priority: "medium", Status: "proposed"}
	if id != 0 {
		if cur, err = h.p.Improvements.Get(r.Context(), h.wb.DB, id); err != nil {
			h.wb.fail(w, r, err)
			return
		}
	}
	h.showImprovement(w, r, http.StatusUnprocessableEntity, cur, id == 0, &fieldErrors{Form: "improvement", Errs: bad.Fields, Values: r.PostForm}, "")
}

func (h planningPages) createImprovement(w http.ResponseWriter, r *http.Request) {
	h.saveImprovement(w, r, 0)
}

func (h planningPages) updateImprovement(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	h.saveImprovement(w, r, id)
}

// actImprovement approves, rejects, starts or finishes an improvement; an
// approval without criteria comes back with the message beside them.
func (h planningPages) actImprovement(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	ver, _ := formVersion(r)
	_, err := h.p.Improvements.Act(r.Context(), httpx.Principal(r).Actor(), id, r.PostFormValue("action"), ver)
	if err == nil {
		h.wb.redirect(w, r, "/improvements/"+strconv.FormatInt(id, 10), "plan-moved")
		return
	}
	var inv *domainerr.Invalid
	var conflict *domainerr.Conflict
	if !errors.As(err, &inv) && !errors.As(err, &conflict) {
		h.wb.fail(w, r, err)
		return
	}
	cur, gerr := h.p.Improvements.Get(r.Context(), h.wb.DB, id)
	if gerr != nil {
		h.wb.fail(w, r, gerr)
		return
	}
	if inv != nil {
		h.showImprovement(w, r, http.StatusUnprocessableEntity, cur, false, &fieldErrors{Form: "improvement", Errs: inv.Fields}, "")
		return
	}
	h.showImprovement(w, r, http.StatusConflict, cur, false, nil, conflict.Message)
}
