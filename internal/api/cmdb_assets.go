package api

import (
	"context"
	"net/http"
	"strconv"

	"steward/internal/auth"
	"steward/internal/cmdb"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/store"
)

// registerCIAssets adds baselines and their comparison, verification runs
// (8.2.6), asset records, the licence position and the expiring report
// (8.2.5).
func (a *API) registerCIAssets(rt *httpx.Router) {
	rt.Handle("POST /api/v1/baselines", auth.CIWrite, a.createBaseline)
	rt.Handle("GET /api/v1/baselines", auth.CIRead, a.listBaselines)
	rt.Handle("GET /api/v1/baselines/{id}", auth.CIRead, a.getBaseline)
	rt.Handle("DELETE /api/v1/baselines/{id}", auth.CIWrite, a.deleteBaseline)
	rt.Handle("GET /api/v1/baselines/{id}/items", auth.CIRead, a.baselineItems)
	rt.Handle("GET /api/v1/baselines/{id}/compare", auth.CIRead, a.compareBaseline)

	rt.Handle("POST /api/v1/verifications", auth.CIWrite, a.createVerification)
	rt.Handle("GET /api/v1/verifications", auth.CIRead, a.listVerifications)
	rt.Handle("GET /api/v1/verifications/{id}", auth.CIRead, a.getVerification)
	rt.Handle("GET /api/v1/verifications/{id}/findings", auth.CIRead, a.verificationFindings)

	rt.Handle("GET /api/v1/cis/{id}/asset", auth.CIRead, a.getAsset)
	rt.Handle("PUT /api/v1/cis/{id}/asset", auth.CIWrite, a.putAsset)
	rt.Handle("DELETE /api/v1/cis/{id}/asset", auth.CIWrite, a.deleteAsset)
	rt.Handle("GET /api/v1/assets", auth.CIRead, a.listAssets)
	rt.Handle("GET /api/v1/assets/expiring", auth.CIRead, a.expiringAssets)
	rt.Handle("GET /api/v1/licences", auth.CIRead, a.listLicences)
}

func (a *API) createBaseline(w http.ResponseWriter, r *http.Request) {
	var in cmdb.NewBaseline
	if err := decode(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	b, err := a.CMDB.CreateBaseline(r.Context(), httpx.Principal(r).Actor(), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/baselines/"+strconv.FormatInt(b.ID, 10))
	writeJSON(w, http.StatusCreated, b)
}

func (a *API) listBaselines(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "limit", "cursor")
	limit, cursor := q.limit(), q.str("cursor", 300)
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	page, err := a.CMDB.Baselines(r.Context(), limit, cursor)
	if err != nil {
		a.fail(w, r, queryFault(err))
		return
	}
	writeJSON(w, http.StatusOK, listBody(page.Items, page.NextCursor))
}

func (a *API) getBaseline(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	b, err := a.CMDB.Baseline(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

func (a *API) deleteBaseline(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.CMDB.DeleteBaseline(r.Context(), httpx.Principal(r).Actor(), id); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) baselineItems(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	q := newQuery(r, "limit", "cursor")
	limit, cursor := q.limit(), q.str("cursor", 300)
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	page, err := a.CMDB.BaselineItems(r.Context(), id, limit, cursor)
	if err != nil {
		a.fail(w, r, queryFault(err))
		return
	}
	writeJSON(w, http.StatusOK, listBody(page.Items, page.NextCursor))
}

func (a *API) compareBaseline(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	q := newQuery(r, "state", "limit", "cursor")
	cq := cmdb.CompareQuery{States: q.list("state"), Limit: q.limit(), Cursor: q.str("cursor", 300)}
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	c, err := a.CMDB.Compare(r.Context(), id, cq)
	if err != nil {
		a.fail(w, r, queryFault(err))
		return
	}
	body := listBody(c.Items, c.NextCursor)
	body["scanned"] = c.Scanned
	writeJSON(w, http.StatusOK, body)
}

func (a *API) createVerification(w http.ResponseWriter, r *http.Request) {
	var in cmdb.NewVerification
	if err := decode(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	createOnce(a, w, r, in, func(keep func(context.Context, *store.Tx, cmdb.Verification) error) (cmdb.Verification, error) {
		return a.CMDB.CreateVerification(r.Context(), httpx.Principal(r).Actor(), in, keep)
	}, func(v cmdb.Verification) {
		w.Header().Set("Location", "/api/v1/verifications/"+strconv.FormatInt(v.ID, 10))
		writeJSON(w, http.StatusCreated, v)
	})
}

func (a *API) listVerifications(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "baseline_id", "limit", "cursor")
	baseline, limit, cursor := q.int64("baseline_id"), q.limit(), q.str("cursor", 300)
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	page, err := a.CMDB.Verifications(r.Context(), baseline, limit, cursor)
	if err != nil {
		a.fail(w, r, queryFault(err))
		return
	}
	writeJSON(w, http.StatusOK, listBody(page.Items, page.NextCursor))
}

func (a *API) getVerification(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v, err := a.CMDB.Verification(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (a *API) verificationFindings(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	q := newQuery(r, "result", "limit", "cursor")
	result, limit, cursor := q.str("result", 20), q.limit(), q.str("cursor", 300)
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	page, err := a.CMDB.Findings(r.Context(), id, result, limit, cursor)
	if err != nil {
		a.fail(w, r, queryFault(err))
		return
	}
	writeJSON(w, http.StatusOK, listBody(page.Items, page.NextCursor))
}

func (a *API) getAsset(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	as, err := a.CMDB.Asset(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(as.Version))
	writeJSON(w, http.StatusOK, as)
}

func (a *API) putAsset(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var in cmdb.AssetInput
	if err := decode(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	as, created, err := a.CMDB.PutAsset(r.Context(), httpx.Principal(r).Actor(), id, in, ifMatch(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(as.Version))
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/api/v1/cis/"+strconv.FormatInt(id, 10)+"/asset")
	}
	writeJSON(w, status, as)
}

func (a *API) deleteAsset(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	q := newQuery(r, "change_ref")
	ref := q.str("change_ref", domainerr.MaxShort)
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.CMDB.DeleteAsset(r.Context(), httpx.Principal(r).Actor(), id, ifMatch(r), ref); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) listAssets(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "limit", "cursor")
	limit, cursor := q.limit(), q.str("cursor", 300)
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	page, err := a.CMDB.Assets(r.Context(), limit, cursor)
	if err != nil {
		a.fail(w, r, queryFault(err))
		return
	}
	writeJSON(w, http.StatusOK, listBody(page.Items, page.NextCursor))
}

func (a *API) expiringAssets(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "within", "kind", "limit", "cursor")
	eq := cmdb.ExpiringQuery{Within: q.str("within", 20), Kind: q.str("kind", 20), Limit: q.limit(), Cursor: q.str("cursor", 300)}
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	page, err := a.CMDB.ExpiringAssets(r.Context(), eq)
	if err != nil {
		a.fail(w, r, queryFault(err))
		return
	}
	body := listBody(page.Items, page.NextCursor)
	body["until"] = page.Until
	writeJSON(w, http.StatusOK, body)
}

func (a *API) listLicences(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "limit", "cursor")
	limit, cursor := q.limit(), q.str("cursor", 300)
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	page, err := a.CMDB.Licences(r.Context(), limit, cursor)
	if err != nil {
		a.fail(w, r, queryFault(err))
		return
	}
	writeJSON(w, http.StatusOK, listBody(page.Items, page.NextCursor))
}
