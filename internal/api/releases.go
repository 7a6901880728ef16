package api

import (
	"context"
	"net/http"

	"steward/internal/httpx"
	"steward/internal/release"
	"steward/internal/store"
)

// releaseAPI serves release and deployment management over its service.
type releaseAPI struct {
	*API
	svc *release.Service
}

// ReleaseRoutes are release management's API routes: releases, the
// changes they group, their deployments, and each CI's deployments.
func ReleaseRoutes(svc *release.Service) Routes {
	return func(a *API, rt *httpx.Router) {
		h := &releaseAPI{API: a, svc: svc}
		rt.Handle("POST /api/v1/releases", release.PermWrite, h.create)
		rt.Handle("GET /api/v1/releases", release.PermRead, h.list)
		(&kindAPI[release.Detail, release.Patch, release.Entry]{a: a, kind: svc.Kind(), ref: release.ParseRef,
			get: svc.Get, update: svc.Update, journal: svc.Journal,
			version: func(d release.Detail) int { return d.Version }}).routes(rt)
		rt.Handle("POST /api/v1/releases/{ref}/changes", release.PermWrite, h.addChange)
		rt.Handle("DELETE /api/v1/releases/{ref}/changes/{change}", release.PermWrite, h.removeChange)
		rt.Handle("POST /api/v1/releases/{ref}/deployments", release.PermWrite, h.deploy)
		rt.Handle("PATCH /api/v1/releases/{ref}/deployments/{id}", release.PermWrite, h.patchDeployment)
		rt.Handle("GET /api/v1/cis/{id}/deployments", release.PermRead, h.ciDeployments)
	}
}

func releaseRef(r *http.Request) (int64, error) {
	id, ok := release.ParseRef(r.PathValue("ref"))
	if !ok {
		return 0, store.ErrNotFound
	}
	return id, nil
}

func (h *releaseAPI) create(w http.ResponseWriter, r *http.Request) {
	var in release.NewRelease
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	createOnce(h.API, w, r, in, func(keep func(context.Context, *store.Tx, release.Detail) error) (release.Detail, error) {
		return h.svc.Create(r.Context(), httpx.Principal(r), in, keep)
	}, func(d release.Detail) {
		w.Header().Set("Location", "/api/v1/releases/"+d.Number)
		h.writeRelease(w, http.StatusCreated, d)
	})
}

func (h *releaseAPI) writeRelease(w http.ResponseWriter, status int, d release.Detail) {
	w.Header().Set("ETag", etag(d.Version))
	writeJSON(w, status, d)
}

func (h *releaseAPI) list(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "state", "type", "q", "sort", "limit", "cursor")
	f := release.Filter{Query: q.str("q", 200), Sort: q.str("sort", 20), Limit: q.limit(), Cursor: q.str("cursor", 300)}
	for _, s := range q.list("state") {
		f.States = append(f.States, release.State(s))
	}
	for _, t := range q.list("type") {
		f.Types = append(f.Types, release.Type(t))
	}
	listPage(h.API, w, r, q, f, h.svc.List)
}

type releaseChangeInput struct {
	Change string `json:"change"` // CHG-000123 or the change's id
}

func (h *releaseAPI) addChange(w http.ResponseWriter, r *http.Request) {
	id, err := releaseRef(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in releaseChangeInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	d, err := h.svc.AddChange(r.Context(), httpx.Principal(r), id, in.Change, ifMatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeRelease(w, http.StatusOK, d)
}

func (h *releaseAPI) removeChange(w http.ResponseWriter, r *http.Request) {
	id, err := releaseRef(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d, err := h.svc.RemoveChange(r.Context(), httpx.Principal(r), id, r.PathValue("change"), ifMatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeRelease(w, http.StatusOK, d)
}

func (h *releaseAPI) deploy(w http.ResponseWriter, r *http.Request) {
	id, err := releaseRef(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in release.NewDeployment
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	createOnce(h.API, w, r, in, func(keep func(context.Context, *store.Tx, release.Deployment) error) (release.Deployment, error) {
		return h.svc.RecordDeployment(r.Context(), httpx.Principal(r), id, in, keep)
	}, func(d release.Deployment) { writeJSON(w, http.StatusCreated, d) })
}

func (h *releaseAPI) patchDeployment(w http.ResponseWriter, r *http.Request) {
	id, err := releaseRef(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	did, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var pt release.DeploymentPatch
	if err := decode(w, r, &pt); err != nil {
		h.fail(w, r, err)
		return
	}
	d, err := h.svc.UpdateDeployment(r.Context(), httpx.Principal(r), id, did, pt)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (h *releaseAPI) ciDeployments(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := newQuery(r, "limit", "cursor")
	limit, cursor := q.limit(), q.str("cursor", 300)
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	page, err := h.svc.CIDeployments(r.Context(), httpx.Principal(r), id, limit, cursor)
	if err != nil {
		h.fail(w, r, queryFault(err))
		return
	}
	writeJSON(w, http.StatusOK, listBody(page.Items, page.NextCursor))
}
