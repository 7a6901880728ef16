package api

import (
	"net/http"
	"strconv"

	"steward/internal/auth"
	"steward/internal/catalog"
	"steward/internal/domainerr"
	"steward/internal/httpx"
)

// ServiceRoutes are the service catalogue's API routes.
var ServiceRoutes Routes = (*API).registerServices

// registerServices adds the service catalogue (8.2.4).
func (a *API) registerServices(rt *httpx.Router) {
	rt.Handle("GET /api/v1/services", auth.ServiceRead, a.listServices)
	rt.Handle("POST /api/v1/services", auth.ServiceWrite, a.createService)
	rt.Handle("GET /api/v1/services/{id}", auth.ServiceRead, a.getService)
	rt.Handle("PATCH /api/v1/services/{id}", auth.ServiceWrite, a.patchService)
	rt.Handle("DELETE /api/v1/services/{id}", auth.ServiceWrite, a.deleteService)
}

func (a *API) catalog() *catalog.Catalog { return catalog.New(a.DB) }

func (a *API) listServices(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "status", "criticality", "owner_id", "customer_id", "support_group_id",
		"cost_min", "cost_max", "q", "limit", "cursor")
	f := catalog.Filter{
		OwnerID:        q.int64("owner_id"),
		CustomerID:     q.int64("customer_id"),
		SupportGroupID: q.int64("support_group_id"),
		CostMin:        q.amount("cost_min"),
		CostMax:        q.amount("cost_max"),
		Query:          q.str("q", domainerr.MaxName),
		Limit:          q.limit(),
		Cursor:         q.str("cursor", 800),
	}
	for _, s := range q.list("status") {
		st := catalog.Status(s)
		if st != catalog.Pipeline && st != catalog.Live && st != catalog.Retired {
			q.fields["status"] = "must be pipeline, live or retired"
		}
		f.Statuses = append(f.Statuses, st)
	}
	for _, s := range q.list("criticality") {
		c := catalog.Criticality(s)
		if c != catalog.Low && c != catalog.Medium && c != catalog.High && c != catalog.Critical {
			q.fields["criticality"] = "must be low, medium, high or critical"
		}
		f.Criticalities = append(f.Criticalities, c)
	}
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	page, err := a.catalog().List(r.Context(), httpx.Principal(r), f)
	err = queryFault(err)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(page.Items, page.NextCursor))
}

// amount reads a money amount such as 1250 or 1250.50.
func (q *query) amount(name string) *catalog.Cents {
	v := q.r.URL.Query().Get(name)
	if v == "" {
		return nil
	}
	c, err := catalog.ParseAmount(v)
	if err != nil {
		q.fields[name] = err.Error()
		return nil
	}
	return &c
}

func (a *API) createService(w http.ResponseWriter, r *http.Request) {
	var in catalog.NewService
	if err := decode(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	s, err := a.catalog().Create(r.Context(), httpx.Principal(r), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/services/"+strconv.FormatInt(s.ID, 10))
	w.Header().Set("ETag", etag(s.Version))
	writeJSON(w, http.StatusCreated, s)
}

func (a *API) getService(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	s, err := a.catalog().Get(r.Context(), httpx.Principal(r), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(s.Version))
	writeJSON(w, http.StatusOK, s)
}

func (a *API) patchService(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var pt catalog.Patch
	if err := decode(w, r, &pt); err != nil {
		a.fail(w, r, err)
		return
	}
	s, err := a.catalog().Update(r.Context(), httpx.Principal(r), id, pt, ifMatch(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(s.Version))
	writeJSON(w, http.StatusOK, s)
}

func (a *API) deleteService(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.catalog().Delete(r.Context(), httpx.Principal(r), id); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
