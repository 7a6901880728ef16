package api

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/infosec"
	"steward/internal/store"
)

// securityAPI serves information security: security incidents (SEC-),
// security groups, the controls register and advisories.
type securityAPI struct {
	*API
	svc *infosec.Service
}

// SecurityRoutes are information security's API routes over svc.
func SecurityRoutes(svc *infosec.Service) Routes {
	return func(a *API, rt *httpx.Router) {
		h := &securityAPI{API: a, svc: svc}
		rt.Handle("GET /api/v1/security-incidents", infosec.PermRead, h.list)
		rt.Handle("POST /api/v1/security-incidents", infosec.PermWork, h.create)
		(&kindAPI[infosec.Incident, infosec.Patch, infosec.Entry]{a: a, kind: svc.Kind(), ref: infosec.ParseRef,
			get: svc.Get, update: svc.Update, journal: svc.Journal, addNote: svc.AddNote,
			version: func(in infosec.Incident) int { return in.Version }}).routes(rt)
		rt.Handle("GET /api/v1/security-groups", infosec.PermGroups, h.groups)
		rt.Handle("PUT /api/v1/security-groups/{id}", infosec.PermGroups, h.setGroup)
		rt.Handle("GET /api/v1/controls", infosec.PermControls, h.controls)
		rt.Handle("GET /api/v1/controls/{ref}", infosec.PermControls, h.control)
		rt.Handle("PATCH /api/v1/controls/{ref}", infosec.PermControlW, h.decide)
		rt.Handle("POST /api/v1/controls/{ref}/evidence", infosec.PermControlW, h.addEvidence)
		rt.Handle("DELETE /api/v1/controls/{ref}/evidence/{id}", infosec.PermControlW, h.removeEvidence)
		rt.Handle("GET /api/v1/advisories", infosec.PermExposure, h.advisories)
		rt.Handle("POST /api/v1/advisories", infosec.PermAdvisory, h.importAdvisories)
		rt.Handle("GET /api/v1/advisories/{id}", infosec.PermExposure, h.advisory)
		rt.Handle("DELETE /api/v1/advisories/{id}", infosec.PermAdvisory, h.deleteAdvisory)
	}
}

func (h *securityAPI) list(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "state", "q", "limit", "cursor")
	f := infosec.Filter{Query: q.str("q", 200), Limit: q.limit(), Cursor: q.str("cursor", 30)}
	for _, s := range q.list("state") {
		if s == "open" {
			f.States = append(f.States, infosec.OpenStates...)
			continue
		}
		f.States = append(f.States, infosec.State(s))
	}
	listPage(h.API, w, r, q, f, h.svc.List)
}

func (h *securityAPI) create(w http.ResponseWriter, r *http.Request) {
	createNumbered(h.API, w, r, "/api/v1/security-incidents/", h.svc.Create,
		func(in infosec.Incident) (string, int) { return in.Number, in.Version })
}

func (h *securityAPI) groups(w http.ResponseWriter, r *http.Request) {
	gs, err := h.svc.Groups(r.Context(), httpx.Principal(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(gs, ""))
}

type securityGroupInput struct {
	Security *bool `json:"security"`
}

func (h *securityAPI) setGroup(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in securityGroupInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if in.Security == nil {
		h.fail(w, r, domainerr.Field("security", "is required: true or false"))
		return
	}
	p := httpx.Principal(r)
	if err := h.svc.SetSecurityGroup(r.Context(), p, id, *in.Security); err != nil {
		h.fail(w, r, err)
		return
	}
	gs, err := h.svc.Groups(r.Context(), p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, g := range gs {
		if g.ID == id {
			writeJSON(w, http.StatusOK, g)
			return
		}
	}
	h.fail(w, r, store.ErrNotFound)
}

func (h *securityAPI) controls(w http.ResponseWriter, r *http.Request) {
	cs, err := h.svc.Controls(r.Context(), httpx.Principal(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(cs, ""))
}

func (h *securityAPI) control(w http.ResponseWriter, r *http.Request) {
	c, err := h.svc.Control(r.Context(), httpx.Principal(r), r.PathValue("ref"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (h *securityAPI) decide(w http.ResponseWriter, r *http.Request) {
	var pt infosec.ControlPatch
	if err := decode(w, r, &pt); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.svc.DecideControl(r.Context(), httpx.Principal(r), r.PathValue("ref"), pt, ifMatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(c.Version))
	writeJSON(w, http.StatusOK, c)
}

type evidenceInput struct {
	Label  string `json:"label"`
	Target string `json:"target"`
}

func (h *securityAPI) addEvidence(w http.ResponseWriter, r *http.Request) {
	var in evidenceInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	e, err := h.svc.AddEvidence(r.Context(), httpx.Principal(r), r.PathValue("ref"), in.Label, in.Target)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, e)
}

func (h *securityAPI) removeEvidence(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.svc.RemoveEvidence(r.Context(), httpx.Principal(r), r.PathValue("ref"), id); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *securityAPI) advisories(w http.ResponseWriter, r *http.Request) {
	ex, err := h.svc.Exposure(r.Context(), httpx.Principal(r), 0)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ex)
}

func (h *securityAPI) advisory(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ex, err := h.svc.Exposure(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ex.Advisories[0])
}

func (h *securityAPI) importAdvisories(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "text/csv" {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type must be text/csv", nil)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, infosec.MaxAdvisoryBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		h.fail(w, r, &tooLarge{limit: infosec.MaxAdvisoryBytes})
		return
	} else if err != nil {
		h.fail(w, r, &malformed{msg: "could not read the request body"})
		return
	}
	res, err := h.svc.ImportAdvisories(r.Context(), httpx.Principal(r), bytes.NewReader(body))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (h *securityAPI) deleteAdvisory(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.svc.DeleteAdvisory(r.Context(), httpx.Principal(r), id); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
