package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"

	"steward/internal/auth"
	"steward/internal/httpx"
	"steward/internal/org"
)

// OrgRoutes are the organisation's API routes: customers, groups, users and who manages whom.
var OrgRoutes Routes = func(a *API, rt *httpx.Router) {
	a.registerOrg(rt)
	a.registerUsers(rt)
}

// registerOrg adds the customer and group resources, which behave alike.
func (a *API) registerOrg(rt *httpx.Router) {
	for _, res := range []struct {
		path        string
		kind        org.Kind
		read, write auth.Permission
	}{
		{"/api/v1/customers", org.Customers, auth.CustomerRead, auth.CustomerWrite},
		{"/api/v1/groups", org.Groups, auth.GroupRead, auth.GroupWrite},
	} {
		h := orgHandlers{a: a, kind: res.kind}
		rt.Handle("POST "+res.path, res.write, h.create)
		rt.Handle("GET "+res.path, res.read, h.list)
		rt.Handle("GET "+res.path+"/{id}", res.read, h.get)
		rt.Handle("PATCH "+res.path+"/{id}", res.write, h.patch)
		rt.Handle("DELETE "+res.path+"/{id}", res.write, h.delete)
	}
}

type orgHandlers struct {
	a    *API
	kind org.Kind
}

type nameInput struct {
	Name string `json:"name"`
}

func (h orgHandlers) create(w http.ResponseWriter, r *http.Request) {
	var in nameInput
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	rec, err := h.kind.Create(r.Context(), h.a.DB, httpx.Principal(r).Actor(), in.Name)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(rec.Version))
	writeJSON(w, http.StatusCreated, rec)
}

type nameCursor struct {
	Name string `json:"n"`
	ID   int64  `json:"i"`
}

func (h orgHandlers) list(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "limit", "cursor")
	limit := q.limit()
	var after nameCursor
	if c := q.str("cursor", 600); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil || json.Unmarshal(b, &after) != nil {
			q.fields["cursor"] = "is not a cursor from a previous page of this list"
		}
	}
	if err := q.err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	recs, err := h.kind.List(r.Context(), h.a.DB, after.Name, after.ID, limit+1)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	next := ""
	if len(recs) > limit {
		recs = recs[:limit]
		last := recs[limit-1]
		b, _ := json.Marshal(nameCursor{Name: last.Name, ID: last.ID})
		next = base64.RawURLEncoding.EncodeToString(b)
	}
	writeJSON(w, http.StatusOK, listBody(recs, next))
}

func (h orgHandlers) get(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	rec, err := h.kind.Get(r.Context(), h.a.DB, id)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(rec.Version))
	writeJSON(w, http.StatusOK, rec)
}

func (h orgHandlers) patch(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	var in nameInput
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	rec, err := h.kind.Rename(r.Context(), h.a.DB, httpx.Principal(r).Actor(), id, in.Name, ifMatch(r))
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(rec.Version))
	writeJSON(w, http.StatusOK, rec)
}

func (h orgHandlers) delete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	if err := h.kind.Delete(r.Context(), h.a.DB, httpx.Principal(r).Actor(), id); err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
