package web

import (
	"errors"
	"net/http"
	"strconv"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/sla"
	"steward/internal/ticket"
)

func (wb *Web) registerUnmeasured(rt *httpx.Router) {
	rt.Handle("GET /sla/unmeasured", auth.SLARead, wb.unmeasured)
	wb.post(rt, "POST /agreements/default", auth.SLAWrite, wb.setDefaultAgreement)
}

type unmeasuredView struct {
	Kind    string
	Items   []sla.Unmeasured
	Default *sla.Agreement // nil when none is chosen
	Limit   int
}

// unmeasured lists the open tickets no clock measures, for the admin to
// give them an agreement.
func (wb *Web) unmeasured(w http.ResponseWriter, r *http.Request) {
	kind := ticket.Incident
	if r.URL.Query().Get("kind") == string(ticket.Request) {
		kind = ticket.Request
	}
	const limit = 200
	items, err := wb.SLA.Unmeasured(r.Context(), kind, limit)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	v := unmeasuredView{Kind: string(kind), Items: items, Limit: limit}
	if id, err := sla.DefaultAgreement(r.Context(), wb.DB); err != nil {
		wb.fail(w, r, err)
		return
	} else if id != 0 {
		if a, err := sla.GetAgreement(r.Context(), wb.DB, id); err == nil {
			v.Default = &a
		}
	}
	wb.render(w, r, http.StatusOK, "sla_unmeasured", page{Title: wb.clockOf(r).text().T("web.sla_unmeasured.title"), Active: "unmeasured", Data: v})
}

// setDefaultAgreement saves the choice made on the agreements page.
func (wb *Web) setDefaultAgreement(w http.ResponseWriter, r *http.Request) {
	var id int64
	if raw := r.PostFormValue("agreement_id"); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n <= 0 {
			wb.errorPage(w, r, http.StatusUnprocessableEntity, wb.clockOf(r).text().T("web.sla_unmeasured.choose_agreements_offered"))
			return
		}
		id = n
	}
	err := wb.SLA.SetDefaultAgreement(r.Context(), httpx.Principal(r).Actor(), id)
	var inv *domainerr.Invalid
	switch {
	case err == nil:
		wb.redirect(w, r, "/agreements", "saved")
	case errors.As(err, &inv):
		wb.errorPage(w, r, http.StatusUnprocessableEntity, errText(wb.clockOf(r).text(), inv.Fields["agreement_id"]))
	default:
		wb.fail(w, r, err)
	}
}
