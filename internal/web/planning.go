package web

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/improvement"
	"steward/internal/kpi"
	"steward/internal/objective"
	"steward/internal/risk"
	"steward/internal/servicereport"
	"steward/internal/sms"
)

// Planning is what the planning and improvement pages work on.
type Planning struct {
	Risks        *risk.Service
	Objectives   *objective.Service
	Improvements *improvement.Service
	Reports      *servicereport.Service
}

// PlanningPages are the pages of the measures, risks, objectives,
// improvements and service reports: staff and auditors read them,
// administrators keep them.
func PlanningPages(p Planning) Pages {
	return func(wb *Web, rt *httpx.Router) {
		h := planningPages{wb: wb, p: p}
		rt.Handle("GET /kpis", sms.PermRead, h.kpis)
		rt.Handle("GET /risks", sms.PermRead, h.risks)
		rt.Handle("GET /risks/new", sms.PermWrite, h.newRisk)
		wb.post(rt, "POST /risks", sms.PermWrite, h.createRisk)
		rt.Handle("GET /risks/{id}", sms.PermRead, h.risk)
		wb.post(rt, "POST /risks/{id}", sms.PermWrite, h.updateRisk)
		rt.Handle("GET /risk-criteria", sms.PermRead, h.criteria)
		wb.post(rt, "POST /risk-criteria", sms.PermWrite, h.saveCriteria)
		rt.Handle("GET /objectives", sms.PermRead, h.objectives)
		rt.Handle("GET /objectives/new", sms.PermWrite, h.newObjective)
		wb.post(rt, "POST /objectives", sms.PermWrite, h.createObjective)
		rt.Handle("GET /objectives/{id}", sms.PermRead, h.objective)
		wb.post(rt, "POST /objectives/{id}", sms.PermWrite, h.updateObjective)
		rt.Handle("GET /improvements", sms.PermRead, h.improvements)
		rt.Handle("GET /improvements/new", sms.PermWrite, h.newImprovement)
		wb.post(rt, "POST /improvements", sms.PermWrite, h.createImprovement)
		rt.Handle("GET /improvements/{id}", sms.PermRead, h.improvement)
		wb.post(rt, "POST /improvements/{id}", sms.PermWrite, h.updateImprovement)
		wb.post(rt, "POST /improvements/{id}/act", sms.PermWrite, h.actImprovement)
		rt.Handle("GET /service-reports", sms.PermRead, h.reports)
		rt.Handle("GET /service-reports/new", sms.PermWrite, h.newReport)
		wb.post(rt, "POST /service-reports", sms.PermWrite, h.createReport)
		rt.Handle("GET /service-reports/{id}", sms.PermRead, h.report)
		wb.post(rt, "POST /service-reports/{id}", sms.PermWrite, h.updateReport)
		wb.post(rt, "POST /service-reports/{id}/runs", sms.PermWrite, h.produceReport)
	}
}

type planningPages struct {
	wb *Web
	p  Planning
}

// planFigure is a measure's value as a reader sees it: "93.5 %", "12.3 hours",
// or "No data" when it rests on no records.
type planFigure struct {
	Value float64
	Unit  string
	N     int
	tx    i18n.Text
}

func (f planFigure) String() string {
	if f.N == 0 {
		return f.tx.T("web.planning.no_data")
	}
	return planFigureText(f.tx, f.Value, f.Unit)
}

func planNumber(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// planFigureText writes a value with its unit.
func planFigureText(tx i18n.Text, v float64, unit string) string {
	n := planNumber(v)
	switch unit {
	case "%":
		return n + " %"
	case "hours":
		if v == 1 {
			return tx.T("web.planning.hour", "Value", n)
		}
		return tx.T("web.planning.hours", "Value", n)
	case "days":
		if v == 1 {
			return tx.T("web.planning.day", "Value", n)
		}
		return tx.T("web.planning.days", "Value", n)
	}
	return n
}

// planRecords says how many records a figure rests on.
func planRecords(tx i18n.Text, n int) string { return tx.T("web.planning.records", "Count", n) }

// planMetrics are the measures offered in a select, by title.
func planMetrics() []kpi.Metric { return kpi.All() }

// planFormInt reads a whole number from a form field; "" is nil, and a value
// that is not a number is reported against the field.
func planFormInt(r *http.Request, name string, v *domainerr.Invalid) *int {
	s := strings.TrimSpace(r.PostFormValue(name))
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		v.Add(name, "must be a whole number")
		return nil
	}
	return &n
}

// planFormFloat reads a number from a form field, with a comma allowed as the
// decimal mark.
func planFormFloat(r *http.Request, name string, v *domainerr.Invalid) *float64 {
	s := strings.TrimSpace(strings.Replace(r.PostFormValue(name), ",", ".", 1))
	s = strings.TrimSpace(strings.TrimSuffix(s, "%"))
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		v.Add(name, "must be a number such as 95 or 12.5")
		return nil
	}
	return &f
}

// planOwner reads the owner chosen or typed in a person field: agents and
// administrators hold plans. None is id 0, which clears the owner.
func (wb *Web) planOwner(r *http.Request, v *domainerr.Invalid) *int64 {
	id := wb.personID(r, v, "owner_id", agentPerson)
	if id == nil && !v.Has("owner_id") {
		var none int64
		return &none
	}
	return id
}

func planText(r *http.Request, name string) *string {
	s := formText(r, name)
	return &s
}

// planMerged adds the form's own faults to the domain's.
func planMerged(form *domainerr.Invalid, err error) (*domainerr.Invalid, error) {
	if err == nil && len(form.Fields) == 0 {
		return nil, nil
	}
	out := domainerr.NewInvalid()
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		for k, m := range inv.Fields {
			out.Fields[k] = m
		}
	} else if err != nil {
		return nil, err
	}
	for k, m := range form.Fields {
		out.Fields[k] = m
	}
	return out, nil
}
