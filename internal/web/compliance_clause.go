package web

import (
	"errors"
	"net/http"
	"strings"

	"steward/internal/clauses"
	"steward/internal/compliance"
	"steward/internal/compliance/pack"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/store"
)

// clauseView is one clause's page: its evidence rule by rule, the clauses
// under it, and the self-assessment with its form.
type clauseView struct {
	Std     *clauses.Standard
	Q       string
	Clause  clauses.Clause
	C       compliance.ClauseResult
	Parent  *compliance.ClauseResult
	Sub     []compliance.ClauseResult
	Ratings []compliance.Status
	// The assessment as the form starts: rating, comment and evidence one
	// per line.
	Rating, Comment, Evidence string
	F                         *fieldErrors
	shown
	CanAssess bool
}

// Leaf reports whether evidence is gathered for the clause itself.
func (v clauseView) Leaf() bool { return len(v.Sub) == 0 }

func (h compliancePages) clause(w http.ResponseWriter, r *http.Request) {
	h.showClause(w, r, http.StatusOK, nil)
}

func (h compliancePages) showClause(w http.ResponseWriter, r *http.Request, status int, fe *fieldErrors) {
	std := standardOf(r)
	cl, ok := std.Clause(r.PathValue("clause"))
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, h.wb.clockOf(r).text().T("web.compliance_clause.no_clause", "Clause", r.PathValue("clause"), "Standard", std.Short))
		return
	}
	sh, err := h.load(r, std.ID, 0)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	c, _ := sh.Ev.Clause(cl.Number)
	v := clauseView{Std: std, Q: stdQuery(std.ID), Clause: cl, C: *c, Ratings: compliance.Ratings, F: fe, shown: sh,
		CanAssess: httpx.Principal(r).Can(compliance.PermAssess)}
	if p, ok := sh.Ev.Clause(cl.Parent()); ok {
		v.Parent = p
	}
	for _, x := range sh.Ev.Clauses {
		if strings.HasPrefix(x.Clause, cl.Number+".") {
			v.Sub = append(v.Sub, x)
		}
	}
	if a := c.SelfAssessment; a != nil {
		var lines []string
		for _, l := range a.Evidence {
			lines = append(lines, l.Label)
		}
		v.Evidence = strings.Join(lines, "\n")
		v.Rating, v.Comment = string(a.Rating), a.Comment
	}
	h.wb.render(w, r, status, "compliance_clause", page{Title: cl.Number + " " + cl.Title, Active: "compliance", Data: v})
}

// assess records the viewer's rating of the clause; a bad input comes back
// with the messages beside the fields and what was typed kept.
func (h compliancePages) assess(w http.ResponseWriter, r *http.Request) {
	std := standardOf(r)
	clause := r.PathValue("clause")
	in := compliance.AssessInput{Rating: r.PostFormValue("rating"), Comment: formText(r, "comment"),
		Evidence: strings.Split(formText(r, "evidence"), "\n")}
	_, err := compliance.Assess(r.Context(), h.wb.DB, httpx.Principal(r).Actor(), std.ID, clause, in)
	var bad *domainerr.Invalid
	switch {
	case err == nil:
		h.wb.redirect(w, r, "/compliance/clauses/"+clause+stdQuery(std.ID)+"#assessment", "compliance-assessed")
	case errors.As(err, &bad) && bad.Fields["clause"] == "" && bad.Fields["standard"] == "":
		h.showClause(w, r, http.StatusUnprocessableEntity, &fieldErrors{Form: "assess", Errs: bad.Fields, Values: r.PostForm})
	case errors.As(err, &bad):
		h.wb.errorPage(w, r, http.StatusNotFound, h.wb.clockOf(r).text().T("web.compliance_clause.no_clause", "Clause", clause, "Standard", std.Short))
	default:
		h.wb.fail(w, r, err)
	}
}

func (h compliancePages) clearAssessment(w http.ResponseWriter, r *http.Request) {
	std := standardOf(r)
	clause := r.PathValue("clause")
	err := compliance.ClearAssessment(r.Context(), h.wb.DB, httpx.Principal(r).Actor(), std.ID, clause)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.redirect(w, r, "/compliance/clauses/"+clause+stdQuery(std.ID)+"#assessment", "compliance-cleared")
}

// Num writes a rule's figure with its unit.
func (clauseView) Num(n compliance.Number) string { return pack.Number(n) }
