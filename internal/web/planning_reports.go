package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/servicereport"
	"steward/internal/sms"
)

type svcReportsView struct {
	Items    []servicereport.Definition
	Overdue  int
	CanWrite bool
}

func (h planningPages) reports(w http.ResponseWriter, r *http.Request) {
	list, err := h.p.Reports.List(r.Context())
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := svcReportsView{Items: list, CanWrite: httpx.Principal(r).Can(sms.PermWrite)}
	for _, d := range list {
		if d.Overdue {
			v.Overdue++
		}
	}
	h.wb.render(w, r, http.StatusOK, "service_reports", page{Title: "Service reports", Active: "service-reports", Data: v})
}

type svcReportView struct {
	Def         servicereport.Definition
	Runs        []servicereport.Run
	New         bool
	CanWrite    bool
	F           *fieldErrors
	Agents      []option
	Frequencies []string
	// The period the next report would cover, offered on the form.
	NextFrom, NextTo string
	// What a report produced on schedule may hold and for whom.
	KPIs      []svcKPIChoice
	Tables    []servicereport.TableChoice
	Formats   []string
	Customers []option
}

// svcKPIChoice is a KPI a produced report may hold.
type svcKPIChoice struct{ Key, Title string }

// Has reports whether a scheduled list of the definition holds s.
func (v svcReportView) Has(list []string, s string) bool { return slices.Contains(list, s) }

// HasID reports whether a scheduled list of the definition holds id.
func (v svcReportView) HasID(list []int64, id int64) bool { return slices.Contains(list, id) }

func (h planningPages) showReport(w http.ResponseWriter, r *http.Request, status int, d servicereport.Definition, isNew bool, fe *fieldErrors) {
	v := svcReportView{Def: d, New: isNew, CanWrite: httpx.Principal(r).Can(sms.PermWrite), F: fe, Frequencies: servicereport.Frequencies}
	if !isNew {
		runs, err := h.p.Reports.Runs(r.Context(), h.wb.DB, d.ID, 50)
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		v.Runs = runs
		if due, err := time.Parse("2006-01-02", d.NextDue); err == nil {
			v.NextTo = due.AddDate(0, 0, -1).Format("2006-01-02")
			back := servicereport.After(due, d.Frequency).Sub(due)
			v.NextFrom = due.Add(-back).Format("2006-01-02")
		}
	}
	opts, err := h.wb.formOptions(r, false)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v.Agents, v.Customers = opts.Agents, opts.Customers
	v.Tables, v.Formats = servicereport.TableChoices, servicereport.Formats
	rows, err := h.wb.DB.Query(r.Context(), "SELECT key, title FROM kpi_definitions ORDER BY title LIMIT 200")
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	for rows.Next() {
		var c svcKPIChoice
		if err := rows.Scan(&c.Key, &c.Title); err != nil {
			rows.Close()
			h.wb.fail(w, r, err)
			return
		}
		v.KPIs = append(v.KPIs, c)
	}
	rows.Close()
	title := "New service report"
	if !isNew {
		title = d.Name
	}
	h.wb.render(w, r, status, "service_report", page{Title: title, Active: "service-reports", Data: v})
}

func (h planningPages) newReport(w http.ResponseWriter, r *http.Request) {
	h.showReport(w, r, http.StatusOK, servicereport.Definition{Frequency: "monthly"}, true, nil)
}

func (h planningPages) report(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	d, err := h.p.Reports.Get(r.Context(), h.wb.DB, id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showReport(w, r, http.StatusOK, d, false, nil)
}

func (h planningPages) saveReport(w http.ResponseWriter, r *http.Request, id int64) {
	v := domainerr.NewInvalid()
	in := servicereport.Input{Name: planText(r, "name"), Content: planText(r, "content"), Audience: planText(r, "audience"),
		Frequency: planText(r, "frequency"), Source: planText(r, "source"), NextDue: planText(r, "next_due"), OwnerID: h.wb.planOwner(r, v),
		ScheduledInput: reportSchedule(r, v)}
	var err error
	var d servicereport.Definition
	if len(v.Fields) == 0 {
		actor := httpx.Principal(r).Actor()
		if id == 0 {
			d, err = h.p.Reports.Create(r.Context(), actor, in)
		} else {
			ver, _ := formVersion(r)
			d, err = h.p.Reports.Update(r.Context(), actor, id, in, ver)
		}
		if err == nil {
			h.wb.redirect(w, r, "/service-reports/"+strconv.FormatInt(d.ID, 10), "plan-saved")
			return
		}
	}
	bad, err := planMerged(v, err)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	cur := servicereport.Definition{Frequency: "monthly"}
	if id != 0 {
		if cur, err = h.p.Reports.Get(r.Context(), h.wb.DB, id); err != nil {
			h.wb.fail(w, r, err)
			return
		}
	}
	h.showReport(w, r, http.StatusUnprocessableEntity, cur, id == 0, &fieldErrors{Form: "report", Errs: bad.Fields, Values: r.PostForm})
}

func (h planningPages) createReport(w http.ResponseWriter, r *http.Request) { h.saveReport(w, r, 0) }

func (h planningPages) updateReport(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	h.saveReport(w, r, id)
}

func (h planningPages) produceReport(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	ver, _ := formVersion(r)
	in := servicereport.RunInput{PeriodFrom: r.PostFormValue("period_from"), PeriodTo: r.PostFormValue("period_to"),
		Link: r.PostFormValue("link"), Note: formText(r, "note")}
	_, err := h.p.Reports.Produce(r.Context(), httpx.Principal(r).Actor(), id, in, ver)
	if err == nil {
		h.wb.redirect(w, r, "/service-reports/"+strconv.FormatInt(id, 10), "plan-produced")
		return
	}
	var inv *domainerr.Invalid
	if !errors.As(err, &inv) {
		h.wb.fail(w, r, err)
		return
	}
	d, gerr := h.p.Reports.Get(r.Context(), h.wb.DB, id)
	if gerr != nil {
		h.wb.fail(w, r, gerr)
		return
	}
	h.showReport(w, r, http.StatusUnprocessableEntity, d, false, &fieldErrors{Form: "run", Errs: inv.Fields, Values: r.PostForm})
}

// SourceLink is the definition's source when it is a page of Steward or a
// web address, so the page can link to it.
func (v svcReportView) SourceLink() string {
	s := v.Def.Source
	if strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") {
		return s
	}
	return ""
}

// reportSchedule reads what a report produced on schedule holds and for
// whom: ticked KPIs, tables, roles, people and customers, and the format.
func reportSchedule(r *http.Request, v *domainerr.Invalid) servicereport.ScheduledInput {
	format := strings.TrimSpace(r.PostFormValue("format"))
	kpis, tables, roles := r.PostForm["kpis"], r.PostForm["tables"], r.PostForm["audience_roles"]
	ids := func(name string) *[]int64 {
		out := []int64{}
		for _, s := range r.PostForm[name] {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				v.Add(name, "must be chosen from the list")
				continue
			}
			out = append(out, n)
		}
		return &out
	}
	for _, l := range []*[]string{&kpis, &tables, &roles} {
		if *l == nil {
			*l = []string{}
		}
	}
	return servicereport.ScheduledInput{Format: &format, KPIs: &kpis, Tables: &tables, AudienceRoles: &roles,
		AudienceUsers: ids("audience_users"), AudienceCustomers: ids("audience_customers")}
}

// FormatName is the definition's format as a reader says it: "PDF".
func (v svcReportView) FormatName() string { return strings.ToUpper(v.Def.Format) }
