package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"steward/internal/audit"
	"steward/internal/httpx"
	"steward/internal/infosec"
)

type auditView struct {
	Entries  []auditRow
	OlderURL string
	Entity   string
}

const auditPageSize = 100

func (wb *Web) auditTrail(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	f := audit.Filter{Entity: q.Get("entity"), Before: before, Limit: auditPageSize + 1}
	if len(f.Entity) > 50 {
		f.Entity = ""
	}
	if ok, err := infosec.Cleared(r.Context(), wb.DB, httpx.Principal(r)); err != nil {
		wb.fail(w, r, err)
		return
	} else if !ok {
		f.Hide, f.HideMentions = infosec.RestrictedEntities, infosec.RestrictedMentions
	}
	entries, err := audit.List(r.Context(), wb.DB, f)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	v := auditView{Entity: f.Entity}
	if len(entries) > auditPageSize {
		entries = entries[:auditPageSize]
		v.OlderURL = "/audit?before=" + strconv.FormatInt(entries[auditPageSize-1].Seq, 10)
		if f.Entity != "" {
			v.OlderURL += "&entity=" + url.QueryEscape(f.Entity)
		}
	}
	v.Entries = auditRowsIn(wb.clockOf(r).text(), entries)
	wb.render(w, r, http.StatusOK, "audit", page{Title: "Audit trail", Active: "audit", Data: v})
}

type verifyView struct {
	Checked int64
	Break   *audit.Break
}

func (wb *Web) auditVerify(w http.ResponseWriter, r *http.Request) {
	n, err := audit.Verify(r.Context(), wb.DB)
	v := verifyView{Checked: n}
	if err != nil && !errors.As(err, &v.Break) {
		wb.fail(w, r, err)
		return
	}
	wb.render(w, r, http.StatusOK, "audit_verify", page{Title: "Verify audit chain", Active: "audit", Data: v})
}
