package web

import (
	"errors"
	"net/http"
	"net/url"

	"steward/internal/auth"
	"steward/internal/cmdb"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/incident"
)

// incidentCIsView is the incident page's card of affected CIs and the
// business services derived from them.
type incidentCIsView struct {
	Show     bool // staff who may read the CMDB
	CanLink  bool
	CIs      []cmdb.LinkedCI
	Services []cmdb.AffectedService
}

// incidentCIs loads the card for the incident page.
func (wb *Web) incidentCIs(r *http.Request, inc incident.Incident) (incidentCIsView, error) {
	p := httpx.Principal(r)
	v := incidentCIsView{Show: p.IsStaff() && p.Can(auth.CIRead)}
	if !v.Show {
		return v, nil
	}
	v.CanLink = p.Can(incident.PermUpdate) && inc.State != incident.Closed
	var err error
	if v.CIs, err = wb.CMDB.IncidentCIs(r.Context(), inc.ID); err != nil {
		return v, err
	}
	if len(v.CIs) > 0 {
		v.Services, err = wb.CMDB.AffectedServices(r.Context(), inc.ID)
	}
	return v, err
}

func (wb *Web) linkIncidentCI(w http.ResponseWriter, r *http.Request) {
	inc, ok := wb.loadIncident(w, r)
	if !ok {
		return
	}
	ciID, err := wb.findCI(r.Context(), r.PostFormValue("ci"))
	if err == nil {
		_, err = wb.CMDB.LinkIncident(r.Context(), httpx.Principal(r).Actor(), inc.ID, ciID)
	}
	var inv *domainerr.Invalid
	var conflict *domainerr.Conflict
	switch {
	case err == nil:
		wb.redirect(w, r, "/incidents/"+url.PathEscape(inc.Number)+"#affected-cis", "linked")
	case errors.As(err, &inv):
		wb.showIncident(w, r, http.StatusUnprocessableEntity, inc,
			&fieldErrors{Form: "ci-link", Errs: map[string]string{"ci": inv.Fields["other"]}, Values: r.PostForm}, "")
	case errors.As(err, &conflict):
		wb.showIncident(w, r, http.StatusConflict, inc, nil, conflict.Message)
	default:
		wb.fail(w, r, err)
	}
}

func (wb *Web) unlinkIncidentCI(w http.ResponseWriter, r *http.Request) {
	inc, ok := wb.loadIncident(w, r)
	if !ok {
		return
	}
	ciID, ok := formID(r, "ci_id")
	if !ok || ciID == nil {
		wb.errorPage(w, r, http.StatusBadRequest, wb.clockOf(r).text().T("web.cmdb_incident.form_ci_unlink"))
		return
	}
	err := wb.CMDB.UnlinkIncident(r.Context(), httpx.Principal(r).Actor(), inc.ID, *ciID)
	var conflict *domainerr.Conflict
	switch {
	case err == nil:
		wb.redirect(w, r, "/incidents/"+url.PathEscape(inc.Number)+"#affected-cis", "unlinked")
	case errors.As(err, &conflict):
		wb.showIncident(w, r, http.StatusConflict, inc, nil, conflict.Message)
	default:
		wb.fail(w, r, err)
	}
}
