package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/internalaudit"
	"steward/internal/sms"
)

type programmeRow struct {
	internalaudit.Programme
	Period string
}

type iaRow struct {
	internalaudit.Audit
	Planned string
}

type auditsView struct {
	Programmes []programmeRow
	Audits     []iaRow
	Coverage   []internalaudit.Coverage
	Covered    int
	CanWrite   bool
	F          *fieldErrors
}

func (h *checkingPages) auditsPage(w http.ResponseWriter, r *http.Request) {
	h.showAudits(w, r, http.StatusOK, nil)
}

func (h *checkingPages) showAudits(w http.ResponseWriter, r *http.Request, status int, f *fieldErrors) {
	p, ctx, ck := httpx.Principal(r), r.Context(), h.clockOf(r)
	v := auditsView{CanWrite: p.Can(sms.PermWrite), F: f}
	progs, err := h.audits.ListProgrammes(ctx, p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, pr := range progs {
		v.Programmes = append(v.Programmes, programmeRow{Programme: pr, Period: ck.date(pr.PeriodStart) + " – " + ck.date(pr.PeriodEnd)})
	}
	list, err := h.audits.List(ctx, p, internalaudit.AuditFilter{Limit: 100})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, a := range list {
		v.Audits = append(v.Audits, iaRow{Audit: a, Planned: ck.date(a.PlannedOn)})
	}
	if v.Coverage, err = h.audits.Coverage(ctx, p); err != nil {
		h.fail(w, r, err)
		return
	}
	for _, c := range v.Coverage {
		if c.Covered {
			v.Covered++
		}
	}
	h.render(w, r, status, "internal_audits", page{Title: "Internal audits", Active: "internal-audits", Data: v})
}

func (h *checkingPages) createProgramme(w http.ResponseWriter, r *http.Request) {
	name, start, end := r.PostFormValue("name"), r.PostFormValue("period_start"), r.PostFormValue("period_end")
	_, err := h.audits.SaveProgramme(r.Context(), httpx.Principal(r), 0, internalaudit.ProgrammeInput{Name: &name, PeriodStart: &start, PeriodEnd: &end}, 0)
	if err == nil {
		h.redirect(w, r, "/internal-audits", "programme_created")
		return
	}
	if inv, ok := h.invalidOr(w, r, err); ok {
		h.showAudits(w, r, http.StatusUnprocessableEntity, fieldsOf("programme", inv, r))
	}
}

type auditFormView struct {
	A          internalaudit.Audit
	F          *fieldErrors
	Programmes []option
	Processes  []internalaudit.Process
	Staff      []option
	procs      []int64
	auditors   []int64
	Whole      bool
	Clauses    string
}

// HasProcess and HasAuditor say whether the form ticks a process or person.
func (v auditFormView) HasProcess(id int64) bool { return slices.Contains(v.procs, id) }
func (v auditFormView) HasAuditor(id int64) bool { return slices.Contains(v.auditors, id) }

func (h *checkingPages) newAudit(w http.ResponseWriter, r *http.Request) {
	a := internalaudit.Audit{}
	if id, err := strconv.ParseInt(r.URL.Query().Get("programme"), 10, 64); err == nil {
		a.ProgrammeID = &id
	}
	h.showAuditForm(w, r, http.StatusOK, a, nil)
}

func (h *checkingPages) editAudit(w http.ResponseWriter, r *http.Request) {
	id, ok := idPath(r, "id")
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	a, err := h.audits.Get(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.showAuditForm(w, r, http.StatusOK, a, nil)
}

func (h *checkingPages) showAuditForm(w http.ResponseWriter, r *http.Request, status int, a internalaudit.Audit, f *fieldErrors) {
	p, ctx := httpx.Principal(r), r.Context()
	v := auditFormView{A: a, F: f, Whole: a.WholeStandard()}
	progs, err := h.audits.ListProgrammes(ctx, p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, pr := range progs {
		v.Programmes = append(v.Programmes, option{ID: pr.ID, Name: pr.Name})
	}
	if v.Processes, err = internalaudit.Processes(ctx, h.DB); err != nil {
		h.fail(w, r, err)
		return
	}
	if v.Staff, err = h.staff(r); err != nil {
		h.fail(w, r, err)
		return
	}
	if f != nil {
		bad := domainerr.NewInvalid()
		v.procs, v.auditors = pickedIDs(r, bad, "process_ids"), pickedIDs(r, bad, "auditor_ids")
		v.Whole = r.PostFormValue("clause_scope") == "all"
		v.Clauses = r.PostFormValue("clauses")
	} else {
		for _, pr := range a.Processes {
			v.procs = append(v.procs, pr.ID)
		}
		for _, x := range a.Auditors {
			v.auditors = append(v.auditors, x.ID)
		}
		if !v.Whole {
			v.Clauses = strings.Join(a.Clauses, ", ")
		}
	}
	title := "Plan an internal audit"
	if a.ID != 0 {
		title = h.clockOf(r).text().T("web.internal_audits.edit_title", "Title", a.Title)
	}
	h.render(w, r, status, "internal_audit_form", page{Title: title, Active: "internal-audits", Data: v})
}

// auditInput reads the plan form.
func (h *checkingPages) auditInput(r *http.Request) (internalaudit.AuditInput, *domainerr.Invalid) {
	v := domainerr.NewInvalid()
	title, scope, criteria, planned := r.PostFormValue("title"), formText(r, "scope"), formText(r, "criteria"), r.PostFormValue("planned_on")
	in := internalaudit.AuditInput{Title: &title, Scope: &scope, Criteria: &criteria, PlannedOn: &planned}
	zero := int64(0)
	in.ProgrammeID, in.LeadID = pickedID(r, v, "programme_id"), h.personID(r, v, "lead_id", staffPerson)
	if in.ProgrammeID == nil {
		in.ProgrammeID = &zero
	}
	if in.LeadID == nil {
		in.LeadID = &zero
	}
	procs, auditors := pickedIDs(r, v, "process_ids"), pickedIDs(r, v, "auditor_ids")
	in.ProcessIDs, in.AuditorIDs = &procs, &auditors
	cl := []string{}
	if r.PostFormValue("clause_scope") == "all" {
		cl = []string{internalaudit.AllClauses}
	} else {
		cl = strings.FieldsFunc(r.PostFormValue("clauses"), func(c rune) bool { return c == ',' || c == ' ' || c == ';' })
	}
	in.Clauses = &cl
	return in, v
}

func (h *checkingPages) createAudit(w http.ResponseWriter, r *http.Request) { h.saveAudit(w, r, 0) }

func (h *checkingPages) updateAudit(w http.ResponseWriter, r *http.Request) {
	id, ok := idPath(r, "id")
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	h.saveAudit(w, r, id)
}

func (h *checkingPages) saveAudit(w http.ResponseWriter, r *http.Request, id int64) {
	p := httpx.Principal(r)
	in, bad := h.auditInput(r)
	cur := internalaudit.Audit{}
	if id != 0 {
		var err error
		if cur, err = h.audits.Get(r.Context(), p, id); err != nil {
			h.fail(w, r, err)
			return
		}
		if cur.State != internalaudit.Planned {
			// A running audit keeps its scope; only the rest changes.
			in.ProcessIDs, in.Clauses = nil, nil
		}
	}
	if len(bad.Fields) == 0 {
		ver, _ := formVersion(r)
		a, err := h.audits.Save(r.Context(), p, id, in, ver)
		if err == nil {
			flash := "audit_planned"
			if id != 0 {
				flash = "saved"
			}
			h.redirect(w, r, "/internal-audits/"+strconv.FormatInt(a.ID, 10), flash)
			return
		}
		var ok bool
		if bad, ok = h.invalidOr(w, r, err); !ok {
			return
		}
	}
	h.showAuditForm(w, r, http.StatusUnprocessableEntity, cur, fieldsOf("audit", bad, r))
}

type itemRow struct {
	internalaudit.Item
	EvidenceText string
}

type iaView struct {
	A          internalaudit.Audit
	Planned    string
	Items      []itemRow
	Counts     []internalaudit.Count
	CanWrite   bool
	CanConduct bool
	F          *fieldErrors
	Results    []string
	Error      string
}

// FormOf names the form of a checklist line.
func (v iaView) FormOf(id int64) string { return "item-" + strconv.FormatInt(id, 10) }

// Raises says whether a result raises a nonconformity.
func (v iaView) Raises(result string) bool { return internalaudit.RaisesNC(result) }

func (h *checkingPages) auditPage(w http.ResponseWriter, r *http.Request) {
	id, ok := idPath(r, "id")
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	h.showAudit(w, r, http.StatusOK, id, nil, "")
}

func (h *checkingPages) showAudit(w http.ResponseWriter, r *http.Request, status int, id int64, f *fieldErrors, msg string) {
	p, ctx := httpx.Principal(r), r.Context()
	a, err := h.audits.Get(ctx, p, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := iaView{A: a, Planned: h.clockOf(r).date(a.PlannedOn), CanWrite: p.Can(sms.PermWrite), F: f, Results: internalaudit.Results, Error: msg}
	v.CanConduct = p.Can(sms.PermAudit) && (p.Can(sms.PermWrite) || (a.LeadID != nil && *a.LeadID == p.UserID))
	for _, x := range a.Auditors {
		v.CanConduct = v.CanConduct || (p.Can(sms.PermAudit) && x.ID == p.UserID)
	}
	items, err := h.audits.Items(ctx, p, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, it := range items {
		var refs []string
		for _, e := range it.Evidence {
			refs = append(refs, e.Label)
		}
		v.Items = append(v.Items, itemRow{Item: it, EvidenceText: strings.Join(refs, "\n")})
	}
	v.Counts = internalaudit.CountResults(items)
	h.render(w, r, status, "internal_audit", page{Title: a.Title, Active: "internal-audits", Data: v})
}

func (h *checkingPages) startAudit(w http.ResponseWriter, r *http.Request) {
	id, ok := idPath(r, "id")
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	ver, _ := formVersion(r)
	if _, err := h.audits.Start(r.Context(), httpx.Principal(r), id, ver); err != nil {
		if inv, ok := h.invalidOr(w, r, err); ok {
			h.showAudit(w, r, http.StatusUnprocessableEntity, id, nil, errText(h.clockOf(r).text(), firstField(inv)))
		}
		return
	}
	h.redirect(w, r, "/internal-audits/"+strconv.FormatInt(id, 10)+"#checklist", "audit_started")
}

func (h *checkingPages) cancelAudit(w http.ResponseWriter, r *http.Request) {
	id, ok := idPath(r, "id")
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	ver, _ := formVersion(r)
	st := internalaudit.Cancelled
	if _, err := h.audits.Save(r.Context(), httpx.Principal(r), id, internalaudit.AuditInput{State: &st}, ver); err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, "/internal-audits/"+strconv.FormatInt(id, 10), "audit_cancelled")
}

func firstField(inv *domainerr.Invalid) string {
	for _, m := range inv.Fields {
		return m
	}
	return inv.Message
}

func (h *checkingPages) recordItem(w http.ResponseWriter, r *http.Request) {
	id, ok1 := idPath(r, "id")
	item, ok2 := idPath(r, "item")
	if !ok1 || !ok2 {
		h.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	result, notes := r.PostFormValue("result"), formText(r, "notes")
	var ev []string
	for _, line := range strings.Split(formText(r, "evidence"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			ev = append(ev, line)
		}
	}
	it, err := h.audits.RecordItem(r.Context(), httpx.Principal(r), id, item, internalaudit.ItemInput{Result: &result, Notes: &notes, Evidence: &ev})
	if err != nil {
		if inv, ok := h.invalidOr(w, r, err); ok {
			h.showAudit(w, r, http.StatusUnprocessableEntity, id, fieldsOf("item-"+strconv.FormatInt(item, 10), inv, r), "")
		}
		return
	}
	flash := "saved"
	if it.NC != "" && internalaudit.RaisesNC(it.Result) {
		flash = "line_nc"
	}
	h.redirect(w, r, "/internal-audits/"+strconv.FormatInt(id, 10)+"#line-"+strconv.FormatInt(item, 10), flash)
}

func (h *checkingPages) reportAudit(w http.ResponseWriter, r *http.Request) {
	id, ok := idPath(r, "id")
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	summary := formText(r, "summary")
	ver, _ := formVersion(r)
	if _, err := h.audits.ReportAudit(r.Context(), httpx.Principal(r), id, &summary, ver); err != nil {
		if inv, ok := h.invalidOr(w, r, err); ok {
			h.showAudit(w, r, http.StatusUnprocessableEntity, id, fieldsOf("report", inv, r), "")
		}
		return
	}
	h.redirect(w, r, "/internal-audits/"+strconv.FormatInt(id, 10)+"/report", "audit_reported")
}

type iaReportView struct {
	internalaudit.Report
	Planned string
}

func (h *checkingPages) reportPage(w http.ResponseWriter, r *http.Request) {
	id, ok := idPath(r, "id")
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	rep, err := h.audits.Report(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "internal_audit_report", page{Title: h.clockOf(r).text().T("web.internal_audits.report_title", "Title", rep.Audit.Title), Active: "internal-audits",
		Data: iaReportView{Report: rep, Planned: h.clockOf(r).date(rep.Audit.PlannedOn)}})
}
