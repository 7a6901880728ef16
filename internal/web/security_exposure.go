package web

import (
	"errors"
	"net/http"
	"strconv"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/infosec"
)

func (h securityPages) registerExposure(rt *httpx.Router) {
	rt.Handle("GET /vulnerabilities", infosec.PermExposure, h.exposure)
	rt.Handle("GET /vulnerabilities/{id}", infosec.PermExposure, h.advisory)
	h.wb.uploadUpTo(rt, "POST /vulnerabilities/import", infosec.PermAdvisory, infosec.MaxAdvisoryBytes, h.importAdvisories)
	h.wb.post(rt, "POST /vulnerabilities/{id}/delete", infosec.PermAdvisory, h.deleteAdvisory)
}

type exposureView struct {
	X         infosec.Exposure
	CanImport bool
	Error     string
	Result    *infosec.ImportResult
	Errors    map[string]string
}

func (h securityPages) exposure(w http.ResponseWriter, r *http.Request) {
	h.showExposure(w, r, http.StatusOK, nil, nil)
}

func (h securityPages) showExposure(w http.ResponseWriter, r *http.Request, status int, res *infosec.ImportResult, errs map[string]string) {
	p := httpx.Principal(r)
	x, err := h.svc.Exposure(r.Context(), p, 0)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := exposureView{X: x, CanImport: p.Can(infosec.PermAdvisory), Result: res, Errors: errs}
	h.wb.render(w, r, status, "vulnerabilities", page{Title: "Vulnerabilities and exposure", Active: "vulnerabilities", Data: v})
}

func (h securityPages) advisory(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	x, err := h.svc.Exposure(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	a := x.Advisories[0]
	h.wb.render(w, r, http.StatusOK, "vulnerability", page{Title: a.Ref + " " + a.Product, Active: "vulnerabilities",
		Data: struct {
			A         infosec.AdvisoryExposure
			CanImport bool
		}{a, httpx.Principal(r).Can(infosec.PermAdvisory)}})
}

// importAdvisories takes an advisory list uploaded as a CSV file.
func (h securityPages) importAdvisories(w http.ResponseWriter, r *http.Request) {
	f, _, err := r.FormFile("file")
	if err != nil {
		h.showExposure(w, r, http.StatusUnprocessableEntity, nil, map[string]string{"file": "choose a CSV file to import"})
		return
	}
	defer f.Close()
	res, err := h.svc.ImportAdvisories(r.Context(), httpx.Principal(r), f)
	var inv *domainerr.Invalid
	switch {
	case errors.As(err, &inv):
		h.showExposure(w, r, http.StatusUnprocessableEntity, nil, inv.Fields)
	case err != nil:
		h.wb.fail(w, r, err)
	default:
		h.showExposure(w, r, http.StatusOK, &res, nil)
	}
}

func (h securityPages) deleteAdvisory(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	if err := h.svc.DeleteAdvisory(r.Context(), httpx.Principal(r), id); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.redirect(w, r, "/vulnerabilities", "saved")
}
