package api

import (
	"net/http"
	"strconv"

	"steward/internal/auth"
	"steward/internal/cmdb"
	"steward/internal/httpx"
	"steward/internal/store"
)

// registerImpact adds impact analysis over the CMDB's graph.
func (a *API) registerImpact(rt *httpx.Router) {
	rt.Handle("GET /api/v1/cis/{id}/impact", auth.CIRead, a.ciImpact)
	rt.Handle("POST /api/v1/impact", auth.CIRead, a.impact)
}

func (a *API) ciImpact(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	q := newQuery(r, "direction", "depth", "limit")
	in := cmdb.ImpactQuery{Failed: []int64{id}, Direction: q.str("direction", 10)}
	in.Depth = intParam(q, "depth", 1, cmdb.MaxDepth)
	in.Limit = intParam(q, "limit", 1, cmdb.MaxItems)
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.CMDB.Impact(r.Context(), in)
	if err != nil {
		a.fail(w, r, impactNotFound(err))
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// intParam reads an optional whole number within [lo, hi]; 0 when absent.
func intParam(q *query, name string, lo, hi int) int {
	v := q.r.URL.Query().Get(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		q.fields[name] = "must be a whole number from " + strconv.Itoa(lo) + " to " + strconv.Itoa(hi)
		return 0
	}
	return n
}

// impactNotFound turns "no such CI" for the one CI in the path into 404.
func impactNotFound(err error) error {
	if f := fieldsOf(err); len(f) == 1 && f["failed[0]"] != "" {
		return store.ErrNotFound
	}
	return err
}

type impactInput struct {
	Failed    []int64 `json:"failed"`
	Unknown   []int64 `json:"unknown"`
	Direction string  `json:"direction"`
	Depth     int     `json:"depth"`
	Limit     int     `json:"limit"`
}

func (a *API) impact(w http.ResponseWriter, r *http.Request) {
	var in impactInput
	if err := decode(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.CMDB.Impact(r.Context(), cmdb.ImpactQuery{Failed: in.Failed, Unknown: in.Unknown,
		Direction: in.Direction, Depth: in.Depth, Limit: in.Limit})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
