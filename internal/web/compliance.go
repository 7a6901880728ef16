package web

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"time"

	"steward/internal/clauses"
	"steward/internal/compliance"
	"steward/internal/compliance/pack"
	"steward/internal/httpx"
	"steward/internal/store"
)

// CompliancePages are the SMS manager's pages: readiness for certification
// with the gaps first, each clause's evidence and self-assessment, the
// snapshots kept, the roadmap for an organisation starting out, and the
// exports for an auditor.
func CompliancePages(wb *Web, rt *httpx.Router) {
	h := compliancePages{wb: wb}
	rt.Handle("GET /compliance", compliance.PermRead, h.readiness)
	wb.post(rt, "POST /compliance/evaluate", compliance.PermEvaluate, h.evaluate)
	rt.Handle("GET /compliance/clauses/{clause}", compliance.PermRead, h.clause)
	wb.post(rt, "POST /compliance/clauses/{clause}/assessment", compliance.PermAssess, h.assess)
	wb.post(rt, "POST /compliance/clauses/{clause}/assessment/clear", compliance.PermAssess, h.clearAssessment)
	rt.Handle("GET /compliance/snapshots", compliance.PermRead, h.snapshots)
	rt.Handle("GET /compliance/snapshots/{id}", compliance.PermRead, h.snapshot)
	rt.Handle("GET /compliance/roadmap", compliance.PermRead, h.roadmap)
	rt.Handle("GET /compliance/audit-pack", compliance.PermExport, h.auditPack)
	rt.Handle("GET /compliance/readiness.pdf", compliance.PermExport, h.readinessPDF)
}

type compliancePages struct{ wb *Web }

// stdChoice is one standard of the switch.
type stdChoice struct {
	ID, Short string
	Current   bool
}

// standardOf reads ?standard=, the primary standard when absent or unknown.
func standardOf(r *http.Request) *clauses.Standard {
	if s, ok := clauses.Get(r.URL.Query().Get("standard")); ok {
		return s
	}
	s, _ := clauses.Get(clauses.Primary)
	return s
}

func standardChoices(cur string) []stdChoice {
	var out []stdChoice
	for _, s := range clauses.All() {
		out = append(out, stdChoice{ID: s.ID, Short: s.Short, Current: s.ID == cur})
	}
	return out
}

// stdQuery is the query string that keeps the standard on links, empty for
// the primary one.
func stdQuery(std string) string {
	if std == clauses.Primary {
		return ""
	}
	return "?standard=" + url.QueryEscape(std)
}

// shown is the evaluation a page shows: the newest snapshot, or, before
// any was kept, the rules evaluated now and not kept.
type shown struct {
	Snap    *compliance.Snapshot
	Ev      *compliance.Evaluation
	TakenBy string
}

// Live reports whether the evaluation was made for this page and not kept.
func (s shown) Live() bool { return s.Snap == nil }

func (h compliancePages) load(r *http.Request, std string, id int64) (shown, error) {
	ctx := r.Context()
	var snap compliance.Snapshot
	var err error
	if id != 0 {
		snap, err = compliance.GetSnapshot(ctx, h.wb.DB, id)
		if err == nil && snap.Standard != std {
			err = store.ErrNotFound
		}
	} else {
		snap, err = compliance.Latest(ctx, h.wb.DB, std)
	}
	var out shown
	switch {
	case errors.Is(err, store.ErrNotFound) && id == 0:
		ev, err := compliance.Evaluate(ctx, h.wb.DB, std, time.Now())
		if err != nil {
			return out, err
		}
		out.Ev = &ev
	case err != nil:
		return out, err
	default:
		out.Snap, out.Ev = &snap, snap.Evaluation
		if snap.TakenBy != nil {
			if err := h.wb.DB.QueryRow(ctx, "SELECT name FROM users WHERE id = ?", *snap.TakenBy).Scan(&out.TakenBy); err != nil {
				return out, store.ScanErr(err)
			}
		}
	}
	as, err := compliance.Assessments(ctx, h.wb.DB, std)
	if err != nil {
		return out, err
	}
	out.Ev.Attach(as)
	return out, nil
}

// evaluate runs the rules now and keeps the result as a snapshot.
func (h compliancePages) evaluate(w http.ResponseWriter, r *http.Request) {
	std, ok := clauses.Get(r.PostFormValue("standard"))
	if !ok {
		std, _ = clauses.Get(clauses.Primary)
	}
	ev, err := compliance.Evaluate(r.Context(), h.wb.DB, std.ID, time.Now())
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if _, err := compliance.Save(r.Context(), h.wb.DB, ev, httpx.Principal(r).Actor(), compliance.OriginManual); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.redirect(w, r, "/compliance"+stdQuery(std.ID), "compliance-evaluated")
}

func (h compliancePages) exportOptions(r *http.Request) pack.Options {
	return pack.Options{Standard: standardOf(r).ID, Actor: httpx.Principal(r).Actor(), Loc: h.wb.clockOf(r).loc, Now: time.Now()}
}

func exportFile(std, suffix string, at time.Time) string {
	return "steward-" + std + "-" + at.UTC().Format("20060102-1504") + suffix
}

func (h compliancePages) auditPack(w http.ResponseWriter, r *http.Request) {
	opt := h.exportOptions(r)
	if _, err := pack.Snapshot(r.Context(), h.wb.DB, opt.Standard, opt.Actor, opt.Now); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+exportFile(opt.Standard, "-audit-pack.zip", opt.Now)+`"`)
	w.Header().Set("Cache-Control", "no-store")
	if _, err := pack.Write(r.Context(), h.wb.DB, w, opt); err != nil {
		h.wb.Log.Error("web: audit pack cut short", "standard", opt.Standard, "err", err)
	}
}

func (h compliancePages) readinessPDF(w http.ResponseWriter, r *http.Request) {
	opt := h.exportOptions(r)
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+exportFile(opt.Standard, "-readiness.pdf", opt.Now)+`"`)
	w.Header().Set("Cache-Control", "no-store")
	var buf bytes.Buffer
	if err := pack.WriteReadinessPDF(r.Context(), h.wb.DB, &buf, opt); err != nil {
		w.Header().Del("Content-Disposition")
		w.Header().Del("Content-Type")
		h.wb.fail(w, r, err)
		return
	}
	w.Write(buf.Bytes())
}
