package api

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"steward/internal/clauses"
	"steward/internal/compliance"
	"steward/internal/compliance/pack"
	"steward/internal/httpx"
)

// CompliancePackRoutes are the self-assessments of clauses and the exports
// for an auditor: the audit pack and the readiness report as PDF.
func CompliancePackRoutes(a *API, rt *httpx.Router) {
	h := compliancePackAPI{a: a}
	rt.Handle("GET /api/v1/compliance/assessments", compliance.PermRead, h.listAssessments)
	rt.Handle("PUT /api/v1/compliance/assessments/{clause}", compliance.PermAssess, h.putAssessment)
	rt.Handle("DELETE /api/v1/compliance/assessments/{clause}", compliance.PermAssess, h.deleteAssessment)
	rt.Handle("GET /api/v1/compliance/audit-pack", compliance.PermExport, h.auditPack)
	rt.Handle("GET /api/v1/compliance/readiness.pdf", compliance.PermExport, h.readinessPDF)
}

type compliancePackAPI struct{ a *API }

// AssessmentOut is a self-assessment with the clause it rates.
type AssessmentOut struct {
	Standard string `json:"standard"`
	Clause   string `json:"clause"`
	compliance.Assessment
}

func (h compliancePackAPI) listAssessments(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "standard")
	std := standardParam(q)
	if err := q.err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	as, err := compliance.Assessments(r.Context(), h.a.DB, std)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	s, _ := clauses.Get(std)
	items := []AssessmentOut{}
	for _, c := range s.Clauses {
		if a, ok := as[c.Number]; ok {
			items = append(items, AssessmentOut{Standard: std, Clause: c.Number, Assessment: a})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (h compliancePackAPI) putAssessment(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "standard")
	std := standardParam(q)
	if err := q.err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	var in compliance.AssessInput
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	clause := r.PathValue("clause")
	a, err := compliance.Assess(r.Context(), h.a.DB, httpx.Principal(r).Actor(), std, clause, in)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, AssessmentOut{Standard: std, Clause: clause, Assessment: a})
}

func (h compliancePackAPI) deleteAssessment(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "standard")
	std := standardParam(q)
	if err := q.err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	if err := compliance.ClearAssessment(r.Context(), h.a.DB, httpx.Principal(r).Actor(), std, r.PathValue("clause")); err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// exportOptions reads ?standard= for an export.
func (h compliancePackAPI) exportOptions(w http.ResponseWriter, r *http.Request) (pack.Options, bool) {
	q := newQuery(r, "standard")
	std := standardParam(q)
	if err := q.err(); err != nil {
		h.a.fail(w, r, err)
		return pack.Options{}, false
	}
	return pack.Options{Standard: std, Actor: httpx.Principal(r).Actor(), Now: time.Now()}, true
}

func exportName(std, ext string, at time.Time) string {
	return "steward-" + std + "-" + at.UTC().Format("20060102-1504") + ext
}

// auditPack streams the zip as it is written: the tables may be large,
// so once the first byte is sent a failure can only cut the download
// short (the manifest, written last, is then missing).
func (h compliancePackAPI) auditPack(w http.ResponseWriter, r *http.Request) {
	opt, ok := h.exportOptions(w, r)
	if !ok {
		return
	}
	if _, err := pack.Snapshot(r.Context(), h.a.DB, opt.Standard, opt.Actor, opt.Now); err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+exportName(opt.Standard, "-audit-pack.zip", opt.Now)+`"`)
	w.Header().Set("Cache-Control", "no-store")
	if _, err := pack.Write(r.Context(), h.a.DB, w, opt); err != nil {
		h.a.Log.Error("api: audit pack cut short", "standard", opt.Standard, "err", err)
	}
}

func (h compliancePackAPI) readinessPDF(w http.ResponseWriter, r *http.Request) {
	opt, ok := h.exportOptions(w, r)
	if !ok {
		return
	}
	var buf bytes.Buffer
	if err := pack.WriteReadinessPDF(r.Context(), h.a.DB, &buf, opt); err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+exportName(opt.Standard, "-readiness.pdf", opt.Now)+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}
